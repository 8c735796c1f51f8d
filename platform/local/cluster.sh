#!/usr/bin/env bash
# Rehearses the container deployment (platform/docker/compose.yaml) on one Linux host without Docker: each processor
# node runs in its own network namespace with its own address and host name (actorvisits-1..N), configured as compose
# configures a container (hocon/cluster-node.conf, the same environment) and restarted whenever it exits; the embedded
# brokers and the generator run on this host, reached from the nodes as "kafka". Needs root, iproute2 and nftables.
#
#   cluster.sh up [NODES] [RATE]   builds ActorVisits, starts the brokers, NODES nodes (3) and RATE visits/s (200)
#   cluster.sh status              each node: process, readiness, members it sees up and unreachable, partitions
#   cluster.sh isolate NODE [peers|all|brokers]
#                                  cuts NODE off from the other nodes (default: a split brain), from everything, or
#                                  from the brokers
#   cluster.sh split               cuts node 1 (the oldest: shard coordinator, first seed) off from the others
#   cluster.sh heal [NODE]         restores the network of NODE (of every node)
#   cluster.sh logs NODE           follows NODE's log (JSON lines; every incarnation, with its exit code)
#   cluster.sh down                stops the nodes (SIGTERM: drain, commit, leave), the generator and the brokers, and
#                                  removes the namespaces, the bridge and the rules
#
# Reachable from this host while up: the brokers at 10.77.77.1:9092, node K's queries, health and metrics at
# http://10.77.77.1K:8080 (e.g. /urls/store/tech/tv, /healthz/ready, /metrics). State and logs: /run/actorvisits-cluster.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NETLAB="$ROOT/platform/local/netlab.sh"
STATE=/run/actorvisits-cluster
LAB=av
SUBNET=77
HOST=10.77.$SUBNET.1
BROKER_PORT=9092

node_address() { echo "10.77.$SUBNET.1$1"; }

# GET http://ADDRESS:8080PATH with bash alone (no curl in a minimal image); the body, or nothing.
http_get() {
  local address=$1 path=$2
  { exec 3<>"/dev/tcp/$address/8080"; } 2>/dev/null || return 0
  printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$address" >&3
  timeout 3 cat <&3 | sed '1,/^\r$/d' || true
  exec 3<&-
}

metric() { # BODY NAME: the value of sample NAME in a /metrics body
  awk -v name="$2" '$1 == name { print $2; exit }' <<< "$1"
}

up() {
  local nodes=${1:-3} rate=${2:-200}
  [[ $EUID -eq 0 ]] || { echo "cluster.sh needs root (network namespaces)" >&2; exit 2; }
  command -v nft > /dev/null || { echo "cluster.sh needs nft (apt-get install -y nftables)" >&2; exit 2; }
  [[ ! -d $STATE ]] || { echo "already up (cluster.sh down first)" >&2; exit 2; }
  mkdir -p "$STATE"
  echo "Building ActorVisits..."
  dotnet build "$ROOT/src/ActorVisits/ActorVisits.csproj" -c Release -o "$STATE/bin" --nologo -v quiet > "$STATE/build.log" 2>&1 \
    || { cat "$STATE/build.log" >&2; rm -rf "$STATE"; exit 1; }
  LAB_OWNER_PID=$$ bash "$NETLAB" create $LAB "$nodes" $SUBNET > /dev/null
  echo "$nodes" > "$STATE/nodes"

  setsid dotnet "$STATE/bin/actorvisits.dll" broker --brokers 3 --partitions 6 --port $BROKER_PORT --advertise-host $HOST \
    --control-port 9192 > "$STATE/broker.log" 2>&1 < /dev/null &
  echo $! > "$STATE/broker.pid"
  # The lab lives as long as the brokers (netlab.sh destroy-stale removes it once they are gone).
  echo "$(cat "$STATE/broker.pid")" > "/run/actorvisits-labs/$LAB/owner"
  for _ in $(seq 1 60); do grep -q "bootstrap.servers=" "$STATE/broker.log" && break; sleep 1; done
  grep -q "bootstrap.servers=" "$STATE/broker.log" || { cat "$STATE/broker.log" >&2; down; exit 1; }

  for k in $(seq 1 "$nodes"); do
    # compose's restart: unless-stopped: the node is started again whenever it exits, until `down`.
    setsid bash -c '
      k=$1; state=$2; root=$3; ns=$4
      while [[ ! -e $state/stopping ]]; do
        ip netns exec "$ns" env ACTORVISITS_BOOTSTRAP_SERVERS=kafka:'$BROKER_PORT' ACTORVISITS_CLUSTER_HOSTNAME=actorvisits-$k \
          ACTORVISITS_CLUSTER_BIND_HOSTNAME=0.0.0.0 dotnet "$state/bin/actorvisits.dll" process --config "$root/hocon/cluster-node.conf" \
          >> "$state/node-$k.log" 2>&1 < /dev/null &
        echo $! > "$state/node-$k.pid"
        wait $! && code=0 || code=$?
        echo "{\"Message\":\"cluster.sh: node $k exited with code $code\"}" >> "$state/node-$k.log"
        [[ -e $state/stopping ]] || sleep 1
      done' _ "$k" "$STATE" "$ROOT" "av-$LAB-n$k" > /dev/null 2>&1 < /dev/null &
    echo $! > "$STATE/supervisor-$k.pid"
  done

  setsid dotnet "$STATE/bin/actorvisits.dll" generate --rate "$rate" -b "$HOST:$BROKER_PORT" > "$STATE/generator.log" 2>&1 < /dev/null &
  echo $! > "$STATE/generator.pid"

  echo "Waiting for the nodes to be ready..."
  for _ in $(seq 1 120); do
    local ready=0
    for k in $(seq 1 "$nodes"); do
      [[ $(metric "$(http_get "$(node_address "$k")" /metrics)" actorvisits_ready) == 1 ]] && ready=$((ready + 1))
    done
    [[ $ready == "$nodes" ]] && break
    sleep 1
  done
  status
  echo
  echo "Brokers: $HOST:$BROKER_PORT. Nodes: $(for k in $(seq 1 "$nodes"); do printf 'http://%s:8080 ' "$(node_address "$k")"; done)"
  echo "Try: cluster.sh split; cluster.sh status; cluster.sh heal; cluster.sh down"
}

