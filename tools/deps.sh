#!/usr/bin/env bash
# Installs the Debian 12 packages enumd needs, only those that are missing.
#   tools/deps.sh build   compiler, CMake and the libraries
#   tools/deps.sh test    the above plus what the test suite runs against
#                         (dig, kdig, BIND 9 as the reference server, dnspython,
#                         valgrind for the leak check; lintian, dpkg-dev, man-db
#                         and systemd-analyze for the Debian package and the
#                         unit; docker-compose to check docker/compose.yaml;
#                         curl and promtool (package prometheus) for /metrics;
#                         dnstap-ldns and fstrm_capture for the dnstap logs)
#   tools/deps.sh fuzz    build plus clang and its libFuzzer/sanitizer runtimes
#                         (tools/fuzz.sh); libclang-rt-14-dev holds
#                         libclang_rt.fuzzer-x86_64.a and is only a Recommends of
#                         clang, which --no-install-recommends skips
set -euo pipefail

build_pkgs=(g++ cmake make pkg-config libldns-dev libuv1-dev libyaml-cpp-dev librocksdb-dev
            doctest-dev libsystemd-dev libssl-dev libfstrm-dev)
test_pkgs=(python3 python3-dnspython python3-yaml knot-dnssecutils dnsutils knot-dnsutils bind9 bind9-utils knot nsd iproute2 procps valgrind
           dpkg-dev lintian man-db groff-base systemd docker-compose curl prometheus
           dnstap-ldns fstrm-bin)
fuzz_pkgs=(clang libclang-rt-14-dev)

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test_pkgs[@]}") ;;
  fuzz) want+=("${fuzz_pkgs[@]}") ;;
  *) echo "usage: tools/deps.sh [build|test|fuzz]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# Packages that ship a service (bind9) must not start it: nothing of ours needs it running.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e $policy ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee $policy >/dev/null && $sudo chmod +x $policy && created_policy=1
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
[ $created_policy -eq 1 ] && $sudo rm -f $policy
exit 0
