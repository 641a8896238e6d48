#!/usr/bin/env bash
# Serving benchmark: enumd beside knotd and nsd on the same generated zone and
# query file, each with one worker, on 127.0.0.1 only.
#
#   tests/bench/serve_bench.sh [--numbers N] [--repeat R] [--duration S]
#                              [--rate Q] [--servers "enumd knotd nsd"]
#                              [--seed S] [--build DIR] [--workdir DIR]
#
#   --numbers N    zone size (default 1000000)
#   --repeat R     rounds; each round runs every server once, in turn (default 3)
#   --duration S   seconds per dnsperf run (default 15)
#   --rate Q       offered qps of the fixed-rate CPU run (default 20000)
#   --servers L    which servers (default "enumd knotd nsd")
#   --build DIR    where bin/enumd and bin/enumctl are (default build-bench)
#   --workdir DIR  zones, store, server state (default /tmp/enumd-bench)
#
# Each server runs pinned to CPU 0 (taskset -c 0), dnsperf to CPU 1. Per
# server and round it measures, in this order:
#   start     ms from exec to the first correct answer (NOERROR, AA, the
#             expected NAPTR) to a UDP query repeated every 10 ms; knotd and
#             nsd load the zone file here, enumd opens the imported store
#   warm-up   dnsperf 3 s, UDP (not reported)
#   UDP       dnsperf -l S -c 8, unlimited rate: qps, average latency, lost
#   TCP       dnsperf -m tcp -l S -c 8: qps
#   fixed     dnsperf -Q RATE -l S -c 8; server utime+stime (all its threads
#             and processes, /proc/PID/stat) divided by answered queries
#   memory    RSS and PSS of the server's processes after those runs
# Before the rounds all servers answer the generator's sample names (existing,
# wildcard-covered, nonexistent, large) and must agree (dnsprobe.py compare).
# Servers are stopped (SIGTERM, then SIGKILL) on exit, whatever happens.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

NUMBERS=1000000 REPEAT=3 DURATION=15 RATE=20000 SEED=1
SERVERS="enumd knotd nsd" BUILD="$ROOT/build-bench" WORK=/tmp/enumd-bench
while (($#)); do
  case $1 in
    --numbers) NUMBERS=$2; shift ;;
    --repeat) REPEAT=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --rate) RATE=$2; shift ;;
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
[[ -x $ENUMD && -x $ENUMCTL ]] || die "$BUILD/bin/enumd or enumctl missing (see tests/bench/README.md)"
need python3 dnsperf taskset
for s in $SERVERS; do
  case $s in
    enumd) ;; knotd) need knotd ;; nsd) need nsd ;;
    *) die "unknown server $s" ;;
  esac
done
(($(nproc) >= 2)) || die "needs 2 CPUs (server on CPU 0, dnsperf on CPU 1)"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
RUN="$WORK/serve"
rm -rf "$RUN"
mkdir -p "$RUN"

PIDS=()
cleanup() {
  set +e
  local p
  for p in "${PIDS[@]}"; do stop_tree "$p"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_zone "$NUMBERS" "$SEED"
PROBE_NAME=$(meta 'probe["name"]') PROBE_EXPECT=$(meta 'probe["expect"]')

# enumd's store: imported once per zone file (import speed: import_bench.sh).
STORE="$WORK/store-$NUMBERS-s$SEED"
if [[ ! -f $STORE/.imported || $ZONE -nt $STORE/.imported || $ENUMCTL -nt $STORE/.imported ]]; then
  rm -rf "$STORE"
  log "importing $ZONE into $STORE"
  "$ENUMCTL" import --store "$STORE" --origin e164.arpa. "$ZONE" >&2 || die "import failed"
  touch "$STORE/.imported"
fi

declare -A PORT
taken=()
for s in $SERVERS; do
  PORT[$s]=$(free_port "${taken[@]}")
  taken+=("${PORT[$s]}")
done
log "ports: $(for s in $SERVERS; do printf '%s=%s ' "$s" "${PORT[$s]}"; done)"

cat >"$RUN/knot.conf" <<EOF
server:
    rundir: $RUN/knot
    listen: 127.0.0.1@${PORT[knotd]:-0}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: $RUN/knot/db
log:
  - target: $RUN/knot/knotd.log
    any: warning
template:
  - id: default
    storage: $RUN/knot
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: e164.arpa.
    file: $ZONE
EOF

# NSD: no response rate limiting (on by default in Debian's build: 200 qps),
# no nsd.db (reads the zone file at start), no privilege drop.
cat >"$RUN/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@${PORT[nsd]:-0}
    port: ${PORT[nsd]:-0}
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$RUN/nsd"
    database: ""
    zonelistfile: "$RUN/nsd/zone.list"
    xfrdfile: "$RUN/nsd/xfrd.state"
    xfrdir: "$RUN/nsd"
    pidfile: "$RUN/nsd/nsd.pid"
    logfile: "$RUN/nsd/nsd.log"
    verbosity: 0
    hide-version: yes
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: e164.arpa.
    zonefile: $ZONE
EOF

# start SERVER: starts it pinned to CPU 0 on a fresh state directory; sets
# SPID and START_MS (exec to first correct answer).
start() {
  local s=$1 cmd
  case $s in
    enumd) cmd=("$ENUMD" --store "$STORE" --listen "127.0.0.1:${PORT[enumd]}"
                --zone e164.arpa. --workers 1 --log-level warning) ;;
    knotd) rm -rf "$RUN/knot"; mkdir -p "$RUN/knot/db"; cmd=(knotd -c "$RUN/knot.conf") ;;
    nsd) rm -rf "$RUN/nsd"; mkdir -p "$RUN/nsd"; cmd=(nsd -d -c "$RUN/nsd.conf") ;;
  esac
  rm -f "$RUN/$s.pid"
  if ! START_MS=$(python3 "$BENCH_DIR/dnsprobe.py" start --quiet --port "${PORT[$s]}" \
      --name "$PROBE_NAME" --expect "$PROBE_EXPECT" --pidfile "$RUN/$s.pid" --timeout 600 \
      -- taskset -c 0 "${cmd[@]}"); then
    [[ -s $RUN/$s.pid ]] && PIDS+=("$(cat "$RUN/$s.pid")")
    die "$s did not answer correctly"
  fi
  SPID=$(cat "$RUN/$s.pid")
  PIDS+=("$SPID")
}

