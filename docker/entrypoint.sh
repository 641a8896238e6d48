#!/usr/bin/env bash
# The enumd container's entrypoint (also run as is by
# tests/system/test_docker_playground.py, outside Docker).
#
# Serves every zone file (*.db, any depth) found in the zones folder:
#   1. learns each file's origin from `enumctl check FILE` ($ORIGIN, else the
#      SOA owner), which also validates it;
#   2. writes an enumd configuration: the settings of $ENUMD_CONFIG plus a
#      `zones:` list naming every file with its origin;
#   3. execs enumd in the foreground, logging to stdout. enumd imports a
#      zone file when the store lacks the zone or the file changed (path,
#      size, modification time), so editing a file and restarting the
#      container applies the edit; unchanged zones cost nothing at start.
# A file that fails the check is still listed (origin taken from its name,
# e164.arpa.db -> e164.arpa.): enumd then logs FILE:LINE: reason and keeps
# serving the copy already in the store. When the store has no copy (a new
# volume), enumd could not start, and a restart policy would start the
# container over and over: instead this script says what to do and waits
# until a zone file changes, then starts over (README "Playground in Docker").
#
# Arguments: none runs enumd; arguments starting with "-" are added to
# enumd's command line (`docker run enumd --log-level debug`); anything else
# is run instead (`docker run -it enumd bash`).
#
# Environment (defaults are the image's layout):
#   ENUMD_ZONES_DIR  zone files                      /etc/enumd/zones
#   ENUMD_CONFIG     settings without zones          /etc/enumd/enumd.yaml
#   ENUMD_STORE      RocksDB store (a volume)        /var/lib/enumd
#   ENUMD_LISTEN     addresses, comma or space separated (UDP and TCP)
#                                                    0.0.0.0:53
#   ENUMD_RUN_DIR    generated config, origin cache  /run/enumd
#                    (with docker run --read-only: --tmpfs /run/enumd:uid=153,gid=153)
#   ENUMD_WILDCARDS  wildcard mode: "MODE" for every zone and/or
#                    "ORIGIN=MODE" for one; MODE is rfc4592 (default) or
#                    longest-match. E.g. "e164.arpa.=longest-match"
#   ENUMD_WORKERS, ENUMD_LOG_LEVEL   enumd --workers / --log-level
#   ENUMD_BIN_DIR    where enumd and enumctl are     (unset: from PATH)
set -euo pipefail

zones_dir=${ENUMD_ZONES_DIR:-/etc/enumd/zones}
base_config=${ENUMD_CONFIG:-/etc/enumd/enumd.yaml}
store=${ENUMD_STORE:-/var/lib/enumd}
listen=${ENUMD_LISTEN:-0.0.0.0:53}
run_dir=${ENUMD_RUN_DIR:-/run/enumd}
wildcards=${ENUMD_WILDCARDS:-}
enumd=${ENUMD_BIN_DIR:+$ENUMD_BIN_DIR/}enumd
enumctl=${ENUMD_BIN_DIR:+$ENUMD_BIN_DIR/}enumctl

log() { echo "entrypoint: $*"; }
die() { echo "entrypoint: error: $*" >&2; exit 1; }

if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  exec "$@"
fi
for b in "$enumd" "$enumctl"; do
  command -v "$b" >/dev/null || die "no $b (ENUMD_BIN_DIR, PATH)"
done

# --- where things go ----------------------------------------------------------
[ -d "$zones_dir" ] || die "zones folder $zones_dir does not exist (ENUMD_ZONES_DIR)"
mkdir -p "$run_dir" "$store" 2>/dev/null || true
[ -w "$run_dir" ] || die "$run_dir is not writable by uid $(id -u) (ENUMD_RUN_DIR;" \
  "a read-only container needs a tmpfs there: docker run --read-only --tmpfs $run_dir:uid=$(id -u),gid=$(id -g))"
[ -w "$store" ] ||
  die "store $store is not writable by uid $(id -u) (ENUMD_STORE; a bind mount owned by someone else?)"
# enumd reads relative zone paths from the config's folder: make all absolute.
zones_dir=$(cd "$zones_dir" && pwd)
store=$(cd "$store" && pwd)
run_dir=$(cd "$run_dir" && pwd)
# enumctl check spills a big zone's sort to $TMPDIR: beside the store, as
# enumd's own imports do, rather than in / (read-only in a --read-only container).
export TMPDIR=${TMPDIR:-$store}
if [ -e "$base_config" ]; then
  if grep -Eq '^zones[[:space:]]*:' "$base_config"; then
    die "$base_config has a zones: key; the zone list comes from $zones_dir, remove it"
  fi
else
  log "warning: no $base_config (ENUMD_CONFIG): enumd's defaults apply"
  base_config=""
fi

# --- wildcard modes from ENUMD_WILDCARDS ----------------------------------------
# Origins compare case-insensitively, with or without the trailing dot.
canon() { local o=${1,,}; echo "${o%.}."; }
default_mode=rfc4592
declare -A mode_of=() mode_used=()
IFS=', ' read -r -a items <<<"$wildcards"
for item in "${items[@]}"; do
  mode=${item#*=}
  case $mode in
    rfc4592 | longest-match) ;;
    *) die "ENUMD_WILDCARDS: '$item': the mode is rfc4592 or longest-match" ;;
  esac
  case $item in
    *=*) mode_of[$(canon "${item%%=*}")]=$mode ;;
    *) default_mode=$mode ;;
  esac
