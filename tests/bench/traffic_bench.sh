#!/usr/bin/env bash
# Carrier-shaped serving benchmark (issue 22): fresh queries spread over ALL
# numbers of a generated zone, never a replay that fits a cache, enumd beside
# knotd (and nsd) in the same run, one worker each, on 127.0.0.1 only.
#
#   tests/bench/traffic_bench.sh [--numbers N] [--traffic "uniform zipf flood"]
#                                [--files K] [--count Q] [--seed S]
#                                [--servers "enumd knotd"] [--outstanding N]
#                                [--sockets K] [--workers W] [--enumd-config FILE]
#                                [--no-wait-load] [--build DIR] [--workdir DIR]
#
#   --numbers N      zone size (default 1000000; the issue's size is 10000000)
#   --traffic L      traffic modes (default "uniform zipf flood"; gen_traffic.py):
#                    uniform  80% zone numbers drawn uniformly, 10% wildcard-
#                             synthesised names, 10% misdials (NXDOMAIN)
#                    zipf     the same, existing numbers by a Zipf law (s = 1)
#                    flood    random nonexistent names only
#   --files K        fresh query files per mode (default 4); file 1 is the
#                    first pass after start, files 2..K the steady state
#   --count Q        queries per file (default 1000000)
#   --seed S         seed of the query files (default: the clock, so every run
#                    asks names no earlier run asked; printed, to repeat a run)
#   --servers L      default "enumd knotd"; nsd too if it fits in memory
#                    (~1 GiB per 1M numbers)
#   --outstanding N  loadgen's queries in flight (default 256), over
#   --sockets K      K source ports (default 8)
#   --workers W      server workers (default 1), pinned to CPUs 0..W-1;
#                    loadgen on CPU W, or on the last CPU beside a worker
#                    when W is every CPU (then CPU per answer is the figure
#                    to read: qps is capped by the shared CPU)
#   --enumd-config F enumd --config F (cache sizes etc.); default: none, the
#                    defaults a new user gets
#   --no-wait-load   send file 1 at once after enumd's first answer, while it
#                    loads the zones into its node caches (cache.names_mb
#                    auto); by default the files wait until it has loaded
#                    them (`enumctl status`: node_caches loads), as knotd and
#                    nsd load before their first answer; the time and CPU the
#                    load took are reported either way
#   --build DIR      where bin/enumd, bin/enumctl, bin/loadgen are
#                    (default build-bench)
#   --workdir DIR    zone, store, query files (default /tmp/enumd-bench)
#
# Per server and traffic mode: the server is started afresh (pinned to CPU 0,
# or CPUs 0..W-1; loadgen on the next) and the time from exec to its first
# correct answer taken (dnsprobe.py start); then loadgen sends each of the K files once, closed
# loop. Per file: answered qps, and the server's CPU (utime+stime of all its
# threads, /proc/PID/stat) divided by the answers -- the figure a busy shared
# machine disturbs least -- its RSS after the file, and the rcodes. The same
# files go to every server. Raw figures: WORKDIR/traffic-N.tsv.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

NUMBERS=1000000 TRAFFIC="uniform zipf flood" FILES=4 COUNT=1000000 SEED="" WAIT_LOAD=1
SERVERS="enumd knotd" OUTSTANDING=256 SOCKETS=8 ENUMD_CONFIG="" WORKERS=1
BUILD="$ROOT/build-bench" WORK=/tmp/enumd-bench
while (($#)); do
  case $1 in
    --numbers) NUMBERS=$2; shift ;;
    --traffic) TRAFFIC=$2; shift ;;
    --files) FILES=$2; shift ;;
    --count) COUNT=$2; shift ;;
    --seed) SEED=$2; shift ;;
    --servers) SERVERS=$2; shift ;;
    --outstanding) OUTSTANDING=$2; shift ;;
    --sockets) SOCKETS=$2; shift ;;
    --workers) WORKERS=$2; shift ;;
    --enumd-config) ENUMD_CONFIG=$(realpath "$2"); shift ;;
    --no-wait-load) WAIT_LOAD=0 ;;
    --build) BUILD=$(cd "$2" && pwd); shift ;;
    --workdir) WORK=$2; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