stop() {
  stop_tree "$SPID"
  local keep=() p
  for p in "${PIDS[@]}"; do if [[ $p != "$SPID" ]]; then keep+=("$p"); fi; done
  PIDS=("${keep[@]}")
}

# run_dnsperf ARGS...: runs dnsperf on CPU 1 against 127.0.0.1 and prints
# "qps completed lost avg_latency_ms".
run_dnsperf() {
  taskset -c 1 dnsperf -s 127.0.0.1 -d "$QUERIES" -c 8 -t 2 "$@" 2>&1 | awk '
    /Queries completed:/ { c = $3 } /Queries lost:/ { l = $3 }
    /Queries per second:/ { q = $4 }
    /Average Latency \(s\):/ && !lat { lat = $4 * 1000 }
    END { if (q == "") exit 1; printf "%s %s %s %s\n", q, c, l, lat }'
}

# Cross-check: every server gives the same answers to the sample names.
log "cross-check of answers"
ports="" CHECK_PIDS=""
for s in $SERVERS; do
  start "$s"
  log "$s up in $START_MS ms"
  ports+="${ports:+,}$s=${PORT[$s]}"
  CHECK_PIDS+=" $SPID"
done
python3 "$BENCH_DIR/dnsprobe.py" compare --ports "$ports" --meta "$META" >&2 ||
  die "the servers disagree; fix that before comparing speed"
for p in $CHECK_PIDS; do SPID=$p; stop; done

RESULTS="$WORK/serve-$NUMBERS.tsv"
: >"$RESULTS"
rec() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"; }
for ((r = 1; r <= REPEAT; r++)); do
  for s in $SERVERS; do
    log "round $r/$REPEAT: $s"
    start "$s"
    rec "$s" "$r" start_ms "$START_MS"
    p=${PORT[$s]}
    run_dnsperf -p "$p" -l 3 >/dev/null || die "dnsperf warm-up failed"
    read -r qps answered lost lat <<<"$(run_dnsperf -p "$p" -l "$DURATION")"
    rec "$s" "$r" udp_qps "$qps"; rec "$s" "$r" udp_lat_ms "$lat"; rec "$s" "$r" udp_lost "$lost"
    read -r qps answered lost lat <<<"$(run_dnsperf -p "$p" -l "$DURATION" -m tcp)"
    rec "$s" "$r" tcp_qps "$qps"
    t0=$(cpu_ticks "$SPID")
    read -r qps answered lost lat <<<"$(run_dnsperf -p "$p" -l "$DURATION" -Q "$RATE")"
    t1=$(cpu_ticks "$SPID")
    rec "$s" "$r" fixed_qps "$qps"; rec "$s" "$r" fixed_lost "$lost"
    rec "$s" "$r" cpu_us "$(awk -v t=$((t1 - t0)) -v n="$answered" -v hz="$(getconf CLK_TCK)" \
      'BEGIN { printf "%.3f", n ? t / hz * 1e6 / n : 0 }')"
    read -r rss pss <<<"$(mem_kb "$SPID")"
    rec "$s" "$r" rss_mib "$((rss / 1024))"; rec "$s" "$r" pss_mib "$((pss / 1024))"
    stop
    log "round $r/$REPEAT: $s done ($(grep -c "^$s	$r	" "$RESULTS") figures)"
  done
done

python3 "$BENCH_DIR/report.py" serve "$RESULTS" --title "$NUMBERS numbers, 1 worker each \
on CPU 0, dnsperf on CPU 1, $DURATION s runs, fixed rate $RATE qps"
