#!/usr/bin/env bash
# The real-world zone corpus of issue 23, by hand (not a CI test: it
# downloads ~7 MB): every zone file in the test suites of BIND 9 and Knot
# DNS, from Debian's source tarballs, compared with named-checkzone by
# zone_corpus.py (same decision, same records).
#
#   tests/system/foreign_corpus.sh [WORKDIR]      (default /tmp/enumd-foreign)
#
# Files: *.db, *.zone, BIND's *.db.in templates, libzscanner's inputs; each
# gets a first line "; origin: NAME" (its SOA owner as enumctl reads it,
# else its file name) so both tools read it with the same origin. Needs
# curl, named-checkzone and a build (ENUMD_BIN_DIR, default build/bin).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=${1:-/tmp/enumd-foreign}
bin=${ENUMD_BIN_DIR:-$root/build/bin}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$work/src" "$work/corpus"
cd "$work/src"
for pkg in "b/bind9/bind9_9.18.49.orig.tar.xz" "k/knot/knot_3.2.6.orig.tar.xz"; do
  f=$(basename "$pkg")
  [ -s "$f" ] || curl -fsS -o "$f" "$mirror/pool/main/$pkg"
  tar xf "$f"
done
rm -f "$work"/corpus/*
find bind-* knot-* -type f \( -name '*.db' -o -name '*.db.in' -o -name '*.zone' \
  -o -name '*.zone.in' -o -path '*libzscanner/data/*.in' \) | sort | while read -r f; do
  name=$(echo "$f" | tr '/' '_')
  case $name in *.in) name=$name.db ;; esac  # zone_corpus.py reads *.db and *.zone
  origin=$("$bin/enumctl" check "$f" 2>/dev/null | sed -n 's/.*: zone \([^ ]*\) serial.*/\1/p' || true)
  if [ -z "$origin" ]; then
    base=$(basename "$f"); base=${base%.in}; base=${base%.db}; base=${base%.zone}; base=${base#db.}
    case $base in root|'') origin=. ;; *[!A-Za-z0-9._-]*) origin=example. ;; *) origin=${base%.}. ;; esac
  fi
  { echo "; origin: $origin"; cat "$f"; } > "$work/corpus/$name"
done
echo "$(ls "$work/corpus" | wc -l) zone files in $work/corpus"
ENUMD_BIN_DIR=$bin python3 "$root/tests/system/zone_corpus.py" "$work/corpus"
