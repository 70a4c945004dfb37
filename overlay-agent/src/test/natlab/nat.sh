#!/usr/bin/env bash
# A two-NAT lab of network namespaces, veth pairs, bridges and nftables (documentation ranges only):
#
#   a  192.0.2.10/26 --+
#   a2 192.0.2.11/26 --+-- natA (br-lan 192.0.2.1/26,  wan 198.51.100.2/24) --+
#                                                                              +-- inet (br-wan 198.51.100.1/24,
#   b  192.0.2.74/26 ----- natB (br-lan 192.0.2.65/26, wan 198.51.100.3/24) --+         pub 203.0.113.1/24) -- pub
#
#   pub: 203.0.113.10 and 203.0.113.11 (two rendezvous), 203.0.113.20 (a public server)
#
# Namespaces are PREFIX-a, PREFIX-a2, PREFIX-natA, PREFIX-b, PREFIX-natB, PREFIX-inet, PREFIX-pub.
# Every veth is created straight inside its namespaces, so interface names (eth0, lan-a, wan, ...)
# never meet in the root namespace and stay short whatever PREFIX is.
#
# Each NAT router drops unsolicited WAN packets: input and forward chains have policy drop and
# accept only what comes from the LAN, what belongs to a known flow (ct state established,related)
# and, for fullcone, what its own DNAT rule admitted (ct status dnat). No hairpinning.
#
# Usage:
#   nat.sh up PREFIX                        build the lab (both NATs eim); tears down an old one first
#   nat.sh down PREFIX                      stop processes left in its namespaces, delete everything
#   nat.sh type PREFIX natA|natB eim|sym|fullcone
#                                           replace that NAT's rules in one nft transaction:
#       eim       masquerade: endpoint-independent mapping (Linux keeps the source port when it is free)
#       sym       masquerade random: a fresh random port per flow (endpoint-dependent mapping)
#       fullcone  inbound UDP to the WAN address is DNATed to the LAN host (natA: a, natB: b), same
#                 port; outbound is SNAT to the WAN address, port preserving
#     Existing conntrack entries keep the mapping they were made with: follow with 'flush' for the
#     new type to apply to flows already running.
#   nat.sh renumber PREFIX natA|natB ADDR   move the WAN address to ADDR (198.51.100.0/24) with its
#                                           routes; flows NATed to the old address are forgotten
#   nat.sh flush PREFIX natA|natB [--except ADDR]
#                                           delete the NAT's UDP conntrack entries (port rebinding);
#                                           --except keeps the flows to ADDR (and so their mappings)
#   nat.sh show PREFIX natA|natB            print "TYPE WANADDR"
set -euo pipefail
cmd=${1:?usage: nat.sh up|down|type|renumber|flush|show PREFIX ...}
p=${2:?PREFIX}
[[ $p =~ ^[A-Za-z0-9_]{1,20}$ ]] || { echo "nat.sh: PREFIX must be 1-20 letters, digits or _" >&2; exit 2; }

NAMESPACES=(a a2 natA b natB inet pub)
ns() { ip netns exec "$p-$1" "${@:2}"; }
veth() { # veth NS1 IF1 NS2 IF2
  ip link add "$2" netns "$p-$1" type veth peer name "$4" netns "$p-$3"
}

lan_host() { case $1 in natA) echo 192.0.2.10 ;; natB) echo 192.0.2.74 ;; esac; }
nat_name() {
  case ${1:-} in natA|natB) ;; *) echo "nat.sh: expected natA or natB, got '${1:-}'" >&2; exit 2 ;; esac
  [[ -e /run/netns/$p-$1 ]] || { echo "nat.sh: lab $p is not up" >&2; exit 1; }
}
wan_addr() { ns "$1" ip -4 -o addr show dev wan | awk '{split($4, a, "/"); print a[1]; exit}'; }

