#!/usr/bin/env bash
# Import benchmark: `enumctl import` of a generated ENUM zone (records/s, peak
# RSS) next to named-checkzone and kzonecheck reading the same file.
#
#   tests/bench/import_bench.sh [--numbers N] [--ten-million] [--repeat R]
#                               [--seed S] [--build DIR] [--workdir DIR]
#
#   --numbers N      zone size in numbers (default 1000000)
#   --ten-million    also run at 10,000,000 numbers (~1.2 GB zone file, a few
#                    GB of store and page cache; refused with < 15 GiB free)
#   --repeat R       repetitions per tool, interleaved (default 3)
#   --build DIR      where bin/enumctl is (default build-bench)
#   --workdir DIR    zones and stores (default /tmp/enumd-bench; zones are
#                    cached there between runs, stores are removed)
#   --skip-others    only enumctl (no named-checkzone / kzonecheck)
#
# Prints one table per zone size: median [min-max] of wall time, records/s,
# user+sys CPU and peak RSS per tool, and the issue's targets.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

NUMBERS=(1000000) REPEAT=3 SEED=1 BUILD="$ROOT/build-bench" WORK=/tmp/enumd-bench OTHERS=1
while (($#)); do
  case $1 in
    --numbers) NUMBERS=("$2"); shift ;;
    --ten-million) NUMBERS+=(10000000) ;;
    --repeat) REPEAT=$2; shift ;;
    --seed) SEED=$2; shift ;;
    --build) BUILD=$(cd "$2" && pwd); shift ;;
    --workdir) WORK=$2; shift ;;
    --skip-others) OTHERS=0 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
ENUMCTL=$BUILD/bin/enumctl
[[ -x $ENUMCTL ]] || die "$ENUMCTL missing: cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release && cmake --build build-bench -j2"
need python3 /usr/bin/time
((OTHERS)) && need named-checkzone kzonecheck
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
STORE="$WORK/import-store"
trap 'rm -rf "$STORE" "$WORK"/import-*.time' EXIT

for n in "${NUMBERS[@]}"; do
  df -h "$WORK" >&2
  if ((n >= 10000000)) && (($(free_gib "$WORK") < 15)); then
    log "skipping $n numbers: less than 15 GiB free on $WORK"
    continue
  fi
  ensure_zone "$n" "$SEED"
  RECORDS=$(meta records)
  RESULTS="$WORK/import-$n.tsv"
  : >"$RESULTS"
  log "$n numbers, $RECORDS records, $(du -h "$ZONE" | cut -f1); $REPEAT rounds"
  cat "$ZONE" >/dev/null  # page cache warm for every tool alike
  for ((r = 1; r <= REPEAT; r++)); do
    rm -rf "$STORE"
    /usr/bin/time -v -o "$WORK/import-enumctl.time" \
      "$ENUMCTL" import --store "$STORE" --origin e164.arpa. "$ZONE" >&2 ||
      die "enumctl import failed"
    read -r wall user sys rss <<<"$(time_v "$WORK/import-enumctl.time")"
    store_mb=$(du -sm "$STORE" | cut -f1)
    printf 'enumctl import\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
      "$r" "$RECORDS" "$wall" "$user" "$sys" "$rss" "$store_mb" >>"$RESULTS"
    rm -rf "$STORE"
    if ((OTHERS)); then
      # -i local: no integrity lookups of out-of-zone names (no traffic at all)
      /usr/bin/time -v -o "$WORK/import-named.time" \
        named-checkzone -i local e164.arpa. "$ZONE" >/dev/null || die "named-checkzone failed"
      read -r wall user sys rss <<<"$(time_v "$WORK/import-named.time")"
      printf 'named-checkzone\t%s\t%s\t%s\t%s\t%s\t%s\t-\n' \
        "$r" "$RECORDS" "$wall" "$user" "$sys" "$rss" >>"$RESULTS"
      /usr/bin/time -v -o "$WORK/import-knot.time" \
        kzonecheck -o e164.arpa. "$ZONE" >/dev/null || die "kzonecheck failed"
      read -r wall user sys rss <<<"$(time_v "$WORK/import-knot.time")"
      printf 'kzonecheck\t%s\t%s\t%s\t%s\t%s\t%s\t-\n' \
        "$r" "$RECORDS" "$wall" "$user" "$sys" "$rss" >>"$RESULTS"
    fi
    log "round $r done"
  done
  python3 "$BENCH_DIR/report.py" import "$RESULTS" --numbers "$n"
done
