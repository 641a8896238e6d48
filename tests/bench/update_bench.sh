#!/usr/bin/env bash
# Update benchmark (issue 19): TSIG-signed RFC 2136 UPDATEs against enumd,
# BIND 9 and Knot DNS serving the same generated zone, on 127.0.0.1 only.
#
#   tests/bench/update_bench.sh [--numbers N] [--duration S] [--clients "1 16 64"]
#                               [--servers "enumd named knotd"] [--visibility V]
#                               [--rate R] [--seed S] [--build DIR] [--workdir DIR]
#
#   --numbers N      zone size (default 1000000)
#   --duration S     seconds per measured run (default 20)
#   --clients L      concurrent update clients to measure (default "1 16 64")
#   --visibility V   updates of the visibility run (default 500)
#   --rate R         the paced update rate of the last query run (default 1000)
#   --servers L      which servers (default "enumd named knotd")
#   --build DIR      where bin/enumd, bin/enumctl, bin/loadgen and
#                    bin/update_load are (default build-bench)
#   --workdir DIR    zones, stores, server state (default /tmp/enumd-bench)
#
# Every server gets a fresh copy of the zone (enumd: a fresh store imported
# with enumctl) and one TSIG key (tsig-keygen, hmac-sha256) that may update
# it: enumd `zones[].update.keys`, BIND `allow-update { key K; }`, Knot an
# ACL with `action: update`. Each runs one query worker (enumd --workers 1
# plus its writer thread, named -n 1, knotd udp-workers 1 with
# background-workers 1) pinned to CPU 0; the clients run on CPU 1. Every
# UPDATE replaces the NAPTR RRset of one number (update_load.cc), so the zone
# keeps its size. Per server, in order (the query runs first, so that none
# pays for the hundreds of thousands of updates a closed-loop run leaves to
# compact, only for its own):
#   queries     once enumd has loaded its node caches: loadgen closed loop
#               (64 in flight over 8 sockets), a warm-up run, then qps alone
#   at rate R   queries at max rate again, while update_load --clients 16
#               --rate R sends R updates/s on a schedule: the query share,
#               and the update round trip p50/p99 counted from when each
#               update was due; "srv p99" is the same round trip from the
#               send call to the answer's arrival in the client's socket
#               (kernel timestamp), without the client's own waits for a CPU
#   16 clients  queries again while update_load --clients 16 runs closed
#               loop: the share, and the updates/s meanwhile
#   updates C   update_load --clients C: NOERROR answers per second and the
#               update round trip p50/p99 (a closed loop: each client sends
#               its next update when the previous one is answered)
#   visibility  update_load --visibility V: one update at a time, then a
#               query on another socket until the answer shows it: p50/p99
#               from the NOERROR to that answer, and the share that the
#               first query already saw (read-your-writes: 100%)
# Raw figures go to $WORKDIR/update-N.tsv. Servers are stopped on exit.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

NUMBERS=1000000 DURATION=20 CLIENTS="1 16 64" VISIBILITY=500 RATE=1000 SEED=1
SERVERS="enumd named knotd" BUILD="$ROOT/build-bench" WORK=/tmp/enumd-bench
while (($#)); do
  case $1 in
    --numbers) NUMBERS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --clients) CLIENTS=$2; shift ;;
    --visibility) VISIBILITY=$2; shift ;;
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
LOADGEN=$BUILD/bin/loadgen UPDATE_LOAD=$BUILD/bin/update_load
[[ -x $ENUMD && -x $ENUMCTL ]] || die "$BUILD/bin/enumd or enumctl missing (see tests/bench/README.md)"
[[ -x $LOADGEN && -x $UPDATE_LOAD ]] ||
  die "$BUILD/bin/loadgen or update_load missing (cmake --build $BUILD --target bench_tools)"
need python3 taskset tsig-keygen
for s in $SERVERS; do
  case $s in
    enumd) ;; named) need named ;; knotd) need knotd ;;
    *) die "unknown server $s" ;;
  esac
done
for c in $CLIENTS; do [[ $c =~ ^[1-9][0-9]?$ ]] || die "--clients takes counts 1..99, not '$c'"; done
for v in DURATION VISIBILITY RATE; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "--${v,,} takes a positive integer, not '${!v}'"
done
(($(nproc) >= 2)) || die "needs 2 CPUs (server on CPU 0, clients on CPU 1)"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
RUN="$WORK/update"
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
pin 1

KEY="$RUN/bench.key"
tsig-keygen -a hmac-sha256 bench-key >"$KEY"
SECRET=$(sed -n 's/.*secret "\(.*\)";.*/\1/p' "$KEY")