done

# --- origins: `enumctl check`, remembered per (path, size, mtime) ---------------
# Checking reads the whole file (seconds per million records), so a file that
# has not changed since the last start of this container is not read again.
cache=$run_dir/origins.tsv
declare -A cached=()
if [ -f "$cache" ]; then
  while IFS=$'\t' read -r key origin; do cached[$key]=$origin; done <"$cache"
fi
new_cache=$(mktemp "$run_dir/origins.XXXXXX")
trap 'rm -f "$new_cache"' EXIT

mapfile -d '' files < <(find -L "$zones_dir" -type f -name '*.db' -print0 | sort -z)

declare -A file_of=()
failed=()
zones_yaml=""
yaml_quote() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
for file in "${files[@]}"; do
  key="$file:$(stat -L -c '%s:%.9Y' "$file")"
  origin=${cached[$key]:-}
  if [ -z "$origin" ]; then
    if out=$("$enumctl" check "$file" 2>&1); then
      log "$out"
      rest=${out#"$file: zone "}
      origin=${rest%% *}
      if [ "$rest" = "$out" ] || [ "${origin%.}" = "$origin" ]; then
        die "cannot read the origin from \`enumctl check $file\`: $out"
      fi
      printf '%s\t%s\n' "$key" "$origin" >>"$new_cache"
    else
      origin=$(basename "$file" .db)
      origin="${origin%.}."
      log "$out"
      log "warning: $file does not check; listing it as zone $origin (its file name);" \
          "enumd keeps serving the stored copy, if any"
      failed+=("$file")
    fi
  else
    log "$file: zone $origin, checked before (unchanged)"
    printf '%s\t%s\n' "$key" "$origin" >>"$new_cache"
  fi
  c=$(canon "$origin")
  [ -z "${file_of[$c]:-}" ] || die "zone $origin is in both ${file_of[$c]} and $file"
  file_of[$c]=$file
  mode=${mode_of[$c]:-$default_mode}
  mode_used[$c]=1
  zones_yaml+="  - origin: $(yaml_quote "$origin")"$'\n'
  zones_yaml+="    file: $(yaml_quote "$file")"$'\n'
  zones_yaml+="    wildcards: $mode"$'\n'
done
mv -f "$new_cache" "$cache"
for c in "${!mode_of[@]}"; do
  [ -n "${mode_used[$c]:-}" ] || log "warning: ENUMD_WILDCARDS names $c, which no zone file holds"
done
if [ ${#files[@]} -eq 0 ]; then
  log "warning: no *.db files in $zones_dir: every query will be REFUSED"
  zones_yaml="  []"$'\n'
fi

# --- the configuration enumd runs with --------------------------------------------
config=$run_dir/enumd.yaml
{
  echo "# Written by entrypoint.sh at each start: the settings of ${base_config:-(none)}"
  echo "# and every zone file in $zones_dir. Edit those, not this file."
  [ -z "$base_config" ] || cat "$base_config"
  echo
  echo "zones:"
  printf '%s' "$zones_yaml"
} >"$config.tmp"
mv -f "$config.tmp" "$config"

args=(--config "$config" --store "$store")
IFS=', ' read -r -a addresses <<<"$listen"
for a in "${addresses[@]}"; do args+=(--listen "$a"); done
[ -z "${ENUMD_WORKERS:-}" ] || args+=(--workers "$ENUMD_WORKERS")
[ -z "${ENUMD_LOG_LEVEL:-}" ] || args+=(--log-level "$ENUMD_LOG_LEVEL")

# --- a zone enumd cannot serve: say what to do, and wait --------------------------
# Only when a file failed its check: does the store hold a copy to serve?
# (`enumd --check-config` exits 1 when enumd would not start, 2 when it would
# serve stored copies.) Files that checked are not read again.
fingerprint() { find -L "$zones_dir" -type f -name '*.db' -printf '%p %s %T@\n' | sort | cksum; }
if [ ${#failed[@]} -gt 0 ]; then
  rc=0
  "$enumd" --check-config "$config" "${args[@]:2}" >"$run_dir/check.txt" 2>&1 || rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 2 ]; then
    before=$(fingerprint)
    sed 's/^/entrypoint: /' "$run_dir/check.txt"
    log "error: enumd cannot start: a zone file above has errors and the store has no" \
        "earlier copy of its zone to serve (a new volume?)."
    log "To go on: fix the file, or move it out of $zones_dir. This container starts" \
        "over by itself once a zone file changes (or: docker restart). It waits" \
        "(unhealthy) instead of exiting, so that its restart policy does not loop."
    trap 'kill $! 2>/dev/null; log "stopped while waiting for a zone file to change"; exit 0' TERM INT
    while :; do
      sleep 2 &
      wait $! || true
      if [ "$(fingerprint)" != "$before" ]; then
        log "a zone file changed: starting over"
        exec bash "$0" "$@"
      fi
    done
  fi
fi

log "serving ${#files[@]} zone file(s) from $zones_dir on $listen; store $store"
exec "$enumd" "${args[@]}" "$@" 2>&1
