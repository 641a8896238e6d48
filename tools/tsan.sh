#!/usr/bin/env bash
# The whole test suite once more, built with ThreadSanitizer (-DENUMD_TSAN=ON)
# in its own build directory ($BUILD_DIR, default build-tsan): every unit
# test and every system test runs the TSan-built enumd and enumctl, among
# them the reload stress test (issue 18). Any report fails the run
# (halt_on_error). CI runs it after tools/asan.sh; `make tsan` is this
# script. Extra arguments go to ctest.
#
# RocksDB, libuv and ldns come from Debian and are not instrumented: TSan
# sees their locks (pthread) but not their own atomics. tests/tsan.supp
# lists the reports that stem from that, each with its reason.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export BUILD_DIR=${BUILD_DIR:-build-tsan}
ENUMD_DEPS=test bash tools/build.sh -DENUMD_TSAN=ON -DENUMD_WERROR=ON
cd "$BUILD_DIR"
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:die_after_fork=0:history_size=4:suppressions=$root/tests/tsan.supp}
ctest --output-on-failure -j2 "$@"