# start SERVER PORT: a fresh instance on CPU 0; sets SPID and START_MS.
start() {
  local s=$1 port=$2 dir="$RUN/$1" cmd
  rm -rf "$dir"
  mkdir -p "$dir"
  case $s in
    enumd)
      "$ENUMCTL" import --store "$dir/store" --origin e164.arpa. "$ZONE" >/dev/null ||
        die "enumctl import failed"
      cat >"$dir/enumd.yaml" <<EOF
listen: ["127.0.0.1:$port"]
workers: 1
store: $dir/store
log_level: warning
keys: ["$KEY"]
zones:
  - origin: e164.arpa.
    serial: increment
    update:
      keys: [bench-key.]
EOF
      cmd=("$ENUMD" --config "$dir/enumd.yaml") ;;
    named)
      cp "$ZONE" "$dir/zone.db"
      cat >"$dir/named.conf" <<EOF
include "$KEY";
options {
    directory "$dir";
    pid-file "$dir/named.pid";
    session-keyfile "$dir/session.key";
    managed-keys-directory "$dir";
    listen-on port $port { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    dnssec-validation no;
    notify no;
    minimal-responses yes;
};
controls { };
zone "e164.arpa." {
    type primary;
    file "$dir/zone.db";
    check-names ignore;
    allow-update { key "bench-key"; };
    serial-update-method increment;
};
EOF
      cmd=(named -g -n 1 -c "$dir/named.conf") ;;
    knotd)
      cp "$ZONE" "$dir/zone.db"
      mkdir -p "$dir/db"
      cat >"$dir/knot.conf" <<EOF
server:
    rundir: $dir
    listen: 127.0.0.1@$port
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: $dir/db
log:
  - target: $dir/knotd.log
    any: warning
key:
  - id: bench-key
    algorithm: hmac-sha256
    secret: $SECRET
acl:
  - id: update
    key: bench-key
    action: update
template:
  - id: default
    storage: $dir
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: changes
    serial-policy: increment
zone:
  - domain: e164.arpa.
    file: $dir/zone.db
    acl: update
EOF
      cmd=(knotd -c "$dir/knot.conf") ;;
  esac
  if ! START_MS=$(python3 "$BENCH_DIR/dnsprobe.py" start --quiet --port "$port" \
      --name "$PROBE_NAME" --expect "$PROBE_EXPECT" --pidfile "$RUN/$s.pid" --timeout 600 \
      -- taskset -c "$SCPU" "${cmd[@]}" 2>"$dir/stderr"); then
    [[ -s $RUN/$s.pid ]] && PIDS+=("$(cat "$RUN/$s.pid")")
    die "$s did not answer correctly (see $dir)"
  fi
  SPID=$(cat "$RUN/$s.pid")
  PIDS+=("$SPID")
  # enumd answers at once and loads every name into memory behind (cache.
  # names_mb: auto, 5-10 s at 10M numbers): the query phases measure the
  # loaded server, not the load.
  if [[ $s == enumd ]]; then
    local n t=0
    while n=$(enumd_loads "$ENUMCTL" "$dir/store") && [[ -n $n && $n -lt 1 ]]; do
      ((t++ < 6000)) || die "enumd did not load its caches in 600 s"
      sleep 0.1
    done
  fi
}

stop() {
  stop_tree "$SPID"
  local keep=() p
  for p in "${PIDS[@]}"; do if [[ $p != "$SPID" ]]; then keep+=("$p"); fi; done
  PIDS=("${keep[@]}")
}

# kv FILE KEY: the value of "KEY value" in FILE.
kv() { awk -v k="$2" '$1 == k { print $2; found = 1 } END { exit !found }' "$1"; }

update_load() {
  local port=$1 out=$2
  shift 2
  taskset -c "$CCPU" "$UPDATE_LOAD" --port "$port" --key "$KEY" "$@" >"$out" 2>"$out.err" ||
    die "update_load failed: $(cat "$out.err")"
}

loadgen() {
  local port=$1 out=$2
  shift 2
  taskset -c "$CCPU" "$LOADGEN" --server 127.0.0.1 --port "$port" --queries "$QUERIES" \
    --sockets 8 --outstanding 64 "$@" >"$out" 2>"$out.err" ||
    die "loadgen failed: $(cat "$out.err")"
}

RESULTS="$WORK/update-$NUMBERS.tsv"
printf 'server\tmeasure\tvalue\n' >"$RESULTS"
rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RESULTS"; }