ENUMD=$BUILD/bin/enumd ENUMCTL=$BUILD/bin/enumctl LOADGEN=$BUILD/bin/loadgen
[[ -x $ENUMD && -x $ENUMCTL ]] || die "$BUILD/bin/enumd or enumctl missing (see tests/bench/README.md)"
[[ -x $LOADGEN ]] || die "$BUILD/bin/loadgen missing (cmake --build $BUILD --target bench_tools)"
need python3 taskset
for s in $SERVERS; do
  case $s in
    enumd) ;; knotd) need knotd ;; nsd) need nsd ;;
    *) die "unknown server $s" ;;
  esac
done
for m in $TRAFFIC; do
  case $m in uniform|zipf|flood) ;; *) die "unknown traffic mode $m" ;; esac
done
for v in FILES COUNT OUTSTANDING SOCKETS WORKERS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "--${v,,} takes a positive integer, not '${!v}'"
done
[[ -z $SEED ]] && SEED=$(date +%s)
[[ $SEED =~ ^[0-9]+$ ]] || die "--seed takes a number"
(($(nproc) >= 2)) || die "needs 2 CPUs (server on CPU 0, loadgen on CPU 1)"
((WORKERS <= $(nproc))) || die "--workers $WORKERS: more than the $(nproc) CPUs"
SERVER_CPUS=0-$((WORKERS - 1))
LOADGEN_CPU=$((WORKERS < $(nproc) ? WORKERS : $(nproc) - 1))
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
RUN="$WORK/traffic"
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

ensure_zone "$NUMBERS" 1
PROBE_NAME=$(meta 'probe["name"]') PROBE_EXPECT=$(meta 'probe["expect"]')
STORE="$WORK/store-$NUMBERS-s1"
[[ " $SERVERS " == *" enumd "* ]] && ensure_store "$STORE"

# Fresh query files: K per mode, seeds derived from --seed.
i=0
for m in $TRAFFIC; do
  for ((f = 1; f <= FILES; f++)); do
    i=$((i + 1))
    log "query file $m $f/$FILES (seed $((SEED * 100 + i)))"
    python3 "$BENCH_DIR/gen_traffic.py" --zone "$ZONE" --index "$WORK/zone-$NUMBERS-s1.idx" \
      --mode "$m" --seed $((SEED * 100 + i)) --count "$COUNT" --out "$RUN/$m-$f.q" ||
      die "gen_traffic.py failed"
  done
done

declare -A PORT
taken=()
for s in $SERVERS; do
  PORT[$s]=$(free_port "${taken[@]}")
  taken+=("${PORT[$s]}")
done
knot_conf "$RUN/knot.conf" "$WORKERS" "${PORT[knotd]:-0}" "$RUN/knot"
nsd_conf "$RUN/nsd.conf" "$WORKERS" "${PORT[nsd]:-0}" "$RUN/nsd"

# start SERVER: starts it pinned to the server CPUs on fresh state; sets SPID,
# START_MS.
start() {
  local s=$1 cmd
  case $s in
    enumd)
      cmd=("$ENUMD" --store "$STORE" --listen "127.0.0.1:${PORT[enumd]}" --zone e164.arpa.
           --workers "$WORKERS" --log-level warning)
      [[ -z $ENUMD_CONFIG ]] || cmd+=(--config "$ENUMD_CONFIG") ;;
    knotd) rm -rf "$RUN/knot"; mkdir -p "$RUN/knot/db"; cmd=(knotd -c "$RUN/knot.conf") ;;
    nsd) rm -rf "$RUN/nsd"; mkdir -p "$RUN/nsd"; cmd=(nsd -d -c "$RUN/nsd.conf") ;;
  esac
  rm -f "$RUN/$s.pid"
  START_NS=$(date +%s%N)
  if ! START_MS=$(python3 "$BENCH_DIR/dnsprobe.py" start --quiet --port "${PORT[$s]}" \
      --name "$PROBE_NAME" --expect "$PROBE_EXPECT" --pidfile "$RUN/$s.pid" --timeout 900 \
      -- taskset -c "$SERVER_CPUS" "${cmd[@]}"); then
    [[ -s $RUN/$s.pid ]] && PIDS+=("$(cat "$RUN/$s.pid")")
    die "$s did not answer correctly"
  fi
  SPID=$(cat "$RUN/$s.pid")
  PIDS+=("$SPID")
}

