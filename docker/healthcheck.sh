#!/usr/bin/env bash
# The enumd container's HEALTHCHECK: asks enumd for the SOA of every zone that
# docker/entrypoint.sh configured and succeeds only when each answer is
# authoritative (NOERROR, flag aa, one SOA). With no zones, any answer will do.
# Reads the same environment as entrypoint.sh (ENUMD_LISTEN, ENUMD_RUN_DIR).
set -euo pipefail

listen=${ENUMD_LISTEN:-0.0.0.0:53}
config=${ENUMD_RUN_DIR:-/run/enumd}/enumd.yaml

# The first listen address, as entrypoint.sh passes it to enumd:
# "IPv4:port", "[IPv6]:port" or a bare address (port 53).
IFS=', ' read -r -a addresses <<<"$listen"
first=${addresses[0]:-0.0.0.0:53}
case $first in
  \[*\]:*) host=${first%%]*}; host=${host#[}; port=${first##*]:} ;;
  \[*\]) host=${first#[}; host=${host%]}; port=53 ;;
  *:*:*) host=$first; port=53 ;;
  *:*) host=${first%:*}; port=${first##*:} ;;
  *) host=$first; port=53 ;;
esac
case $host in
  0.0.0.0) host=127.0.0.1 ;;
  ::) host=::1 ;;
esac

ask() {  # ask NAME: prints dig's answer; fails when no answer came
  dig @"$host" -p "$port" +norec +time=2 +tries=1 -t soa "$1"
}

mapfile -t origins < <(sed -n 's/^  - origin: "\(.*\)"$/\1/p' "$config" 2>/dev/null)
if [ ${#origins[@]} -eq 0 ]; then
  ask . >/dev/null || { echo "no answer from $host port $port"; exit 1; }
  exit 0
fi
for origin in "${origins[@]}"; do
  out=$(ask "$origin") || { echo "no answer from $host port $port for $origin SOA"; exit 1; }
  if ! grep -q 'status: NOERROR' <<<"$out" || ! grep -Eq 'flags:[^;]* aa[ ;]' <<<"$out" ||
     ! grep -q 'ANSWER: 1,' <<<"$out"; then
    echo "$origin SOA not answered authoritatively:"
    echo "$out"
    exit 1
  fi
done
echo "ok: ${#origins[@]} zone(s) answered"