for s in $SERVERS; do
  port=$(free_port)
  start "$s" "$port"
  log "$s up in $START_MS ms on port $port"
  loadgen "$port" "$RUN/q0.out" --duration "$DURATION"  # warm-up: caches, as serve_bench.sh
  loadgen "$port" "$RUN/q0.out" --duration "$DURATION"
  rec "$s" qps_alone "$(kv "$RUN/q0.out" qps)"
  update_load "$port" "$RUN/ur.out" --clients 16 --duration "$DURATION" --rate "$RATE" &
  upid=$!
  loadgen "$port" "$RUN/q2.out" --duration "$DURATION"
  wait "$upid" || die "update_load failed: $(cat "$RUN/ur.out.err")"
  rec "$s" qps_at_rate "$(kv "$RUN/q2.out" qps)"
  for k in ups lat_p50_us lat_p99_us srv_p99_us lost; do rec "$s" "rate.$k" "$(kv "$RUN/ur.out" $k)"; done
  log "$s, $RATE updates/s paced: $(kv "$RUN/ur.out" ups) updates/s, p99 $(kv "$RUN/ur.out" lat_p99_us) us, $(kv "$RUN/q2.out" qps) qps meanwhile"
  update_load "$port" "$RUN/u16.out" --clients 16 --duration "$DURATION" &
  upid=$!
  loadgen "$port" "$RUN/q1.out" --duration "$DURATION"
  wait "$upid" || die "update_load failed: $(cat "$RUN/u16.out.err")"
  rec "$s" qps_during "$(kv "$RUN/q1.out" qps)"
  rec "$s" ups_during "$(kv "$RUN/u16.out" ups)"
  for c in $CLIENTS; do
    update_load "$port" "$RUN/u.out" --clients "$c" --duration "$DURATION"
    for k in ups lat_p50_us lat_p99_us lost other; do rec "$s" "c$c.$k" "$(kv "$RUN/u.out" $k)"; done
    log "$s, $c clients: $(kv "$RUN/u.out" ups) updates/s, p99 $(kv "$RUN/u.out" lat_p99_us) us"
  done
  update_load "$port" "$RUN/v.out" --visibility "$VISIBILITY"
  for k in rtt_p50_us rtt_p99_us vis_p50_us vis_p99_us first_query_pct failed; do
    rec "$s" "vis.$k" "$(kv "$RUN/v.out" $k)"
  done
  stop
done

python3 - "$RESULTS" "$NUMBERS" "$DURATION" "$CLIENTS" "$RATE" <<'EOF'
import collections, sys
path, numbers, duration, clients = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].split()
rate = int(sys.argv[5])
v = collections.defaultdict(dict)
for line in open(path).read().splitlines()[1:]:
    s, k, x = line.split("\t")
    v[s][k] = float(x)
print(f"UPDATES  {numbers:,} numbers, {duration} s per run, server on 1 CPU, clients on the other")
head = ["server"] + [f"{c} cl. upd/s" for c in clients] + [f"{c} cl. p99 ms" for c in clients] + \
    ["visible p50/p99 us", "1st query", "qps alone", "qps w/ 16 cl.", "share", "upd/s meanwhile",
     f"qps w/ {rate}/s", "share", f"p99 ms at {rate}/s", "srv p99 ms"]
rows = [head]
for s, d in v.items():
    row = [s] + [f"{d[f'c{c}.ups']:,.0f}" for c in clients] + \
        [f"{d[f'c{c}.lat_p99_us'] / 1000:.2f}" for c in clients]
    row += [f"{d['vis.vis_p50_us']:.0f}/{d['vis.vis_p99_us']:.0f}", f"{d['vis.first_query_pct']:.0f}%",
            f"{d['qps_alone']:,.0f}", f"{d['qps_during']:,.0f}",
            f"{100 * d['qps_during'] / d['qps_alone']:.0f}%" if d['qps_alone'] else "-",
            f"{d['ups_during']:,.0f}", f"{d['qps_at_rate']:,.0f}",
            f"{100 * d['qps_at_rate'] / d['qps_alone']:.0f}%" if d['qps_alone'] else "-",
            f"{d['rate.lat_p99_us'] / 1000:.2f}", f"{d['rate.srv_p99_us'] / 1000:.2f}"]
    rows.append(row)
widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
for i, r in enumerate(rows):
    print("  ".join(x.rjust(w) if j else x.ljust(w) for j, (x, w) in enumerate(zip(r, widths))))
    if i == 0:
        print("  ".join("-" * w for w in widths))
lost = {s: sum(d.get(f"c{c}.lost", 0) + d.get(f"c{c}.other", 0) for c in clients) for s, d in v.items()}
print("(lost or non-NOERROR updates: " + ", ".join(f"{s} {int(n)}" for s, n in lost.items()) + ")")
EOF
