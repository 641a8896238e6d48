#!/usr/bin/env bash
# Serving benchmark: enumd beside knotd and nsd on the same generated zone and
# query file, with 1 and with 2 workers each, on 127.0.0.1 only.
#
#   tests/bench/serve_bench.sh [--numbers N] [--repeat R] [--duration S]
#                              [--rate Q] [--xrate Q] [--workers "1 2"]
#                              [--sockets K] [--outstanding N]
#                              [--servers "enumd knotd nsd"] [--seed S]
#                              [--build DIR] [--workdir DIR]
#
#   --numbers N      zone size (default 1000000)
#   --repeat R       rounds; each round runs every server once per worker
#                    count, in turn (default 3)
#   --duration S     seconds per measured run (default 15)
#   --rate Q         offered qps of the fixed-rate CPU run (default 50000)
#   --xrate Q        offered qps of the loadgen-vs-dnsperf check (default 10000)
#   --workers L      worker counts to measure (default "1 2")
#   --sockets K      loadgen's UDP sockets = source ports (default 8)
#   --outstanding N  loadgen's queries in flight for max qps (default 256)
#   --servers L      which servers (default "enumd knotd nsd")
#   --build DIR      where bin/enumd, bin/enumctl, bin/loadgen and
#                    bin/ceiling_responder are (default build-bench)
#   --workdir DIR    zones, store, server state (default /tmp/enumd-bench)
#
# Pinning: with W workers on a machine with more than W CPUs the server runs
# on CPUs 0..W-1 (taskset) and the load generators on CPU W; otherwise (2
# workers on 2 CPUs) server and generators share all CPUs. enumd runs with
# --workers W, knotd with udp-workers/tcp-workers W, nsd with server-count W
# and reuseport. Per worker count, round and server it measures, in order:
#   start     ms from exec to the first correct answer (NOERROR, AA, the
#             expected NAPTR) to a UDP query repeated every 10 ms; knotd and
#             nsd load the zone file here, enumd opens the imported store
#   warm-up   loadgen closed loop, every query of the file once: steady
#             state for what follows; its qps is reported as the cold figure
#   max       loadgen closed loop, --outstanding N over K sockets: answered qps
#   p99       loadgen open loop at half that server's max: latency percentiles
#   p99 knotd loadgen open loop at half knotd's max in this round (knotd runs
#             first): the same, at a load that is the same for every server
#   fixed     loadgen open loop at --rate: server utime+stime (all its threads
#             and processes, /proc/PID/stat) divided by answered queries,
#             and latency percentiles at that load, the same for every server
#   UDP       dnsperf -c 8, unlimited rate: qps, average latency, lost
#   TCP       dnsperf -m tcp -c 8: qps
#   xcheck    (1 worker only) dnsperf -Q XRATE and loadgen --rate XRATE, one
#             after the other: answered qps and NXDOMAIN share of each
#   memory    RSS and PSS of the server's processes after those runs
# The loopback ceiling: ceiling_responder (answers every datagram with a fixed
# reply, no lookup) with W threads, pinned like a server, measured the same
# way (max, p99, fixed; no dnsperf); each server's max is also given as a
# percentage of it. Before the rounds all servers answer the generator's
# sample names (existing, wildcard-covered, nonexistent, large) and must agree
# (dnsprobe.py compare). Servers are stopped (SIGTERM, then SIGKILL) on exit,
# whatever happens.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

