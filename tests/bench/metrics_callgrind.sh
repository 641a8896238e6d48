#!/usr/bin/env bash
# What /metrics costs the query path (issue 21), in instructions rather than
# seconds: enumd runs under valgrind's callgrind, once with metrics off and
# once with metrics on and scraped, answering the same queries at the same
# rate. Instruction counts do not depend on what else the machine runs, so
# this is the figure to trust on a shared machine (metrics_bench.sh gives
# seconds and qps, which need an idle one).
#   tests/bench/metrics_callgrind.sh [--numbers N] [--queries Q] [--scrapes S]
#                                    [--qps R] [--build DIR] [--workdir DIR]
# Defaults: 100000 numbers, 20000 queries (each once first, to fill the node
# cache, then the measured pass), 20 scrapes, build dir build (symbols are
# needed: RelWithDebInfo), workdir /tmp/enumd-bench. The cost is given per
# query, per scrape, and as a share of the query path at R queries a second
# (default 50000) with one scrape a second.
# Needs valgrind, loadgen (cmake --build build --target bench_tools) and curl.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

NUMBERS=100000 NQ=20000 SCRAPES=20 QPS=50000 BUILD=$ROOT/build WORK=/tmp/enumd-bench SEED=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --numbers) NUMBERS=$2; shift 2 ;;
    --queries) NQ=$2; shift 2 ;;
    --scrapes) SCRAPES=$2; shift 2 ;;
    --qps) QPS=$2; shift 2 ;;
    --build) BUILD=$(cd "$2" && pwd); shift 2 ;;
    --workdir) WORK=$2; shift 2 ;;
    -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
    *) die "unknown option $1 (--help)" ;;
  esac
done
ENUMD=$BUILD/bin/enumd ENUMCTL=$BUILD/bin/enumctl LOADGEN=$BUILD/bin/loadgen
for b in "$ENUMD" "$ENUMCTL" "$LOADGEN"; do [[ -x $b ]] || die "no $b (build it: see --help)"; done
need curl valgrind callgrind_control callgrind_annotate
mkdir -p "$WORK"
RUN=$(mktemp -d "$WORK/metrics-cg.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do stop_tree "$p"; done
  [[ -n ${KEEP:-} ]] || rm -rf "$RUN"
}
trap cleanup EXIT

ensure_zone "$NUMBERS" "$SEED"
STORE=$RUN/store
"$ENUMCTL" import --store "$STORE" --origin e164.arpa. "$ZONE" >&2
head -n "$NQ" "$QUERIES" >"$RUN/queries"

# Inclusive instructions of the function matching $2 in the dump $1 (the
# entry that names its object file: inlined parts are listed again, under
# the header that holds them).
inclusive() {
  callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
    awk -v pat="$2" '$0 ~ pat && /\[\/.*\]$/ && !n { gsub(",", "", $1); n = $1 }
                     END { print n + 0 }'
}
# Instructions of the whole dump (every thread).
total() { awk '/^(summary|totals):/ { print $2; exit }' "$1"; }

# measure MODE: MODE off | on. Sets IR (instructions of the measured pass,
# every thread), HANDLE (inside the query handlers), RENDER (the metrics
# endpoint's thread: the scrapes), RECORD (QueryMetrics::Record), ANSWERED.
measure() {
  local mode=$1 port mport spid i
  port=$(free_port)
  mport=$(free_port "$port")
  {
    echo "listen: [\"127.0.0.1:$port\"]"
    echo "workers: 1"
    echo "store: $STORE"
    echo "log_level: warning"
    echo "zones: [{origin: e164.arpa.}]"
    [[ $mode == off ]] || echo "metrics: {listen: \"127.0.0.1:$mport\"}"
  } >"$RUN/enumd.yaml"
  valgrind --tool=callgrind --callgrind-out-file="$RUN/cg.$mode.%p" \
    "$ENUMD" --config "$RUN/enumd.yaml" >"$RUN/enumd.$mode.log" 2>&1 &
  spid=$!
  PIDS+=("$spid")
  for ((i = 0; i < 300; i++)); do
    dig @127.0.0.1 -p "$port" +time=1 +tries=1 -t soa e164.arpa >/dev/null 2>&1 && break
    sleep 0.2
  done
  # Warm-up: every query once (the node cache), then count from zero.
  "$LOADGEN" --server 127.0.0.1 --port "$port" --queries "$RUN/queries" --sockets 1 \
    --outstanding 16 --count "$NQ" --duration 600 >/dev/null
  callgrind_control -z "$spid" >/dev/null
  "$LOADGEN" --server 127.0.0.1 --port "$port" --queries "$RUN/queries" --sockets 1 \
    --outstanding 16 --count "$NQ" --duration 600 >"$RUN/lg.out"
  ANSWERED=$(awk '$1 == "answered" { print $2 }' "$RUN/lg.out")
  if [[ $mode == on ]]; then
    for ((i = 0; i < SCRAPES; i++)); do
      curl -sf "http://127.0.0.1:$mport/metrics" >/dev/null || die "/metrics did not answer"
    done
  fi
  callgrind_control -d "$spid" >/dev/null
  stop_tree "$spid"
  PIDS=()
  local dump
  dump=$(ls -t "$RUN"/cg."$mode".*.1 2>/dev/null | head -1)
  [[ -n $dump ]] || dump=$(ls -t "$RUN"/cg."$mode".* | head -1)
  IR=$(total "$dump")
  HANDLE=$(inclusive "$dump" 'Handler::Handle\(')
  RENDER=$(inclusive "$dump" 'HttpEndpoint::Run\(')
  RECORD=$(inclusive "$dump" 'QueryMetrics::Record\(')
}

