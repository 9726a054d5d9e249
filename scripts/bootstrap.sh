#!/usr/bin/env bash
# Make .venv/ with coop-beancount (editable) and its test tools, on a fresh
# machine with nothing but Python 3.11+. Safe to run again: it only installs
# what is missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "bootstrap: Python 3.11 or newer is needed (found: $("$PYTHON" --version 2>&1))" >&2
    exit 1
fi
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
apt_install() {  # Debian packages, quietly; what is installed is said on stderr
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
if ! command -v git >/dev/null 2>&1; then
    echo "bootstrap: installing git (needed by coop init and its tests)" >&2
    apt_install git
fi
# The browser tests (tests/test_fava_browser.py) drive Debian's Chromium with Playwright
# (from PyPI, in the test extra); Playwright's own browser download is not used.
if [ ! -x /usr/bin/chromium ]; then
    if command -v apt-get >/dev/null 2>&1; then
        echo "bootstrap: installing chromium (for the browser tests of the Fava pages)" >&2
        apt_install chromium
    else
        echo "bootstrap: no /usr/bin/chromium and no apt-get: the browser tests will skip" \
             "(or fail under CI)" >&2
    fi
fi
# PDF output (the pdf extra: WeasyPrint) loads Pango and fonts from the system; the tests
# render PDFs, so they are installed here (tests/test_pdf.py).
if ! ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' \
        || ! ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset.so.0' \
        || ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list 2>/dev/null | head -1)" ]; then
    if command -v apt-get >/dev/null 2>&1; then
        echo "bootstrap: installing Pango and fonts (for PDF output through WeasyPrint)" >&2
        apt_install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig \
            fonts-dejavu-core
    else
        echo "bootstrap: no Pango and no apt-get: the PDF tests will fail" >&2
    fi
fi
if [ ! -x .venv/bin/python ]; then
    echo "bootstrap: creating .venv" >&2
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.coop-installed
if [ ! -f "$stamp" ] || [ setup.cfg -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "bootstrap: installing coop-beancount and its dependencies into .venv" >&2
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[test,pdf]"
    touch "$stamp"
fi
