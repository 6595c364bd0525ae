#!/usr/bin/env bash
# Sets up a Debian/Ubuntu machine (as root) for this project, then runs
# the demo or the test suite:
#
#   ./setup.sh demo    install what is missing, build the shim, run the demo
#   ./setup.sh test    install what is missing, build the shim, run the tests
#   ./setup.sh         only the setup
#
# Each step checks first and changes nothing that is already in place:
# apt packages (libdpdk-dev dpdk dpdk-doc, build tools, python3, and the
# packet tests' oracles python3-scapy tshark tcpdump hexdump), Deno
# (npm package deno@2), hugepages (1 GiB reserved and hugetlbfs mounted
# when none are), and the C shim (make -C shim).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

say() { printf '==> %s\n' "$*"; }
die() { printf 'setup.sh: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run me as root: DPDK needs hugepages and /var/run/dpdk. Try: sudo $0 ${*:-}"

# 1. Debian packages
pkgs=(libdpdk-dev dpdk dpdk-doc make gcc pkg-config python3 python3-scapy tshark tcpdump bsdextrautils)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. Deno, from the npm registry (JSR and Deno's own servers may be unreachable)
if ! command -v deno >/dev/null 2>&1; then
  if ! command -v npm >/dev/null 2>&1; then
    say "installing npm"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  fi
  say "installing Deno (npm install -g deno@2)"
  npm install -g --silent deno@2 >/dev/null
  command -v deno >/dev/null 2>&1 || die "Deno was installed but is not on PATH (npm prefix: $(npm prefix -g)/bin)"
fi

# 3. Hugepages: reserve 1 GiB of 2 MiB pages when none are free, mount hugetlbfs
if ! grep -q hugetlbfs /proc/mounts; then
  say "mounting hugetlbfs on /dev/hugepages"
  mkdir -p /dev/hugepages
  mount -t hugetlbfs nodev /dev/hugepages || die "cannot mount hugetlbfs. Fix: mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages"
fi
free_pages=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free_pages:-0}" -lt 256 ]; then
  total=$(awk '/HugePages_Total/ {print $2}' /proc/meminfo)
  want=$((total - free_pages + 512))
  say "reserving hugepages: $want x 2 MiB"
  echo "$want" > /proc/sys/vm/nr_hugepages || true
  free_pages=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
  [ "${free_pages:-0}" -ge 256 ] || die "only ${free_pages:-0} free hugepages (need 256+ of 2 MiB). Fix: echo 512 > /proc/sys/vm/nr_hugepages (or dpdk-hugepages.py --setup 1G); free memory or reboot if it stays low"
fi

# 4. The C shim
make -s -C shim

case "${1:-}" in
  demo)
    say "demo: the client/server pipeline on two net_null ports"
    exec deno run -A apps/client_server_demo.ts
    ;;
  test)
    say "test suite"
    exec deno run -A tools/run_tests.ts
    ;;
  "") say "set up; run ./setup.sh demo or ./setup.sh test" ;;
  *) die "unknown command '$1' (demo, test)" ;;
esac