status() {
  [[ -d $STATE ]] || { echo "not up"; return 0; }
  printf '%-15s %-10s %-6s %-4s %-12s %-10s %s\n' NODE ADDRESS PID READY "MEMBERS UP" UNREACHABLE PARTITIONS
  for k in $(seq 1 "$(cat "$STATE/nodes")"); do
    local address pid body running
    address=$(node_address "$k")
    pid=$(cat "$STATE/node-$k.pid" 2>/dev/null || echo "")
    running=$([[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid" || echo "-")
    body=$(http_get "$address" /metrics)
    printf '%-15s %-10s %-6s %-4s %-12s %-10s %s\n' "actorvisits-$k" "$address" "$running" \
      "$(metric "$body" actorvisits_ready)" "$(metric "$body" 'actorvisits_cluster_members{status="Up"}')" \
      "$(metric "$body" actorvisits_cluster_unreachable_members)" "$(metric "$body" actorvisits_assigned_partitions)"
  done
  echo "restarts: $(for k in $(seq 1 "$(cat "$STATE/nodes")"); do printf 'node %s: %s  ' "$k" "$(grep -c 'cluster.sh: node' "$STATE/node-$k.log" 2>/dev/null || true)"; done)"
}

down() {
  [[ -d $STATE ]] || { echo "not up"; bash "$NETLAB" destroy $LAB 2>/dev/null || true; return 0; }
  touch "$STATE/stopping"
  local nodes
  nodes=$(cat "$STATE/nodes" 2>/dev/null || echo 9)
  for k in $(seq 1 "$nodes"); do
    pid=$(cat "$STATE/node-$k.pid" 2>/dev/null || echo "")
    [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null || true
  done
  for _ in $(seq 1 40); do
    local alive=0
    for k in $(seq 1 "$nodes"); do
      pid=$(cat "$STATE/supervisor-$k.pid" 2>/dev/null || echo "")
      [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && alive=1
    done
    [[ $alive == 0 ]] && break
    sleep 1
  done
  for name in generator broker; do
    pid=$(cat "$STATE/$name.pid" 2>/dev/null || echo "")
    [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null || true
  done
  bash "$NETLAB" destroy $LAB
  local logs
  logs=$(mktemp -d /tmp/actorvisits-cluster-logs.XXXXXX)
  cp "$STATE"/*.log "$logs"/ 2>/dev/null || true
  rm -rf "$STATE"
  echo "Down. Logs kept in $logs"
}

case ${1:-} in
  up) up "${2:-3}" "${3:-200}" ;;
  status) status ;;
  isolate) bash "$NETLAB" isolate $LAB "${2:?NODE}" "${3:-peers}"; echo "node $2 cut off (${3:-peers})" ;;
  split) bash "$NETLAB" isolate $LAB 1 peers; echo "node 1 cut off from the other nodes (both sides still reach the brokers)" ;;
  heal) bash "$NETLAB" heal $LAB "${2:-}"; echo "healed" ;;
  logs) tail -F "$STATE/node-${2:?NODE}.log" ;;
  down) down ;;
  *) sed -n '2,21p' "$0"; exit 2 ;;
esac