NUMBERS=1000000 REPEAT=3 DURATION=15 RATE=50000 XRATE=10000 SEED=1
WORKERS="1 2" SOCKETS=8 OUTSTANDING=256
SERVERS="enumd knotd nsd" BUILD="$ROOT/build-bench" WORK=/tmp/enumd-bench
while (($#)); do
  case $1 in
    --numbers) NUMBERS=$2; shift ;;
    --repeat) REPEAT=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --xrate) XRATE=$2; shift ;;
    --workers) WORKERS=$2; shift ;;
    --sockets) SOCKETS=$2; shift ;;
    --outstanding) OUTSTANDING=$2; shift ;;
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
LOADGEN=$BUILD/bin/loadgen CEILING=$BUILD/bin/ceiling_responder
[[ -x $ENUMD && -x $ENUMCTL ]] || die "$BUILD/bin/enumd or enumctl missing (see tests/bench/README.md)"
[[ -x $LOADGEN && -x $CEILING ]] ||
  die "$BUILD/bin/loadgen or ceiling_responder missing (cmake --build $BUILD --target bench_tools)"
need python3 dnsperf taskset
for s in $SERVERS; do
  case $s in
    enumd) ;; knotd) need knotd ;; nsd) need nsd ;;
    *) die "unknown server $s" ;;
  esac
done
[[ -n $WORKERS ]] || die "--workers needs at least one count"
for w in $WORKERS; do [[ $w =~ ^[1-9][0-9]?$ ]] || die "--workers takes counts 1..99, not '$w'"; done
for v in RATE XRATE SOCKETS OUTSTANDING DURATION REPEAT; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "--${v,,} takes a positive integer, not '${!v}'"
done
(($(nproc) >= 2)) || die "needs 2 CPUs (server on CPU 0, load generators on CPU 1)"
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
NQUERIES=$(grep -cv '^\(;\|$\)' "$QUERIES")

# enumd's store: imported once per zone file (import speed: import_bench.sh).
STORE="$WORK/store-$NUMBERS-s$SEED"
ensure_store "$STORE"

declare -A PORT
taken=()
for s in $SERVERS ceiling; do
  PORT[$s]=$(free_port "${taken[@]}")
  taken+=("${PORT[$s]}")
done
log "ports: $(for s in $SERVERS ceiling; do printf '%s=%s ' "$s" "${PORT[$s]}"; done)"

# Configs for every measured worker count and for 1 (the cross-check).
for w in $(printf '%s\n' 1 $WORKERS | sort -un); do
  knot_conf "$RUN/knot-w$w.conf" "$w" "${PORT[knotd]:-0}" "$RUN/knot"

  nsd_conf "$RUN/nsd-w$w.conf" "$w" "${PORT[nsd]:-0}" "$RUN/nsd"
done

# start SERVER W: starts it with W workers pinned to SCPU on a fresh state
# directory; sets SPID and START_MS (exec to first correct answer). The
# ceiling responder serves no zone: it is up once it says it is listening.
start() {
  local s=$1 w=$2 cmd i
  case $s in
    enumd) cmd=("$ENUMD" --store "$STORE" --listen "127.0.0.1:${PORT[enumd]}"
                --zone e164.arpa. --workers "$w" --log-level warning) ;;
    knotd) rm -rf "$RUN/knot"; mkdir -p "$RUN/knot/db"; cmd=(knotd -c "$RUN/knot-w$w.conf") ;;
    nsd) rm -rf "$RUN/nsd"; mkdir -p "$RUN/nsd"; cmd=(nsd -d -c "$RUN/nsd-w$w.conf") ;;
    ceiling)
      taskset -c "$SCPU" "$CEILING" --port "${PORT[ceiling]}" --threads "$w" >"$RUN/ceiling.out" &
      SPID=$!
      PIDS+=("$SPID")
      for ((i = 0; i < 500; i++)); do
        grep -q '^listening' "$RUN/ceiling.out" && return 0
        [[ -d /proc/$SPID ]] || break
        sleep 0.01
      done
      die "ceiling_responder did not start"
      ;;
  esac
  rm -f "$RUN/$s.pid"
  if ! START_MS=$(python3 "$BENCH_DIR/dnsprobe.py" start --quiet --port "${PORT[$s]}" \
      --name "$PROBE_NAME" --expect "$PROBE_EXPECT" --pidfile "$RUN/$s.pid" --timeout 600 \
      -- taskset -c "$SCPU" "${cmd[@]}"); then
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

