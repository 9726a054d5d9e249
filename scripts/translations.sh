#!/usr/bin/env bash
# The co-op pages' translations (coop_beancount/fava_pages/translations/):
#   bash scripts/translations.sh          extract the texts to coop.pot, merge them into
#                                          each language's coop.po, compile the coop.mo files
#   bash scripts/translations.sh init fr  start a new language (then translate its .po and
#                                          run the script again)
# The .mo files are committed, so a clean clone serves the translations;
# tests/test_fava_languages.py checks that they are compiled from the .po files as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
DIR=coop_beancount/fava_pages/translations
POT=$DIR/coop.pot
"$PYBABEL" extract -F scripts/babel.cfg -k N_ -k ngettext:1,2 --no-wrap \
    --sort-by-file --project coop-beancount --copyright-holder "coop-beancount" \
    -o "$POT" coop_beancount
if [ "${1:-}" = init ]; then
    "$PYBABEL" init --no-wrap -i "$POT" -d "$DIR" -D coop -l "$2"
fi
"$PYBABEL" update --no-wrap -i "$POT" -d "$DIR" -D coop
"$PYBABEL" compile --statistics -d "$DIR" -D coop
