#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time and fails if any of them
# finds a crash, a sanitizer report, a leak, a timeout or an out-of-memory.
#
#   tools/fuzz.sh [SECONDS_PER_TARGET]     default 10 (CI); see tests/fuzz/README.md
#
# Targets are found from tests/fuzz/corpus/NAME/ (target NAME_fuzz), so a new
# target is picked up by adding its corpus directory. Each runs on a COPY of
# its corpus: the checked-in corpus never grows here. Built with clang,
# libFuzzer, ASan and UBSan (-DENUMD_FUZZ=ON) into $BUILD_DIR (build-fuzz).
#
# Environment:
#   BUILD_DIR        build directory (default build-fuzz)
#   FUZZ_TIMEOUT     seconds one input may take before it counts as a hang (10)
#   FUZZ_RSS_MB      memory limit per target in MB (2048)
#   FUZZ_CORPUS_OUT  keep the grown corpora here (NAME/ each) instead of in a
#                    temp dir that is removed; merge them back by hand
#   FUZZ_TARGETS     space-separated subset of NAMEs (default: all)
# Crashing inputs are kept in $BUILD_DIR/fuzz-artifacts/NAME/ and their paths
# printed. Prints, per target: executions, exec/s, and the coverage libFuzzer
# reached ("cov": instrumented edges, "ft": features) from its final status.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

secs=${1:-10}
[[ $secs =~ ^[1-9][0-9]*$ ]] || { echo "usage: tools/fuzz.sh [SECONDS_PER_TARGET]" >&2; exit 2; }
timeout_s=${FUZZ_TIMEOUT:-10}
rss_mb=${FUZZ_RSS_MB:-2048}
build=${BUILD_DIR:-build-fuzz}

names=()
if [[ -n ${FUZZ_TARGETS:-} ]]; then
  read -r -a names <<<"$FUZZ_TARGETS"
else
  for d in tests/fuzz/corpus/*/; do names+=("$(basename "$d")"); done
fi
[[ ${#names[@]} -gt 0 ]] || { echo "fuzz: no corpus directories in tests/fuzz/corpus" >&2; exit 1; }
for n in "${names[@]}"; do
  [[ -d tests/fuzz/corpus/$n ]] || { echo "fuzz: no corpus tests/fuzz/corpus/$n" >&2; exit 1; }
done

bash tools/deps.sh fuzz
# The project is C++ only; CXX picks clang for a fresh build dir.
CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  -DENUMD_FUZZ=ON -DENUMD_WERROR=ON >/dev/null
grep -q '^CMAKE_CXX_COMPILER:FILEPATH=.*clang' "$build/CMakeCache.txt" ||
  { echo "fuzz: $build was configured with another compiler; remove it or set BUILD_DIR" >&2; exit 1; }
cmake --build "$build" -j"$(nproc)" --target "${names[@]/%/_fuzz}"

work=$(mktemp -d "${TMPDIR:-/tmp}/enumd-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
corpus_root=${FUZZ_CORPUS_OUT:-$work/corpus}
artifacts_root=$root/$build/fuzz-artifacts
[[ $build = /* ]] && artifacts_root=$build/fuzz-artifacts

# halt_on_error: a UBSan finding is a failure, not a warning in the log.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

summary=()
failed=()
for n in "${names[@]}"; do
  bin=$build/bin/${n}_fuzz
  corpus=$corpus_root/$n
  art=$artifacts_root/$n
  log=$work/$n.log
  mkdir -p "$corpus" "$art"
  touch "$work/$n.start"
  cp -a "tests/fuzz/corpus/$n/." "$corpus/"
  echo "== $n: ${secs}s on a copy of tests/fuzz/corpus/$n ($(find "$corpus" -type f | wc -l) inputs)"
  rc=0
  # The outer timeout only guards against libFuzzer itself wedging (e.g. the
  # ptrace hang on -rss_limit_mb described in tests/fuzz/CMakeLists.txt).
  timeout -k 10 $((secs + timeout_s + 120)) "$bin" -max_total_time="$secs" \
    -timeout="$timeout_s" -rss_limit_mb="$rss_mb" -print_final_stats=1 \
    -artifact_prefix="$art/" "$corpus" >"$log" 2>&1 || rc=$?
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
  units=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$done_line")
  if [[ $rc -ne 0 || -z $done_line ]]; then
    failed+=("$n")
    echo "-- $n FAILED (exit $rc); end of its log:"
    tail -n 60 "$log"
    while IFS= read -r f; do
      echo "-- crashing input: $f (replay: $bin $f)"
    done < <(find "$art" -type f -newer "$work/$n.start")
    summary+=("$(printf '%-16s %12s %9s %7s %7s %7s  %s' "$n" "${execs:--}" "${rate:--}" \
      "${cov:--}" "${ft:--}" "${units:--}" "FAILED (exit $rc)")")
  else
    summary+=("$(printf '%-16s %12s %9s %7s %7s %7s  %s' "$n" "$execs" "$rate" "$cov" "$ft" \
      "$units" ok)")
  fi
done

echo
echo "fuzz summary (${secs}s per target, -timeout=$timeout_s -rss_limit_mb=$rss_mb):"
printf '%-16s %12s %9s %7s %7s %7s  %s\n' target execs exec/s cov ft corpus result
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]} (inputs in $artifacts_root)" >&2
  exit 1
fi
[[ -n ${FUZZ_CORPUS_OUT:-} ]] && echo "grown corpora kept in $FUZZ_CORPUS_OUT"
exit 0
