#!/usr/bin/env bash
# Secondary benchmark (issue 20): enumd and Knot DNS as secondaries of the
# same primary (enumd serving a generated ENUM zone from its store), on
# 127.0.0.1. For each secondary, from an empty state: the time until it
# serves the primary's serial (SOA check, AXFR, applying it), its memory at
# the peak and after the transfer, and then, restarted on the state it
# kept, the time to its first authoritative answer for a number.
#
#   tests/bench/secondary_bench.sh [--numbers N] [--servers "enumd knotd"]
#                                  [--seed S] [--build DIR] [--workdir DIR]
#
#   --numbers N   zone size in numbers (default 1000000)
#   --servers L   which secondaries (default "enumd knotd")
#   --build DIR   where bin/enumd and bin/enumctl are (default build-bench)
#   --workdir DIR zones and the primary's store (default /tmp/enumd-bench; cached)
#
# Memory is VmRSS and RssAnon (VmRSS without the pages of mapped files:
# enumd reads its store tables through mmap, and those page-cache pages,
# which the kernel can drop, count in VmRSS). Each secondary runs with one
# worker and Knot's defaults otherwise (zonefile-sync 0: the zone is written
# to a file after the transfer, and read from it at restart).
# Targets (issue 20): RSS <= 0.25x Knot's; first answer after restart < 1 s.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

NUMBERS=1000000 SERVERS="enumd knotd" SEED=1 BUILD="$ROOT/build-bench" WORK=/tmp/enumd-bench
while (($#)); do
  case $1 in
    --numbers) NUMBERS=$2; shift ;;
    --servers) SERVERS=$2; shift ;;
    --seed) SEED=$2; shift ;;
    --build) BUILD=$(cd "$2" && pwd); shift ;;
    --workdir) WORK=$2; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
ENUMD=$BUILD/bin/enumd ENUMCTL=$BUILD/bin/enumctl
[[ -x $ENUMD && -x $ENUMCTL ]] || die "$ENUMD missing: cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release && cmake --build build-bench -j2"
need python3
for s in $SERVERS; do
  case $s in enumd) ;; knotd) need knotd ;; *) die "unknown server $s" ;; esac
done
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
ensure_zone "$NUMBERS" "$SEED"
ensure_store "$WORK/store-$NUMBERS-s$SEED"
# gen_zone.py writes the SOA on one line: "@ IN SOA mname rname ( serial ...".
SERIAL=$(awk '{ gsub(/[()]/, ""); for (i = 1; i < NF; i++) if ($i == "SOA") { print $(i + 3); exit } }' "$ZONE")
[[ $SERIAL =~ ^[0-9]+$ ]] || die "no SOA serial found in $ZONE"
# A number the zone holds: the first NAPTR owner that is not a wildcard.
NAME=$(awk '$2 == "IN" && $3 == "NAPTR" && $1 !~ /\*/ { print $1 ".e164.arpa."; exit }' "$ZONE")
RUN=$(mktemp -d "$WORK/secondary-run.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do stop_tree "$p"; done
  rm -rf "$RUN"
}
trap cleanup EXIT

PPORT=$(free_port)
cat >"$RUN/primary.yaml" <<EOC
listen: ["127.0.0.1:$PPORT"]
workers: 1
store: $WORK/store-$NUMBERS-s$SEED
log_level: warning
zones:
  - origin: e164.arpa.
    transfer: {allow: ["127.0.0.1/32"]}
EOC
"$ENUMD" --config "$RUN/primary.yaml" >"$RUN/primary.log" 2>&1 &
PIDS+=("$!")
python3 "$BENCH_DIR/secondary_probe.py" --pid "$!" --port "$PPORT" --serial "$SERIAL" --timeout 60 \
  >/dev/null || die "the primary did not start; see $RUN/primary.log"
log "primary: enumd on port $PPORT, serial $SERIAL, $NUMBERS numbers"

# start S PORT: starts secondary S on PORT with its state in $RUN/S; sets PID
# and STARTED (Unix time, just before).
start() {
  local s=$1 port=$2 dir=$RUN/$1
  mkdir -p "$dir"
  STARTED=$(date +%s.%N)
  case $s in
    enumd)
      cat >"$dir/enumd.yaml" <<EOC
listen: ["127.0.0.1:$port"]
workers: 1
store: $dir/store
log_level: info
zones:
  - origin: e164.arpa.
    primaries: [{address: 127.0.0.1, port: $PPORT}]
    transfer_in: {timeout: 3600, max_mb: 16384}
EOC
      "$ENUMD" --config "$dir/enumd.yaml" >>"$dir/enumd.log" 2>&1 &
      ;;
    knotd)
      cat >"$dir/knot.conf" <<EOC
server:
    rundir: $dir
    listen: 127.0.0.1@$port
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: $dir
log:
  - target: $dir/knotd.log
    any: info
remote:
  - id: primary
    address: 127.0.0.1@$PPORT
template:
  - id: default
    storage: $dir
zone:
  - domain: e164.arpa.
    master: primary
    semantic-checks: off
EOC
      knotd -c "$dir/knot.conf" >>"$dir/knotd.out" 2>&1 &
      ;;
  esac
  PID=$!
  PIDS+=("$PID")
}

printf 'server\ttransfer_s\tpeak_rss_MB\tpeak_anon_MB\trss_after_MB\tanon_after_MB\trestart_first_answer_s\trestart_rss_MB\trestart_anon_MB\n' \
  >"$WORK/secondary-$NUMBERS.tsv"
for s in $SERVERS; do
  port=$(free_port "$PPORT")
  start "$s" "$port"
  log "$s: secondary on port $port (pid $PID), transferring"
  read -r t peak apeak rss anon < <(python3 "$BENCH_DIR/secondary_probe.py" --pid "$PID" \
    --port "$port" --serial "$SERIAL" --settle 5 --started "$STARTED") || die "$s did not get the zone; see $RUN/$s"
  log "$s: serial $SERIAL served after $t s; peak RSS $((peak / 1024)) MiB (anon $((apeak / 1024)))"
  stop_tree "$PID"
  start "$s" "$port"
  read -r rt _ _ rrss ranon < <(python3 "$BENCH_DIR/secondary_probe.py" --pid "$PID" \
    --port "$port" --name "$NAME" --type 35 --settle 5 --started "$STARTED") || die "$s did not restart; see $RUN/$s"
  log "$s: restarted, first answer for $NAME after $rt s"
  stop_tree "$PID"
  awk -v s="$s" -v t="$t" -v p="$peak" -v ap="$apeak" -v r="$rss" -v a="$anon" -v rt="$rt" \
      -v rr="$rrss" -v ra="$ranon" 'BEGIN {
      printf "%s\t%.1f\t%.0f\t%.0f\t%.0f\t%.0f\t%.3f\t%.0f\t%.0f\n",
      s, t, p / 1024, ap / 1024, r / 1024, a / 1024, rt, rr / 1024, ra / 1024 }' \
    | tee -a "$WORK/secondary-$NUMBERS.tsv"
done
log "raw figures: $WORK/secondary-$NUMBERS.tsv"
