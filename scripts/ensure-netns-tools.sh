#!/bin/sh
# Makes sure the tools the capture end-to-end test needs are installed: iproute2 (ip netns),
# iptables (Debian's, nft backend) and setpriv (util-linux). Installs missing ones with apt-get
# when running as root on Debian/Ubuntu; otherwise says what is missing and exits 1.
set -eu
missing=""
command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
command -v iptables >/dev/null 2>&1 || missing="$missing iptables"
command -v setpriv >/dev/null 2>&1 || missing="$missing util-linux"
[ -z "$missing" ] && { echo "ensure-netns-tools: ip, iptables and setpriv ready"; exit 0; }
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-netns-tools: missing:$missing (install them as root)" >&2
  exit 1
fi
echo "ensure-netns-tools: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 || {
  apt-get update >/dev/null 2>&1
  apt-get install -y --no-install-recommends $missing >/dev/null
}
echo "ensure-netns-tools: ip, iptables and setpriv ready"
