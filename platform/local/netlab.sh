#!/usr/bin/env bash
# Hosts without Docker: Linux network namespaces standing in for containers, for ActorVisits' cluster tests and for
# platform/local/cluster.sh. Needs root, iproute2 (ip) and nftables (nft).
#
#   netlab.sh create LAB NODES SUBNET    a bridge avbr-LAB with 10.77.SUBNET.1/24 on this host, and NODES namespaces
#                                        av-LAB-n1.. each with an eth0 at 10.77.SUBNET.1<k>, a default route to the
#                                        bridge and /etc/hosts naming actorvisits-1.. (as compose names its containers)
#                                        and kafka (the host's bridge address)
#   netlab.sh exec LAB K CMD...          runs CMD in node K's namespace
#   netlab.sh isolate LAB K peers|all|brokers
#                                        node K's traffic dropped: to and from the other nodes (split brain), to and
#                                        from everything, or to and from the host (where the brokers are) but
#                                        for the node's HTTP port 8080, which the host still observes
#   netlab.sh heal LAB [K]               drops the rules of node K (of every node without K)
#   netlab.sh destroy LAB                kills what runs in the namespaces, removes them, the bridge and their files
#   netlab.sh destroy-stale              destroys the labs whose creating process ($LAB_OWNER_PID) is gone
#
# Only addresses of 10.77.SUBNET.0/24, inside namespaces and on the bridge this script made, are used. A lab's state is
# in /run/actorvisits-labs/LAB.
set -euo pipefail

STATE=/run/actorvisits-labs
TABLE=actorvisits

ns() { echo "av-$1-n$2"; }
bridge() { echo "avbr-$1"; }

state() { cat "$STATE/$1/$2"; }

nodes_of() { state "$1" nodes; }

create() {
  local lab=$1 nodes=$2 subnet=$3
  [[ $lab =~ ^[a-z0-9]{1,6}$ ]] || { echo "LAB must be 1 to 6 lower-case letters or digits" >&2; exit 2; }
  [[ $nodes =~ ^[1-9]$ ]] || { echo "NODES must be 1 to 9" >&2; exit 2; }
  [[ $subnet =~ ^[0-9]+$ ]] && (( subnet >= 1 && subnet <= 254 )) || { echo "SUBNET must be 1 to 254" >&2; exit 2; }
  if ip -o addr show | grep -q " 10\.77\.$subnet\."; then echo "10.77.$subnet.0/24 is in use" >&2; exit 3; fi
  mkdir -p "$STATE/$lab"
  echo "$nodes" > "$STATE/$lab/nodes"
  echo "$subnet" > "$STATE/$lab/subnet"
  echo "${LAB_OWNER_PID:-$PPID}" > "$STATE/$lab/owner"
  local host="10.77.$subnet.1" br
  br=$(bridge "$lab")
  ip link add "$br" type bridge
  ip addr add "$host/24" dev "$br"
  ip link set "$br" up
  local hosts="127.0.0.1 localhost\n$host kafka\n"
  for k in $(seq 1 "$nodes"); do hosts+="10.77.$subnet.1$k actorvisits-$k\n"; done
  for k in $(seq 1 "$nodes"); do
    local n veth="av-$lab-$k"
    n=$(ns "$lab" "$k")
    ip netns add "$n"
    ip link add "$veth" type veth peer name eth0 netns "$n"
    ip link set "$veth" master "$br"
    ip link set "$veth" up
    ip netns exec "$n" ip addr add "10.77.$subnet.1$k/24" dev eth0
    ip netns exec "$n" ip link set eth0 up
    ip netns exec "$n" ip link set lo up
    ip netns exec "$n" ip route add default via "$host"
    mkdir -p "/etc/netns/$n"
    printf "%b" "$hosts" > "/etc/netns/$n/hosts"
    echo "actorvisits-$k" > "/etc/netns/$n/hostname"
  done
  echo "$host"
}

rules() { # LAB K: makes sure node K has the (empty) table and chains, then adds nothing
  local n
  n=$(ns "$1" "$2")
  ip netns exec "$n" nft add table inet $TABLE
  ip netns exec "$n" nft add chain inet $TABLE input '{ type filter hook input priority 0; policy accept; }'
  ip netns exec "$n" nft add chain inet $TABLE output '{ type filter hook output priority 0; policy accept; }'
}

drop() { # LAB K ADDRESS: node K's traffic to and from ADDRESS dropped
  local n
  n=$(ns "$1" "$2")
  ip netns exec "$n" nft add rule inet $TABLE input ip saddr "$3" drop
  ip netns exec "$n" nft add rule inet $TABLE output ip daddr "$3" drop
}

isolate() {
  local lab=$1 k=$2 what=$3 subnet n
  subnet=$(state "$lab" subnet)
  n=$(ns "$lab" "$k")
  rules "$lab" "$k"
  case $what in
    peers)
      for other in $(seq 1 "$(nodes_of "$lab")"); do
        [[ $other == "$k" ]] || drop "$lab" "$k" "10.77.$subnet.1$other"
      done ;;
    all)
      ip netns exec "$n" nft add rule inet $TABLE input iifname eth0 drop
      ip netns exec "$n" nft add rule inet $TABLE output oifname eth0 drop ;;
    brokers)
      # The host keeps reaching the node's HTTP port (queries, health, metrics): only what it serves to the node goes.
      ip netns exec "$n" nft add rule inet $TABLE input ip saddr "10.77.$subnet.1" tcp dport 8080 accept
      ip netns exec "$n" nft add rule inet $TABLE output ip daddr "10.77.$subnet.1" tcp sport 8080 accept
      drop "$lab" "$k" "10.77.$subnet.1" ;;
    *) echo "isolate: peers, all or brokers" >&2; exit 2 ;;
  esac
}

heal() {
  local lab=$1
  for k in ${2:-$(seq 1 "$(nodes_of "$lab")")}; do
    ip netns exec "$(ns "$lab" "$k")" nft delete table inet $TABLE 2>/dev/null || true
  done
}

destroy() {
  local lab=$1 nodes
  nodes=$(nodes_of "$lab" 2>/dev/null || echo 9)
  for k in $(seq 1 "$nodes"); do
    local n
    n=$(ns "$lab" "$k")
    if ip netns list | grep -qw "$n"; then
      for pid in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
      ip netns del "$n" || true
    fi
    ip link del "av-$lab-$k" 2>/dev/null || true
    rm -rf "/etc/netns/$n"
  done
  ip link del "$(bridge "$lab")" 2>/dev/null || true
  rm -rf "${STATE:?}/$lab"
}

destroy_stale() {
  [[ -d $STATE ]] || return 0
  for dir in "$STATE"/*/; do
    [[ -d $dir ]] || continue
    local lab owner
    lab=$(basename "$dir")
    owner=$(cat "$dir/owner" 2>/dev/null || echo 0)
    kill -0 "$owner" 2>/dev/null || destroy "$lab"
  done
}

case ${1:-} in
  create) create "$2" "$3" "$4" ;;
  exec) lab=$2; k=$3; shift 3; exec ip netns exec "$(ns "$lab" "$k")" "$@" ;;
  isolate) isolate "$2" "$3" "$4" ;;
  heal) heal "$2" "${3:-}" ;;
  destroy) destroy "$2" ;;
  destroy-stale) destroy_stale ;;
  *) sed -n '2,20p' "$0"; exit 2 ;;
esac
