#!/usr/bin/env bash
# The README's "run" command: builds enumd, then serves the ENUM playground
# zone on 127.0.0.1:5300 (UDP and TCP) in the foreground. The zone file is
# imported into var/playground-store on the first start and whenever it
# changes; Ctrl-C stops the server.
#   dig @127.0.0.1 -p 5300 -t naptr 1.1.9.0.0.5.5.5.3.1.6.e164.arpa
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh
port=${PORT:-5300}
echo "enumd: serving zones/playground/e164.arpa.db on 127.0.0.1:$port; try:"
echo "  dig @127.0.0.1 -p $port -t naptr 1.1.9.0.0.5.5.5.3.1.6.e164.arpa"
exec build/bin/enumd --listen "127.0.0.1:$port" --store var/playground-store \
  --zone e164.arpa.=zones/playground/e164.arpa.db "$@"
