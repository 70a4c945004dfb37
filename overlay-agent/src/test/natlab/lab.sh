#!/usr/bin/env bash
# A NAT lab of network namespaces (documentation address ranges only):
#
#   client 192.0.2.10 --- [nat: LAN 192.0.2.1 | WAN 198.51.100.2, masquerade] --- inet --- server 203.0.113.10
#                                              198.51.100.1 (inet) 203.0.113.1
#
# The NAT drops unsolicited inbound packets (policy drop, established/related accepted), as home
# routers do. Usage: lab.sh up PREFIX | lab.sh down PREFIX. PREFIX keeps parallel labs apart.
set -euo pipefail
cmd=${1:?up or down}
p=${2:-ovl}
ns() { ip netns exec "$p-$1" "${@:2}"; }

down() {
  for n in client nat inet server; do ip netns del "$p-$n" 2>/dev/null || true; done
}

up() {
  down
  for n in client nat inet server; do
    ip netns add "$p-$n"
    ns "$n" ip link set lo up
  done
  ip link add "$p-c" type veth peer name "$p-nl"
  ip link set "$p-c" netns "$p-client"; ip link set "$p-nl" netns "$p-nat"
  ip link add "$p-nw" type veth peer name "$p-in"
  ip link set "$p-nw" netns "$p-nat"; ip link set "$p-in" netns "$p-inet"
  ip link add "$p-is" type veth peer name "$p-s"
  ip link set "$p-is" netns "$p-inet"; ip link set "$p-s" netns "$p-server"

  ns client ip addr add 192.0.2.10/24 dev "$p-c";      ns client ip link set "$p-c" up
  ns client ip route add default via 192.0.2.1
  ns nat ip addr add 192.0.2.1/24 dev "$p-nl";         ns nat ip link set "$p-nl" up
  ns nat ip addr add 198.51.100.2/24 dev "$p-nw";      ns nat ip link set "$p-nw" up
  ns nat ip route add default via 198.51.100.1
  ns inet ip addr add 198.51.100.1/24 dev "$p-in";     ns inet ip link set "$p-in" up
  ns inet ip addr add 203.0.113.1/24 dev "$p-is";      ns inet ip link set "$p-is" up
  ns server ip addr add 203.0.113.10/24 dev "$p-s";    ns server ip link set "$p-s" up
  ns server ip route add default via 203.0.113.1
  ns nat sysctl -qw net.ipv4.ip_forward=1
  ns inet sysctl -qw net.ipv4.ip_forward=1

  # Endpoint-independent mapping (Linux masquerade), filtering of unsolicited WAN traffic.
  ns nat nft -f - <<NFT
table ip nat {
  chain postrouting { type nat hook postrouting priority srcnat; oifname "$p-nw" masquerade; }
}
table ip filter {
  chain input { type filter hook input priority filter; policy drop;
    iifname "$p-nl" accept; ct state established,related accept; }
  chain forward { type filter hook forward priority filter; policy drop;
    iifname "$p-nl" accept; ct state established,related accept; }
}
NFT
}

case "$cmd" in
  up) up ;;
  down) down ;;
  *) echo "usage: lab.sh up|down [PREFIX]" >&2; exit 2 ;;
esac
