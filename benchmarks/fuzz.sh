#!/bin/sh
# The long fuzz run: tests/test_fuzz.py with many more examples than the default 200.
#
#     benchmarks/fuzz.sh            # 20,000 examples per target (about 25 minutes, 2 cores)
#     benchmarks/fuzz.sh 100000     # longer
#
# Every target must end in a clean error, never a crash; a failing input is printed by
# Hypothesis: keep it as an @example in tests/test_fuzz.py once the library is fixed.
set -eu
cd "$(dirname "$0")/.."
COOP_FUZZ_EXAMPLES="${1:-20000}" BEANCOUNT_DISABLE_LOAD_CACHE=1 \
    exec .venv/bin/python -m pytest -q tests/test_fuzz.py