# wait_loaded: for enumd, when it loads its node caches, records the time
# from exec to the end of its first load and the CPU the process spent until
# then (the load, mostly). Waits for it unless --no-wait-load (then called
# again after file 1, waiting).
wait_loaded() {
  local n
  while n=$(enumd_loads "$ENUMCTL" "$STORE") && [[ -n $n && $n -lt 1 ]]; do
    ((WAIT_LOAD)) || return 0
    sleep 0.1
    (( ($(date +%s%N) - START_NS) / 1000000000 < 900 )) || die "enumd did not load its caches in 900 s"
  done
  [[ -n $n ]] || return 0
  rec 0 loaded_ms "$(( ($(date +%s%N) - START_NS) / 1000000 ))"
  rec 0 load_cpu_s "$(awk -v t="$(cpu_ticks "$SPID")" -v hz="$HZ" 'BEGIN { printf "%.1f", t / hz }')"
  log "$s: node caches loaded $(( ($(date +%s%N) - START_NS) / 1000000 )) ms after start"
}

RESULTS="$WORK/traffic-$NUMBERS.tsv"
: >"$RESULTS"
HZ=$(getconf CLK_TCK)
rec() { printf '%s\t%s\t%s\t%s\t%s\n' "$s" "$m" "$1" "$2" "$3" >>"$RESULTS"; }
lg() { awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print 0 }' "$RUN/loadgen.out"; }
for m in $TRAFFIC; do
  for s in $SERVERS; do
    log "$m: starting $s"
    start "$s"
    rec 0 start_ms "$START_MS"
    [[ $s != enumd ]] || wait_loaded
    read -r rss _ <<<"$(mem_kb "$SPID")"
    rec 0 rss_mib "$((rss / 1024))"
    log "$m: $s answers after $START_MS ms"
    for ((f = 1; f <= FILES; f++)); do
      q="$RUN/$m-$f.q"
      t0=$(cpu_ticks "$SPID")
      taskset -c "$LOADGEN_CPU" "$LOADGEN" --server 127.0.0.1 --port "${PORT[$s]}" --queries "$q" \
        --sockets "$SOCKETS" --outstanding "$OUTSTANDING" --count "$COUNT" --duration 900 \
        >"$RUN/loadgen.out" 2>"$RUN/loadgen.err" || die "loadgen failed: $(cat "$RUN/loadgen.err")"
      t1=$(cpu_ticks "$SPID")
      answered=$(lg answered)
      rec "$f" qps "$(lg qps)"
      rec "$f" answered "$answered"
      rec "$f" loss_pct "$(lg loss_pct)"
      rec "$f" nxdomain "$(lg rcode_NXDOMAIN)"
      rec "$f" cpu_us "$(awk -v t=$((t1 - t0)) -v n="$answered" -v hz="$HZ" \
        'BEGIN { printf "%.3f", n ? t / hz * 1e6 / n : 0 }')"
      read -r rss _ <<<"$(mem_kb "$SPID")"
      rec "$f" rss_mib "$((rss / 1024))"
      if [[ $s == enumd && $f == 1 ]] && ! ((WAIT_LOAD)); then
        WAIT_LOAD=1 wait_loaded
      fi
      log "$m: $s file $f: $(lg qps) qps, $(awk -v t=$((t1 - t0)) -v n="$answered" -v hz="$HZ" \
        'BEGIN { printf "%.2f", n ? t / hz * 1e6 / n : 0 }') us CPU per answer, RSS $((rss / 1024)) MiB"
    done
    stop_tree "$SPID"
  done
done

python3 "$BENCH_DIR/report.py" traffic "$RESULTS" --title "$NUMBERS numbers, $FILES fresh \
files of $COUNT queries per mode (seed $SEED), $WORKERS worker(s) on CPU $SERVER_CPUS, loadgen on CPU $LOADGEN_CPU \
($OUTSTANDING in flight over $SOCKETS sockets)${ENUMD_CONFIG:+, enumd --config $ENUMD_CONFIG}"