down() {
  local n pid
  for n in "${NAMESPACES[@]}"; do
    if [[ -e /run/netns/$p-$n ]]; then
      # Processes a test left behind would keep the namespace's network alive.
      for pid in $(ip netns pids "$p-$n" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
      ip netns del "$p-$n" 2>/dev/null || true
    fi
  done
}

router_filter() { # the stateful firewall every NAT router runs
  ns "$1" nft -f - <<'NFT'
table ip filter {
  chain input { type filter hook input priority filter; policy drop;
    iifname "lo" accept; iifname "br-lan" accept; ct state established,related accept; }
  chain forward { type filter hook forward priority filter; policy drop;
    iifname "br-lan" accept; ct state established,related accept; ct status dnat accept; }
}
NFT
}

apply_type() { # apply_type NAT TYPE: one transaction, so no packet ever sees a half-built table
  local nat=$1 type=$2 wan pre post
  wan=$(wan_addr "$nat")
  pre=""
  case $type in
    eim) post='oifname "wan" masquerade' ;;
    sym) post='oifname "wan" masquerade random' ;;
    fullcone)
      pre="iifname \"wan\" ip daddr $wan meta l4proto udp dnat ip to $(lan_host "$nat")"
      post="oifname \"wan\" snat ip to $wan" ;;
    *) echo "nat.sh: type must be eim, sym or fullcone, got '$type'" >&2; exit 2 ;;
  esac
  ns "$nat" nft -f - <<NFT
table ip nat
delete table ip nat
table ip nat {
  comment "$type";
  chain prerouting { type nat hook prerouting priority dstnat; $pre; }
  chain postrouting { type nat hook postrouting priority srcnat; $post; }
}
NFT
}

current_type() {
  ns "$1" nft list table ip nat | sed -n 's/^[[:space:]]*comment "\([a-z]*\)".*/\1/p' | head -n 1
}

flush() { # UDP conntrack entries only; "0 flow entries" is not an error
  ns "$1" conntrack -D -p udp >/dev/null 2>&1 || true
}