# run_dnsperf PORT ARGS...: runs dnsperf on CCPU against 127.0.0.1 and prints
# "qps completed lost avg_latency_ms nxdomain_count".
run_dnsperf() {
  local port=$1
  shift
  taskset -c "$CCPU" dnsperf -s 127.0.0.1 -p "$port" -d "$QUERIES" -c 8 -t 2 "$@" 2>&1 | awk '
    /Queries completed:/ { c = $3 } /Queries lost:/ { l = $3 }
    /Queries per second:/ { q = $4 }
    /Average Latency \(s\):/ && !lat { lat = $4 * 1000 }
    /Response codes:/ { for (i = 3; i < NF; i++) if ($i == "NXDOMAIN") nx = $(i + 1) }
    END { if (q == "") exit 1; printf "%s %s %s %s %d\n", q, c, l, lat, nx }'
}

# run_loadgen PORT ARGS...: runs loadgen on CCPU against 127.0.0.1; its
# "key value" figures go to $RUN/loadgen.out (read them with lg KEY).
run_loadgen() {
  local port=$1
  shift
  taskset -c "$CCPU" "$LOADGEN" --server 127.0.0.1 --port "$port" --queries "$QUERIES" \
    --sockets "$SOCKETS" "$@" >"$RUN/loadgen.out" 2>"$RUN/loadgen.err" ||
    die "loadgen failed: $(cat "$RUN/loadgen.err")"
  if [[ -s $RUN/loadgen.err ]]; then log "$(cat "$RUN/loadgen.err")"; fi
}
lg() { awk -v k="$1" '$1 == k { print $2; found = 1 } END { exit !found }' "$RUN/loadgen.out"; }
pct() { awk -v a="$1" -v n="$2" 'BEGIN { printf "%.2f", n ? 100 * a / n : 0 }'; }

# Cross-check: every server gives the same answers to the sample names.
log "cross-check of answers"
pin 1
ports="" CHECK_PIDS=""
for s in $SERVERS; do
  start "$s" 1
  log "$s up in $START_MS ms"
  ports+="${ports:+,}$s=${PORT[$s]}"
  CHECK_PIDS+=" $SPID"
done
python3 "$BENCH_DIR/dnsprobe.py" compare --ports "$ports" --meta "$META" >&2 ||
  die "the servers disagree; fix that before comparing speed"
for p in $CHECK_PIDS; do SPID=$p; stop; done

