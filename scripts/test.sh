#!/usr/bin/env bash
# The whole test suite, from nothing: installs what it needs, then runs ruff
# and pytest. Extra arguments go to pytest (for example: -k dues).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export BEANCOUNT_DISABLE_LOAD_CACHE=1
echo "== ruff" >&2
.venv/bin/ruff check .
echo "== pytest" >&2
.venv/bin/python -m pytest "$@"