flush_except() { # flush_except NAT ADDR: delete every UDP entry whose original destination is not ADDR
  [[ $2 =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || { echo "nat.sh: flush --except: not an IPv4 address: '$2'" >&2; exit 2; }
  local pass src dst sport dport n
  # Twice: a flow that started while the first pass ran is caught by the second.
  for pass in 1 2; do
    n=0
    while read -r src dst sport dport; do
      [[ $dst == "$2" ]] && continue
      ns "$1" conntrack -D -p udp -s "$src" -d "$dst" --sport "$sport" --dport "$dport" >/dev/null 2>&1 || true
      ((++n < 10000)) || break
    done < <(ns "$1" conntrack -L -p udp 2>/dev/null | awk '{
        s = d = sp = dp = ""
        for (i = 1; i <= NF; i++) {
          if (s == "" && $i ~ /^src=/) s = substr($i, 5)
          else if (d == "" && $i ~ /^dst=/) d = substr($i, 5)
          else if (sp == "" && $i ~ /^sport=/) sp = substr($i, 7)
          else if (dp == "" && $i ~ /^dport=/) dp = substr($i, 7)
        }
        if (s != "" && d != "" && sp != "" && dp != "") print s, d, sp, dp
      }')
  done
}

up() {
  down
  local n
  for n in "${NAMESPACES[@]}"; do
    ip netns add "$p-$n"
    ns "$n" ip link set lo up
    # IPv4 only: no link-local addresses, router solicitations or DAD to wait for or to be seen.
    ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
  # LAN A: a and a2 on one bridge in natA. LAN B: b on a bridge in natB (same rules for both NATs).
  veth a eth0 natA lan-a
  veth a2 eth0 natA lan-a2
  veth b eth0 natB lan-b
  # The "internet": both WANs on one bridge in inet, pub on its own link.
  veth natA wan inet wan-a
  veth natB wan inet wan-b
  veth pub eth0 inet pub

  for n in natA natB inet; do
    # If br_netfilter is loaded, bridged frames would cross the IP hooks (and conntrack): not here.
    ns "$n" sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null || true
    ns "$n" sysctl -qw net.ipv4.ip_forward=1
  done
  for n in natA natB; do
    ns "$n" ip link add br-lan type bridge
    ns "$n" sysctl -qw net.ipv4.conf.wan.promote_secondaries=1
  done
  ns natA ip link set lan-a master br-lan
  ns natA ip link set lan-a2 master br-lan
  ns natB ip link set lan-b master br-lan
  ns inet ip link add br-wan type bridge
  ns inet ip link set wan-a master br-wan
  ns inet ip link set wan-b master br-wan

  ns a ip addr add 192.0.2.10/26 dev eth0
  ns a2 ip addr add 192.0.2.11/26 dev eth0
  ns b ip addr add 192.0.2.74/26 dev eth0
  ns natA ip addr add 192.0.2.1/26 dev br-lan
  ns natA ip addr add 198.51.100.2/24 dev wan
  ns natB ip addr add 192.0.2.65/26 dev br-lan
  ns natB ip addr add 198.51.100.3/24 dev wan
  ns inet ip addr add 198.51.100.1/24 dev br-wan
  ns inet ip addr add 203.0.113.1/24 dev pub
  for a in 203.0.113.10 203.0.113.11 203.0.113.20; do ns pub ip addr add "$a/24" dev eth0; done

  for n in a a2 b; do ns "$n" ip link set eth0 up; done
  ns natA ip link set lan-a up; ns natA ip link set lan-a2 up; ns natB ip link set lan-b up
  for n in natA natB; do ns "$n" ip link set br-lan up; ns "$n" ip link set wan up; done
  for i in br-wan wan-a wan-b pub; do ns inet ip link set "$i" up; done
  ns pub ip link set eth0 up

  ns a ip route add default via 192.0.2.1
  ns a2 ip route add default via 192.0.2.1
  ns b ip route add default via 192.0.2.65
  ns natA ip route add default via 198.51.100.1
  ns natB ip route add default via 198.51.100.1
  ns pub ip route add default via 203.0.113.1

  for n in natA natB; do
    router_filter "$n"
    apply_type "$n" eim
  done
  wait_for_carrier
}

wait_for_carrier() { # veth and bridge carrier comes up asynchronously; bounded: 100 x 50 ms
  local i n down
  for ((i = 0; i < 100; i++)); do
    down=0
    for n in "${NAMESPACES[@]}"; do
      if ns "$n" ip -br link | awk '$1 != "lo" && $2 != "UP" {found = 1} END {exit !found}'; then down=1; break; fi
    done
    ((down)) || return 0
    sleep 0.05
  done
  echo "nat.sh: links of lab $p still down after 5 s:" >&2
  for n in "${NAMESPACES[@]}"; do ns "$n" ip -br link >&2; done
  exit 1
}

renumber() {
  local nat=$1 new=$2 old type
  [[ $new =~ ^198\.51\.100\.([0-9]{1,3})$ ]] && ((BASH_REMATCH[1] >= 2 && BASH_REMATCH[1] <= 254)) \
    || { echo "nat.sh: the new WAN address must be in 198.51.100.2-254, got '$new'" >&2; exit 2; }
  old=$(wan_addr "$nat")
  [[ $old != "$new" ]] || return 0
  type=$(current_type "$nat")
  # Add first, then delete: the new address is promoted, the link never has none.
  ns "$nat" ip addr add "$new/24" dev wan
  ns "$nat" ip addr del "$old/24" dev wan
  ns "$nat" ip route replace default via 198.51.100.1 dev wan
  apply_type "$nat" "$type"
  # masquerade forgets flows on the deleted address by itself; SNAT/DNAT (fullcone) flows do not.
  ns "$nat" conntrack -D -p udp --reply-dst "$old" >/dev/null 2>&1 || true
  ns "$nat" conntrack -D -p udp --dst "$old" >/dev/null 2>&1 || true
}

case "$cmd" in
  up) up ;;
  down) down ;;
  type) nat_name "${3:-}"; apply_type "$3" "${4:?eim, sym or fullcone}" ;;
  renumber) nat_name "${3:-}"; renumber "$3" "${4:?new WAN address}" ;;
  flush)
    nat_name "${3:-}"
    case ${4:-} in
      "") flush "$3" ;;
      --except) flush_except "$3" "${5:?flush --except ADDR}" ;;
      *) echo "nat.sh: flush PREFIX NAT [--except ADDR], got '$4'" >&2; exit 2 ;;
    esac ;;
  show) nat_name "${3:-}"; echo "$(current_type "$3") $(wan_addr "$3")" ;;
  *) echo "usage: nat.sh up|down|type|renumber|flush|show PREFIX ..." >&2; exit 2 ;;
esac