RESULTS="$WORK/serve-$NUMBERS.tsv"
: >"$RESULTS"
HZ=$(getconf CLK_TCK)
FIRST_W=${WORKERS%% *}
# rec SERVER ROUND KEY VALUE: one figure, KEY tagged with the worker count $w.
rec() { printf '%s\t%s\t%s.w%s\t%s\n' "$1" "$2" "$3" "$w" "$4" >>"$RESULTS"; }
for ((r = 1; r <= REPEAT; r++)); do
  for w in $WORKERS; do
    pin "$w"
    # knotd first: its max sets the load of every other server's second
    # latency run.
    order="ceiling $SERVERS" knotd_half=""
    [[ " $SERVERS " != *" knotd "* ]] || order="knotd ceiling ${SERVERS/knotd/}"
    for s in $order; do
      log "round $r/$REPEAT, $w worker(s): $s (server on CPUs $SCPU, load on CPUs $CCPU)"
      start "$s" "$w"
      [[ $s == ceiling ]] || rec "$s" "$r" start_ms "$START_MS"
      p=${PORT[$s]}
      # Warm-up: every query of the file once, closed loop, so that each
      # server is measured in its steady state (enumd's node cache, every
      # server's CPU caches) and not on its first sight of each name; how
      # fast that first pass went is reported too.
      run_loadgen "$p" --outstanding "$OUTSTANDING" --count "$NQUERIES" --duration 600
      rec "$s" "$r" cold_qps "$(lg qps)"
      run_loadgen "$p" --outstanding "$OUTSTANDING" --duration "$DURATION"
      max=$(lg qps)
      rec "$s" "$r" max_qps "$max"; rec "$s" "$r" max_loss_pct "$(lg loss_pct)"
      half=$(((max + 1) / 2))
      ((half > 0)) || die "$s answered nothing"
      run_loadgen "$p" --rate "$half" --duration "$DURATION"
      rec "$s" "$r" half_loss_pct "$(lg loss_pct)"
      rec "$s" "$r" half_p50_us "$(lg lat_p50_us)"; rec "$s" "$r" half_p99_us "$(lg lat_p99_us)"
      rec "$s" "$r" half_p999_us "$(lg lat_p99.9_us)"
      if [[ $s == knotd ]]; then
        knotd_half=$half
      elif [[ -n $knotd_half ]]; then
        run_loadgen "$p" --rate "$knotd_half" --duration "$DURATION"
      fi
      if [[ -n $knotd_half ]]; then
        rec "$s" "$r" khalf_p99_us "$(lg lat_p99_us)"; rec "$s" "$r" khalf_loss_pct "$(lg loss_pct)"
      fi
      t0=$(cpu_ticks "$SPID")
      run_loadgen "$p" --rate "$RATE" --duration "$DURATION"
      t1=$(cpu_ticks "$SPID")
      rec "$s" "$r" fixed_qps "$(lg qps)"; rec "$s" "$r" fixed_loss_pct "$(lg loss_pct)"
      rec "$s" "$r" fixed_p99_us "$(lg lat_p99_us)"
      rec "$s" "$r" cpu_us "$(awk -v t=$((t1 - t0)) -v n="$(lg answered)" -v hz="$HZ" \
        'BEGIN { printf "%.3f", n ? t / hz * 1e6 / n : 0 }')"
      if [[ $s != ceiling ]]; then
        read -r qps answered lost lat nx <<<"$(run_dnsperf "$p" -l "$DURATION")"
        rec "$s" "$r" udp_qps "$qps"; rec "$s" "$r" udp_lat_ms "$lat"; rec "$s" "$r" udp_lost "$lost"
        read -r qps answered lost lat nx <<<"$(run_dnsperf "$p" -l "$DURATION" -m tcp)"
        rec "$s" "$r" tcp_qps "$qps"
        if [[ $w == "$FIRST_W" ]]; then
          # The same offered rate from both generators, one after the other.
          read -r qps answered lost lat nx <<<"$(run_dnsperf "$p" -l "$DURATION" -Q "$XRATE")"
          rec "$s" "$r" xc_dnsperf_qps "$qps"; rec "$s" "$r" xc_dnsperf_nx_pct "$(pct "$nx" "$answered")"
          run_loadgen "$p" --rate "$XRATE" --duration "$DURATION"
          rec "$s" "$r" xc_loadgen_qps "$(lg qps)"
          rec "$s" "$r" xc_loadgen_nx_pct "$(pct "$(lg rcode_NXDOMAIN)" "$(lg answered)")"
        fi
        read -r rss pss <<<"$(mem_kb "$SPID")"
        rec "$s" "$r" rss_mib "$((rss / 1024))"; rec "$s" "$r" pss_mib "$((pss / 1024))"
      fi
      stop
      log "round $r/$REPEAT, $w worker(s): $s done ($(grep -c "^$s	$r	.*\.w$w	" "$RESULTS") figures)"
    done
  done
done

pinning=$(for w in $WORKERS; do
  pin "$w"
  printf '%s worker(s): server on CPUs %s, load generators on CPUs %s. ' "$w" "$SCPU" "$CCPU"
done)
python3 "$BENCH_DIR/report.py" serve "$RESULTS" --title "$NUMBERS numbers, $DURATION s runs, \
loadgen with $SOCKETS sockets and $OUTSTANDING queries in flight for max qps, fixed rate \
$RATE qps, loadgen vs dnsperf at $XRATE qps. $pinning"
