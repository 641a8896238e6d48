#!/usr/bin/env bash
# What /metrics costs the query path (issue 21): enumd's maximum UDP rate
# with metrics off, and with metrics on and scraped every second, in
# alternating rounds on the same store, queries and CPUs.
#   tests/bench/metrics_bench.sh [--numbers N] [--duration S] [--rounds R]
#                                [--workers W] [--build DIR] [--workdir DIR]
# Defaults: 100000 numbers, 10 s per measurement, 5 rounds, 1 worker, build
# dir build-bench (a Release build: see README), workdir /tmp/enumd-bench,
# --rate 20000 for the CPU figure.
# Two figures per mode: the maximum rate (closed loop), and enumd's CPU time
# per answered query at a fixed rate (--rate), which a machine shared with
# other work disturbs much less than the maximum. Prints each round's figures
# and the medians; the target is < 1% apart.
# Needs loadgen (cmake --build build-bench --target bench_tools) and curl.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

NUMBERS=100000 DURATION=10 ROUNDS=5 WORKERS=1 BUILD=$ROOT/build-bench WORK=/tmp/enumd-bench
SEED=1 OUTSTANDING=64 SOCKETS=2 RATE=20000
while [[ $# -gt 0 ]]; do
  case $1 in
    --numbers) NUMBERS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --build) BUILD=$(cd "$2" && pwd); shift 2 ;;
    --workdir) WORK=$2; shift 2 ;;
    -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
    *) die "unknown option $1 (--help)" ;;
  esac
done
ENUMD=$BUILD/bin/enumd ENUMCTL=$BUILD/bin/enumctl LOADGEN=$BUILD/bin/loadgen
for b in "$ENUMD" "$ENUMCTL" "$LOADGEN"; do [[ -x $b ]] || die "no $b (build it: see --help)"; done
need curl taskset
mkdir -p "$WORK"
RUN=$(mktemp -d "$WORK/metrics.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do stop_tree "$p"; done
  rm -rf "$RUN"
}
trap cleanup EXIT

ensure_zone "$NUMBERS" "$SEED"
STORE=$RUN/store
"$ENUMCTL" import --store "$STORE" --origin e164.arpa. "$ZONE" >&2
NQUERIES=$(wc -l <"$QUERIES")

# The server on CPUs 0..W-1, loadgen and the scraper on the next one.
pin "$WORKERS"

# measure MODE: one round of MODE (off | on); sets QPS to the max qps and
# CPU_US to enumd's CPU microseconds per answered query at RATE. Runs
# in this shell (not $(...)), so that the EXIT trap knows every pid.
measure() {
  local mode=$1 port mport spid scraper="" i
  port=$(free_port)
  mport=$(free_port "$port")
  {
    echo "listen: [\"127.0.0.1:$port\"]"
    echo "workers: $WORKERS"
    echo "store: $STORE"
    echo "log_level: warning"
    echo "zones: [{origin: e164.arpa.}]"
    [[ $mode == off ]] || echo "metrics: {listen: \"127.0.0.1:$mport\"}"
  } >"$RUN/enumd.yaml"
  taskset -c "$SCPU" "$ENUMD" --config "$RUN/enumd.yaml" >"$RUN/enumd.log" 2>&1 &
  spid=$!
  PIDS+=("$spid")
  for ((i = 0; i < 100; i++)); do
    dig @127.0.0.1 -p "$port" +time=1 +tries=1 -t soa e164.arpa >/dev/null 2>&1 && break
    sleep 0.1
  done
  if [[ $mode == on ]]; then
    # A scrape every second, as a busy Prometheus would do at most.
    (while sleep 1; do curl -sf "http://127.0.0.1:$mport/metrics" >/dev/null || exit 1; done) &
    scraper=$!
    PIDS+=("$scraper")
  fi
  # Warm-up (every query once: the node cache), then the measurement.
  taskset -c "$CCPU" "$LOADGEN" --server 127.0.0.1 --port "$port" --queries "$QUERIES" \
    --sockets "$SOCKETS" --outstanding "$OUTSTANDING" --count "$NQUERIES" --duration 600 >/dev/null
  taskset -c "$CCPU" "$LOADGEN" --server 127.0.0.1 --port "$port" --queries "$QUERIES" \
    --sockets "$SOCKETS" --outstanding "$OUTSTANDING" --duration "$DURATION" >"$RUN/lg.out"
  QPS=$(awk '$1 == "qps" { print $2 }' "$RUN/lg.out")
  local t0 t1
  t0=$(cpu_ticks "$spid")
  taskset -c "$CCPU" "$LOADGEN" --server 127.0.0.1 --port "$port" --queries "$QUERIES" \
    --sockets "$SOCKETS" --rate "$RATE" --duration "$DURATION" >"$RUN/lg.out"
  t1=$(cpu_ticks "$spid")
  CPU_US=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
    -v n="$(awk '$1 == "answered" { print $2 }' "$RUN/lg.out")" \
    'BEGIN { printf "%.3f", n ? t / hz * 1e6 / n : 0 }')
  if [[ -n $scraper ]]; then
    [[ -d /proc/$scraper ]] || die "the scraper stopped: /metrics did not answer"
    curl -sf "http://127.0.0.1:$mport/metrics" | grep '^enumd_queries_total' >&2
    stop_tree "$scraper"
  fi
  stop_tree "$spid"
  PIDS=()
}

off=() on=() off_cpu=() on_cpu=()
for ((r = 1; r <= ROUNDS; r++)); do
  # Alternate which goes first, so a drift of the machine hits both.
  if ((r % 2)); then order="off on"; else order="on off"; fi
  for mode in $order; do
    measure "$mode"
    log "round $r/$ROUNDS metrics $mode: max $QPS qps; $CPU_US CPU us/query at $RATE qps"
    if [[ $mode == off ]]; then
      off+=("$QPS") off_cpu+=("$CPU_US")
    else
      on+=("$QPS") on_cpu+=("$CPU_US")
    fi
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
m_off=$(median "${off[@]}") m_on=$(median "${on[@]}")
c_off=$(median "${off_cpu[@]}") c_on=$(median "${on_cpu[@]}")
echo "METRICS COST  $NUMBERS numbers, $WORKERS worker(s) on CPUs $SCPU, load on $CCPU, $ROUNDS rounds of $DURATION s"
echo "metrics off            max qps: ${off[*]}  median $m_off"
echo "metrics on, scraped/s  max qps: ${on[*]}  median $m_on"
awk -v a="$m_off" -v b="$m_on" 'BEGIN { printf "max qps difference: %+.2f%% (target: within 1%%)\n", 100 * (b - a) / a }'
echo "metrics off            CPU us/query at $RATE qps: ${off_cpu[*]}  median $c_off"
echo "metrics on, scraped/s  CPU us/query at $RATE qps: ${on_cpu[*]}  median $c_on"
awk -v a="$c_off" -v b="$c_on" 'BEGIN { printf "CPU per query difference: %+.2f%%\n", 100 * (b - a) / a }'
