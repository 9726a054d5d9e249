#!/usr/bin/env bash
# The main job on the bundled example books: install what is needed, check
# every example co-op, then serve them in Fava. Usage:
#   bash scripts/demo.sh [--port 5000] [--host 127.0.0.1] [--read-only]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export BEANCOUNT_DISABLE_LOAD_CACHE=1
books=()
for main in examples/*/main.beancount; do
    echo "== coop check $main" >&2
    .venv/bin/coop check "$main"
    books+=("$main")
done
echo "== serving ${books[*]} in Fava" >&2
exec .venv/bin/coop serve "${books[@]}" "$@"
