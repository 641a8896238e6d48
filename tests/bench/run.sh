#!/usr/bin/env bash
# Runs both benchmarks: import (import_bench.sh), then serving (serve_bench.sh).
#
#   tests/bench/run.sh [--ten-million] [--numbers N] [--repeat R]
#                      [--build DIR] [--workdir DIR]
#
# --ten-million adds the 10M-number import; serving always uses --numbers
# (default 1,000,000). See README.md in this directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
imp=() srv=()
while (($#)); do
  case $1 in
    --ten-million) imp+=("$1") ;;
    --numbers|--repeat|--build|--workdir) imp+=("$1" "$2") srv+=("$1" "$2"); shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
"$here/import_bench.sh" "${imp[@]}"
"$here/serve_bench.sh" "${srv[@]}"
