#!/usr/bin/env bash
# kill -9 at random points during `enumctl import` (of a generated zone) and
# during sequences of `enumctl add`/`del`, then checks the store (issue 7):
# it opens, the zone is the old or the new version whole, every add/del that
# exited 0 is there, and enumd starts on it and answers.
#
#   tests/bench/kill9_bench.sh [--runs N] [--numbers N] [--seed S] [--workdir DIR]
#       --runs     kill runs, alternating import and add/del (default 100)
#       --numbers  numbers per generated zone version (default 150000,
#                  about 180,000 records)
#   BUILD_DIR=build-asan tests/bench/kill9_bench.sh     binaries of another build
#
# Prints one line per run and a summary (runs, old/new outcomes, failures);
# exits 1 if any run failed, keeping the store for a look. The checks live in
# tests/system/crash_check.py, which test_crash_safety.py runs a few times.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${BUILD_DIR:-$ROOT/build}/bin
[[ $bin = /* ]] || bin=$ROOT/$bin
for t in enumd enumctl; do
  [[ -x $bin/$t ]] || { echo "kill9_bench: no $bin/$t (build first, or set BUILD_DIR)" >&2; exit 1; }
done
# Debian's python3 has dnspython (the harness needs it); a pyenv one may not.
exec /usr/bin/python3 "$ROOT/tests/system/crash_check.py" --bin-dir "$bin" "$@"
