#!/usr/bin/env bash
# AXFR benchmark (issue 20): one AXFR of a generated ENUM zone from enumd,
# and from Knot DNS and BIND 9 serving the same zone file, each read by the
# same raw client (tests/bench/axfr_client.py: counts records from message
# headers, so the server sets the pace) on 127.0.0.1. Reports records/s and
# the server's RSS before and at its peak during the transfer: VmRSS, and
# RssAnon (its memory without the pages of mapped files: enumd reads its
# store tables through mmap, and those page-cache pages count in VmRSS).
#
#   tests/bench/axfr_bench.sh [--numbers N] [--servers "enumd knotd named"]
#                             [--repeat R] [--seed S] [--build DIR] [--workdir DIR]
#
#   --numbers N   zone size in numbers (default 1000000)
#   --servers L   which servers (default "enumd knotd named")
#   --repeat R    AXFRs per server, one after the other (default 3)
#   --build DIR   where bin/enumd and bin/enumctl are (default build-bench)
#   --workdir DIR zones and stores (default /tmp/enumd-bench; zones are cached)
#
# Targets (issue 20): >= 1M records/s; RSS growth under 64 MiB during the
# transfer.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

NUMBERS=1000000 SERVERS="enumd knotd named" REPEAT=3 SEED=1 BUILD="$ROOT/build-bench"
WORK=/tmp/enumd-bench
while (($#)); do
  case $1 in
    --numbers) NUMBERS=$2; shift ;;
    --servers) SERVERS=$2; shift ;;
    --repeat) REPEAT=$2; shift ;;
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
  case $s in enumd) ;; knotd) need knotd ;; named) need named ;; *) die "unknown server $s" ;; esac
done
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
ensure_zone "$NUMBERS" "$SEED"
RECORDS=$(meta records)
RUN=$(mktemp -d "$WORK/axfr-run.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do stop_tree "$p"; done
  rm -rf "$RUN"
}
trap cleanup EXIT

# wait_soa PORT PID: until the server answers the zone's SOA (it has loaded it).
wait_soa() {
  local i
  for ((i = 0; i < 6000; i++)); do
    [[ -d /proc/$2 ]] || die "server exited; see $RUN"
    if python3 - "$1" <<'PY' 2>/dev/null; then return 0; fi
import socket, struct, sys
q = struct.pack("!HHHHHH", 1, 0, 1, 0, 0, 0) + b"\x04e164\x04arpa\x00" + struct.pack("!HH", 6, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.2)
s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
r = s.recv(512)
sys.exit(0 if (r[3] & 0xF) == 0 and struct.unpack("!H", r[6:8])[0] > 0 else 1)
PY
    sleep 0.1
  done
  die "no SOA from port $1 after 600 s"
}

printf 'server\trun\tseconds\trecords\tmessages\tMB\trecords/s\trss_before_MB\trss_peak_MB\tgrowth_MB\tanon_before_MB\tanon_peak_MB\tanon_growth_MB\n' \
  >"$WORK/axfr-$NUMBERS.tsv"
for s in $SERVERS; do
  port=$(free_port)
  case $s in
    enumd)
      cat >"$RUN/enumd.yaml" <<EOC
listen: ["127.0.0.1:$port"]
workers: 1
store: $RUN/store
log_level: warning
zones:
  - origin: e164.arpa.
    file: $ZONE
    transfer: {allow: ["127.0.0.1/32"]}
EOC
      "$ENUMD" --config "$RUN/enumd.yaml" >"$RUN/enumd.log" 2>&1 &
      ;;
    knotd)
      mkdir -p "$RUN/knot"
      cat >"$RUN/knot.conf" <<EOC
server:
    rundir: $RUN/knot
    listen: 127.0.0.1@$port
database:
    storage: $RUN/knot
acl:
  - id: local
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: $RUN/knot
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: e164.arpa.
    file: $ZONE
    acl: local
    semantic-checks: off
EOC
      knotd -c "$RUN/knot.conf" >"$RUN/knotd.log" 2>&1 &
      ;;
    named)
      mkdir -p "$RUN/named"
      cat >"$RUN/named.conf" <<EOC
options {
    directory "$RUN/named";
    pid-file "$RUN/named/named.pid";
    session-keyfile "$RUN/named/session.key";
    listen-on port $port { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    notify no;
    allow-transfer { 127.0.0.1; };
};
controls { };
zone "e164.arpa." { type primary; file "$ZONE"; check-names ignore; };
EOC
      named -g -n 1 -c "$RUN/named.conf" >"$RUN/named.log" 2>&1 &
      ;;
  esac
  pid=$!
  PIDS+=("$pid")
  log "$s: loading the zone (pid $pid, port $port)"
  wait_soa "$port" "$pid"
  for ((r = 1; r <= REPEAT; r++)); do
    read -r secs recs msgs bytes before peak abefore apeak < <(python3 "$BENCH_DIR/axfr_client.py" \
      --port "$port" --pid "$pid" --records $((RECORDS + 1)))
    awk -v s="$s" -v r="$r" -v t="$secs" -v n="$recs" -v m="$msgs" -v b="$bytes" -v rb="$before" \
        -v rp="$peak" -v ab="$abefore" -v ap="$apeak" 'BEGIN {
        printf "%s\t%d\t%.3f\t%d\t%d\t%.1f\t%.0f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\n",
        s, r, t, n, m, b / 1e6, n / t, rb / 1024, rp / 1024, (rp - rb) / 1024,
        ab / 1024, ap / 1024, (ap - ab) / 1024 }' \
      | tee -a "$WORK/axfr-$NUMBERS.tsv"
    [[ $recs -eq $((RECORDS + 1)) ]] || log "$s: $recs records, expected $((RECORDS + 1))"
  done
  stop_tree "$pid"
done
log "raw figures: $WORK/axfr-$NUMBERS.tsv"
