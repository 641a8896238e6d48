#!/usr/bin/env bash
# Soak: memory must not grow with traffic (issue 7). Starts enumd on an
# imported store, then for --minutes runs dnsperf at full rate over UDP and,
# beside it, TCP clients that connect, send a few queries, and hang up, again
# and again (plus some that connect and never send, left to the idle timeout).
# Prints enumd's RSS every --every seconds and a verdict: the RSS half-way
# against the end, within 5%. The caches are bounded, not flat: each worker's
# node cache ring is written front to back until it wraps (names evicted from
# a full table come back as new records), so RSS climbs to about
# base + cache.names_mb x 1.125 + cache.blocks_mb and stays there. The soak
# therefore runs enumd with a small node cache (--names-mb, default 16) that
# wraps within the first minute; a leak would still show as growth after it.
#
#   tests/bench/soak.sh [--minutes M] [--every S] [--numbers N] [--workers W]
#                       [--build DIR] [--workdir DIR]
#
#   --minutes M   length of the soak (default 5)
#   --every S     RSS sample period in seconds (default 10)
#   --numbers N   zone size, generated and imported once (default 100000; with
#                 1M the node caches are still filling after several minutes)
#   --workers W   enumd workers (default 2)
#   --names-mb M  cache.names_mb of the enumd under test (default 16)
#   --build DIR   where bin/enumd and bin/enumctl are (default build-bench)
#   --workdir DIR zone, store, logs (default /tmp/enumd-bench)
# All traffic on 127.0.0.1; enumd and the clients are stopped on exit.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
source "$BENCH_DIR/lib.sh"

MINUTES=5 EVERY=10 NUMBERS=100000 WORKERS=2 SEED=1 NAMES_MB=16
BUILD="$ROOT/build-bench" WORK=/tmp/enumd-bench
while [[ $# -gt 0 ]]; do
  case $1 in
    --minutes) MINUTES=$2; shift 2 ;;
    --every) EVERY=$2; shift 2 ;;
    --numbers) NUMBERS=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --names-mb) NAMES_MB=$2; shift 2 ;;
    --build) BUILD=$(cd "$2" && pwd); shift 2 ;;
    --workdir) WORK=$2; shift 2 ;;
    *) die "unknown option $1 (see the header of $0)" ;;
  esac
done
need dnsperf python3 dig
ENUMD=$BUILD/bin/enumd ENUMCTL=$BUILD/bin/enumctl
[[ -x $ENUMD && -x $ENUMCTL ]] || die "$BUILD/bin/enumd or enumctl missing (see tests/bench/README.md)"
mkdir -p "$WORK"
ensure_zone "$NUMBERS" "$SEED"
ZONE=$WORK/zone-$NUMBERS-s$SEED.db QUERIES=$WORK/zone-$NUMBERS-s$SEED.q
STORE=$WORK/soak-store-$NUMBERS
if [[ ! -d $STORE ]]; then
  log "importing $ZONE"
  "$ENUMCTL" import --store "$STORE" --origin e164.arpa. "$ZONE" >/dev/null
fi

PORT=$((20000 + RANDOM % 20000))
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

cat >"$WORK/soak-enumd.yaml" <<EOF
listen: ["127.0.0.1:$PORT"]
workers: $WORKERS
store: $STORE
cache:
  names_mb: $NAMES_MB
log_level: warning
zones:
  - origin: e164.arpa.
EOF
"$ENUMD" --config "$WORK/soak-enumd.yaml" >"$WORK/soak-enumd.log" 2>&1 &
EPID=$!
PIDS+=("$EPID")
for _ in $(seq 100); do
  [[ -n $(dig +short +time=1 +tries=1 @127.0.0.1 -p "$PORT" SOA e164.arpa. 2>/dev/null) ]] && break
  sleep 0.1
done

# TCP clients: connect, send 1-5 pipelined queries, read the answers, close;
# every tenth connection sends nothing and is left open for the idle timeout.
python3 - "$PORT" "$QUERIES" "$((MINUTES * 60))" <<'PY' &
import random, socket, struct, sys, time
port, qfile, secs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
names = [l.split()[0] for _, l in zip(range(20000), open(qfile))]
def query(name, qid):
    wire = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
    m = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + wire + struct.pack(">HH", 35, 1)
    return struct.pack(">H", len(m)) + m
end, idle, n = time.time() + secs, [], 0
while time.time() < end:
    n += 1
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        if n % 10 == 0:
            idle.append(s); idle = idle[-200:]; continue
        k = random.randint(1, 5)
        s.sendall(b"".join(query(random.choice(names), i) for i in range(k)))
        got = 0
        while got < k:
            hdr = s.recv(2, socket.MSG_WAITALL)
            if len(hdr) < 2: break
            s.recv(struct.unpack(">H", hdr)[0], socket.MSG_WAITALL); got += 1
        s.close()
    except OSError:
        time.sleep(0.01)
print(f"tcp clients: {n} connections", file=sys.stderr)
PY
PIDS+=($!)
dnsperf -s 127.0.0.1 -p "$PORT" -d "$QUERIES" -c 8 -l "$((MINUTES * 60))" -q 500 \
  >"$WORK/soak-dnsperf.log" 2>&1 &
PIDS+=($!)

log "soak: $MINUTES min, enumd pid $EPID, $WORKERS workers, port $PORT"
printf '%8s %10s\n' "seconds" "rss_kb"
half="" last="" t=0
while ((t <= MINUTES * 60)); do
  rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$EPID/status" 2>/dev/null) || die "enumd died (see $WORK/soak-enumd.log)"
  printf '%8d %10d\n' "$t" "$rss"
  ((t >= MINUTES * 30)) && [[ -z $half ]] && half=$rss
  last=$rss
  sleep "$EVERY"
  t=$((t + EVERY))
done
wait "${PIDS[2]}" || true
grep -E 'Queries (sent|completed|lost)|Queries per second' "$WORK/soak-dnsperf.log" || true
half=${half:-$last}
growth=$(( (last - half) * 100 / (half > 0 ? half : 1) ))
log "RSS half-way ${half} kB, at the end ${last} kB (${growth}%)"
if ((growth > 5)); then
  log "RSS grew by more than 5% in the second half"
  exit 1
fi
