#!/usr/bin/env bash
# The README's "test" command: installs what the tests need, builds, and runs
# the whole suite (doctest unit tests, system tests against the real binaries
# with BIND 9 as the reference) through CTest. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ENUMD_DEPS=test bash tools/build.sh -DENUMD_WERROR=ON
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j2 "$@"
