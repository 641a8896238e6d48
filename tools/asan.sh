#!/usr/bin/env bash
# The whole test suite once more, built with AddressSanitizer and UBSan
# (-DENUMD_SANITIZE=ON) in its own build directory ($BUILD_DIR, default
# build-asan). CI runs it after tools/test.sh; `make asan` is this script.
# The valgrind test is not registered in this build (valgrind and ASan do not
# mix). Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR=${BUILD_DIR:-build-asan}
ENUMD_DEPS=test bash tools/build.sh -DENUMD_SANITIZE=ON -DENUMD_WERROR=ON
cd "$BUILD_DIR"
# Leaks fail the run too (LeakSanitizer is on by default with ASan on Linux).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
ctest --output-on-failure -j2 "$@"