# user_share: enumd's user time / (user + system) at 20000 qps, natively
# (callgrind counts user-space instructions only; the kernel's share of each
# query -- recvmmsg, sendmmsg -- is not in them). Sets USER_SHARE.
user_share() {
  local port spid u0 s0 u1 s1 i
  port=$(free_port)
  printf 'listen: ["127.0.0.1:%s"]\nworkers: 1\nstore: %s\nlog_level: warning\nzones: [{origin: e164.arpa.}]\n' \
    "$port" "$STORE" >"$RUN/enumd.yaml"
  "$ENUMD" --config "$RUN/enumd.yaml" >"$RUN/enumd.native.log" 2>&1 &
  spid=$!
  PIDS+=("$spid")
  for ((i = 0; i < 100; i++)); do
    dig @127.0.0.1 -p "$port" +time=1 +tries=1 -t soa e164.arpa >/dev/null 2>&1 && break
    sleep 0.1
  done
  "$LOADGEN" --server 127.0.0.1 --port "$port" --queries "$RUN/queries" --sockets 1 \
    --outstanding 16 --count "$NQ" --duration 600 >/dev/null
  read -r u0 s0 < <(awk '{ print $14, $15 }' "/proc/$spid/stat")
  "$LOADGEN" --server 127.0.0.1 --port "$port" --queries "$RUN/queries" --sockets 1 \
    --rate 20000 --duration 5 >/dev/null
  read -r u1 s1 < <(awk '{ print $14, $15 }' "/proc/$spid/stat")
  stop_tree "$spid"
  PIDS=()
  USER_SHARE=$(awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) 'BEGIN { printf "%.3f", u + s ? u / (u + s) : 1 }')
}

user_share
log "natively at 20000 qps: user time is $USER_SHARE of enumd's CPU time"
measure off
off_ir=$IR off_handle=$HANDLE off_n=$ANSWERED
log "metrics off: $off_n answered, $off_ir instructions ($off_handle in the handler)"
measure on
on_ir=$IR on_handle=$HANDLE on_n=$ANSWERED on_render=$RENDER on_record=$RECORD
log "metrics on: $on_n answered, $on_ir instructions ($on_handle in the handler, $on_render in $SCRAPES scrapes)"
((off_n > 0 && on_n > 0)) || die "no answers"

awk -v n0="$off_n" -v n1="$on_n" -v t0="$off_ir" -v t1="$on_ir" -v h0="$off_handle" \
  -v h1="$on_handle" -v r="$on_render" -v rec="$on_record" -v s="$SCRAPES" -v qps="$QPS" -v numbers="$NUMBERS" -v us="$USER_SHARE" 'BEGIN {
  q0 = (t0) / n0; q1 = (t1 - r) / n1         # per answered query, every thread
  hq0 = h0 / n0; hq1 = h1 / n1                # inside the query handler
  per_scrape = r / s
  printf "METRICS COST (callgrind instructions)  %d numbers, 1 worker, %d queries measured\n", numbers, n1
  printf "per query, whole process:  off %.0f  on %.0f  (%+.0f, %+.2f%%)\n", q0, q1, q1 - q0, 100 * (q1 - q0) / q0
  printf "per query, in the handler: off %.0f  on %.0f  (%+.0f; QueryMetrics::Record %.0f)\n", hq0, hq1, hq1 - hq0, rec / n1
  printf "per scrape: %.0f instructions\n", per_scrape
  share = 100 * ((q1 - q0) * qps + per_scrape) / (q0 * qps)
  printf "at %d qps and one scrape a second: %+.2f%% of the user-space instructions\n", qps, share
  printf "user time is %.0f%% of enumd'"'"'s CPU (natively, 20000 qps): about %+.2f%% of its CPU (target: < 1%%)\n", 100 * us, share * us
}'
