# Shared helpers for import_bench.sh and serve_bench.sh (sourced, not run).
# Everything here works on processes this script started, by pid.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
need() { for t in "$@"; do command -v "$t" >/dev/null || die "$t not found (apt-get install knot nsd bind9 bind9-utils dnsperf dnsutils time)"; done; }

# Free space on the filesystem holding $1, in GiB.
free_gib() { df -P -BG "$1" | awk 'NR==2 { sub("G", "", $4); print $4 }'; }

# ensure_zone N SEED: generates $WORK/zone-N-sSEED.{db,q,json} once (cached).
ensure_zone() {
  local n=$1 seed=$2 base="$WORK/zone-$1-s$2"
  ZONE="$base.db" QUERIES="$base.q" META="$base.json"
  if [[ -s $ZONE && -s $QUERIES && -s $META ]]; then
    log "zone $ZONE (cached)"
    return
  fi
  log "generating $n numbers (seed $seed) -> $ZONE"
  local t0=$SECONDS
  python3 "$BENCH_DIR/gen_zone.py" --numbers "$n" --seed "$seed" --zone "$ZONE.tmp" \
    --queries "$QUERIES" --meta "$META" 2>/dev/null || die "gen_zone.py failed"
  mv "$ZONE.tmp" "$ZONE"
  log "generated in $((SECONDS - t0)) s, $(du -h "$ZONE" | cut -f1)"
}

meta() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, d))' "$META" "$1"; }

# Parses `/usr/bin/time -v` output: prints "wall_s user_s sys_s maxrss_kb".
time_v() {
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, a, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + a[i] }
    /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident set size/ { r = $2 }
    END { printf "%s %s %s %s\n", w, u, s, r }' "$1"
}

# All pids of the process tree rooted at $1 (itself first).
tree_pids() {
  local p=$1 c
  [[ -d /proc/$p ]] || return 0
  echo "$p"
  for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do tree_pids "$c"; done
}

# utime+stime (clock ticks) summed over the tree rooted at $1.
cpu_ticks() {
  local t=0 p v
  for p in $(tree_pids "$1"); do
    v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }')
    t=$((t + ${v:-0}))
  done
  echo "$t"
}

# "rss_kb pss_kb" summed over the tree rooted at $1 (NSD forks; PSS does not
# count pages shared between its processes twice).
mem_kb() {
  local rss=0 pss=0 p r s
  for p in $(tree_pids "$1"); do
    r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
    s=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || true)
    rss=$((rss + ${r:-0})) pss=$((pss + ${s:-0}))
  done
  echo "$rss $pss"
}

# Stops the tree rooted at $1: SIGTERM, up to 15 s, then SIGKILL.
stop_tree() {
  local root=$1 pids i
  pids=$(tree_pids "$root")
  [[ -n $pids ]] || return 0
  kill -TERM $pids 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    pids=$(for p in $pids; do
      if [[ -d /proc/$p ]] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; then echo "$p"; fi
    done)
    [[ -z $pids ]] && return 0
    sleep 0.1
  done
  log "pids $pids did not stop in 15 s: SIGKILL"
  kill -KILL $pids 2>/dev/null || true
}

# pin W: sets SCPU (the server's CPUs) and CCPU (the load generators'): the
# server on CPUs 0..W-1 and the generators on CPU W if there are more than W
# CPUs; all of them for both otherwise.
pin() {
  local w=$1 n
  n=$(nproc)
  if ((n > w)); then
    SCPU=$( ((w == 1)) && echo 0 || echo "0-$((w - 1))") CCPU=$w
  else
    SCPU="0-$((n - 1))" CCPU=$SCPU
  fi
}

# enumd_loads ENUMCTL STORE: how many times the enumd serving STORE has
# loaded its node caches (empty: it does not load them -- cache.names_mb
# set, or the zones do not fit).
enumd_loads() {
  "$1" status --store "$2" --json 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin)["counters"].get("node_caches", {}).get("loads", ""))'
}

# A free port on 127.0.0.1 for both UDP and TCP, not in $* (already chosen).
free_port() {
  python3 - "$@" <<'EOF'
import random, socket, sys
taken = set(sys.argv[1:])
while True:
    p = random.randrange(20000, 60000)
    if str(p) in taken:
        continue
    try:
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, kind)
            s.bind(("127.0.0.1", p))
            s.close()
    except OSError:
        continue
    print(p)
    break
EOF
}

# ensure_store DIR: imports $ZONE into enumd's store DIR with $ENUMCTL, once
# per zone file and enumctl build (import speed: import_bench.sh).
ensure_store() {
  local store=$1
  if [[ ! -f $store/.imported || $ZONE -nt $store/.imported || $ENUMCTL -nt $store/.imported ]]; then
    rm -rf "$store"
    log "importing $ZONE into $store"
    "$ENUMCTL" import --store "$store" --origin e164.arpa. "$ZONE" >&2 || die "import failed"
    touch "$store/.imported"
  fi
}

# knot_conf FILE W PORT RUNDIR: a knotd config serving $ZONE on 127.0.0.1@PORT
# with W UDP and W TCP workers, its state under RUNDIR, no journal, no zone
# file sync.
knot_conf() {
  local file=$1 w=$2 port=$3 dir=$4
  cat >"$file" <<EOF
server:
    rundir: $dir
    listen: 127.0.0.1@$port
    udp-workers: $w
    tcp-workers: $w
    background-workers: 1
database:
    storage: $dir/db
log:
  - target: $dir/knotd.log
    any: warning
template:
  - id: default
    storage: $dir
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: e164.arpa.
    file: $ZONE
EOF
}

# nsd_conf FILE W PORT DIR: an nsd config serving $ZONE on 127.0.0.1@PORT with
# W server processes (SO_REUSEPORT), state under DIR; no response rate
# limiting (on by default in Debian's build: 200 qps), no nsd.db (reads the
# zone file at start), no privilege drop.
nsd_conf() {
  local file=$1 w=$2 port=$3 dir=$4
  cat >"$file" <<EOF
server:
    ip-address: 127.0.0.1@$port
    port: $port
    do-ip6: no
    server-count: $w
    reuseport: yes
    username: ""
    chroot: ""
    zonesdir: "$dir"
    database: ""
    zonelistfile: "$dir/zone.list"
    xfrdfile: "$dir/xfrd.state"
    xfrdir: "$dir"
    pidfile: "$dir/nsd.pid"
    logfile: "$dir/nsd.log"
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
}
