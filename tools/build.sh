#!/usr/bin/env bash
# Builds enumd and enumctl into $BUILD_DIR/bin (default build/), installing the
# Debian packages it needs first. The Docker image's build stage runs this too.
#   BUILD_DIR=build-asan tools/build.sh -DENUMD_SANITIZE=ON
#   BUILD_TARGETS="enumd enumctl" tools/build.sh   only those (the Docker image)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh "${ENUMD_DEPS:-build}"
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
targets=()
for t in ${BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build" -j"$(nproc)" "${targets[@]}"
