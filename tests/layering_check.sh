#!/bin/sh
# Dependencies between server areas point one way (STYLE.md):
#   daemon -> everything; query -> zone -> store -> dns -> common;
#   net, config and metrics depend on common only.
# Fails, naming the file and include, when an area includes one it may not.
root=${1:-.}
status=0
allowed() {
  case $1 in
    common) echo "common" ;;
    dns)    echo "common dns" ;;
    store)  echo "common dns store" ;;
    zone)   echo "common dns store zone" ;;
    query)  echo "common dns store zone query" ;;
    net)    echo "common net" ;;
    config) echo "common config" ;;
    metrics) echo "common metrics" ;;
    daemon) echo "common dns store zone query net config metrics daemon" ;;
  esac
}
for area in common dns store zone query net config metrics daemon; do
  ok=$(allowed $area)
  for f in $(find "$root/server/$area" -name '*.h' -o -name '*.cc' | grep -v '_test\.cc$'); do
    for inc in $(sed -n 's/^#include "\([a-z]*\)\/.*"/\1/p' "$f" | sort -u); do
      case " $ok " in
        *" $inc "*) ;;
        *) echo "layering: $f includes $inc/ (an area $area must not depend on)"; status=1 ;;
      esac
    done
  done
done
[ $status -eq 0 ] && echo "layering: ok"
exit $status
