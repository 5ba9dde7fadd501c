#!/usr/bin/env bash
# Adds the real node `real-node-1` to a cluster started with `up.sh --real-node`
# (up.sh runs this itself): containerd + runc + CNI bridge, kubelet, kube-proxy,
# CoreDNS (cluster DNS) and kube-router's firewall (NetworkPolicy), all as host
# processes. Needs root. One real node per machine.
#
#   scripts/cluster/node-up.sh STATE_DIR
#   REGISTRY=127.0.0.1:5000 scripts/cluster/node-up.sh STATE_DIR   (registries containerd pulls from over
#                                                                  plain http; comma-separated; nothing else is pulled)
#
# The node is labelled cdk8s-workshops.dev/real-node=true and tainted
# cdk8s-workshops.dev/real-node=true:NoSchedule. Its state lives in STATE_DIR/node,
# its logs in STATE_DIR/logs. down.sh STATE_DIR removes it with the cluster.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
. "$CLUSTER_DIR/node-common.sh"

[ $# -ge 1 ] || die "usage: node-up.sh STATE_DIR"
STATE_DIR="$(cd "$1" && pwd)"
[ -f "$STATE_DIR/.cdk8s-workshops-cluster" ] || die "$STATE_DIR is not a cluster state directory made by up.sh"
[ -f "$STATE_DIR/.real-node" ] ||
  die "the cluster in $STATE_DIR was started without --real-node (its apiserver needs the node's service range, SANs and kubelet client cert): restart it with up.sh --real-node $STATE_DIR"
[ "$(id -u)" = 0 ] || die "the real node needs root (network interfaces, iptables, mounts, cgroups)"

# shellcheck disable=SC1091
. "$STATE_DIR/env" # KUBECONFIG, KUBE_SERVER, KUBE_BIN_DIR
API_PORT="${KUBE_SERVER##*:}"
NODE_DIR="$STATE_DIR/node"
LOGS="$STATE_DIR/logs"
PIDS="$STATE_DIR/pids"
PKI="$STATE_DIR/pki"
ADMIN_KUBECONFIG="$STATE_DIR/kubeconfig"
mkdir -p "$LOGS" "$PIDS"

total=$SECONDS
phase_start=$SECONDS
phase_name=""
phase() { # phase "<n/N> <what>": ends the previous phase (printing its time), starts the next
  [ -z "$phase_name" ] || log "[node $phase_name] done in $((SECONDS - phase_start)) s"
  phase_name="$1"
  phase_start=$SECONDS
  log "[node $phase_name]"
}

fail() {
  log "ERROR: $*"
  local f
  for f in kubelet containerd kube-proxy kube-router coredns; do
    [ -f "$LOGS/$f.log" ] || continue
    log "---- last lines of $LOGS/$f.log"
    tail -n 20 "$LOGS/$f.log" >&2 || true
  done
  if iptables -w -t nat -S KUBE-SERVICES >/dev/null 2>&1; then
    log "---- iptables -t nat -S KUBE-SERVICES (kube-proxy's Services)"
    iptables -w -t nat -S KUBE-SERVICES 2>&1 | head -n 30 >&2 || true
  fi
  exit 1
}

kc() { "$KUBE_BIN_DIR/kubectl" --kubeconfig "$ADMIN_KUBECONFIG" --request-timeout=10s "$@"; }
run() { # run <name> <command> args...: detached, own session, log in LOGS/<name>.log
  local name="$1"
  shift
  setsid "$@" </dev/null >"$LOGS/$name.log" 2>&1 &
  echo $! >"$PIDS/node-$name.pid"
}
alive() { kill -0 "$(cat "$PIDS/node-$1.pid" 2>/dev/null)" 2>/dev/null; }
wait_for() { # wait_for <seconds> <description> <process names to watch> -- <command...>
  local seconds="$1" what="$2" names="$3"
  local deadline=$((SECONDS + seconds))
  shift 4
  until "$@" >/dev/null 2>&1; do
    local n
    for n in $names; do alive "$n" || fail "$n exited while waiting for $what (log: $LOGS/$n.log)"; done
    [ $SECONDS -lt $deadline ] || fail "timed out after $seconds s waiting for $what"
    sleep 0.3
  done
}

# ---------------------------------------------------------------- 1 packages
phase "1/6 packages"
missing=""
command -v containerd >/dev/null || missing+=" containerd"
command -v runc >/dev/null || missing+=" runc"
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/portmap ] || missing+=" containernetworking-plugins"
command -v iptables >/dev/null || missing+=" iptables"
command -v ipset >/dev/null || missing+=" ipset"
command -v socat >/dev/null || missing+=" socat"
command -v conntrack >/dev/null || missing+=" conntrack"
command -v openssl >/dev/null || missing+=" openssl"
if [ -n "$missing" ]; then
  log "apt-get install$missing"
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  if ! apt-get install -y -qq -o DPkg::Lock::Timeout=600 $missing >"$LOGS/apt.log" 2>&1; then
    apt-get update -qq -o DPkg::Lock::Timeout=600 >>"$LOGS/apt.log" 2>&1
    # shellcheck disable=SC2086
    apt-get install -y -qq -o DPkg::Lock::Timeout=600 $missing >>"$LOGS/apt.log" 2>&1 || fail "apt-get install$missing failed (see $LOGS/apt.log)"
  fi
fi

# ---------------------------------------------------------------- 2 build
phase "2/6 build"
bash "$CLUSTER_DIR/node-build.sh"

# One real node per machine: its bridges, addresses and iptables chains have fixed names.
if [ -f "$NODE_LOCK" ]; then
  other="$(cat "$NODE_LOCK")"
  if [ "$other" != "$STATE_DIR" ] && [ -d "$other/node" ]; then
    die "a real node of the cluster in $other is up on this machine: stop it first (scripts/cluster/down.sh $other)"
  fi
fi
# A node left over in this STATE_DIR (or a crashed run): clean up first.
bash "$CLUSTER_DIR/node-down.sh" "$STATE_DIR"
echo "$STATE_DIR" >"$NODE_LOCK"
# Paths outside STATE_DIR that containerd and kubelet create whatever they are told: removed by node-down.sh
# when this script made them.
: >"$NODE_DIR.made"
for d in /run/containerd /var/lib/kubelet; do [ -e "$d" ] || echo "$d" >>"$NODE_DIR.made"; done
mkdir -p "$NODE_DIR"/{containerd,certs.d,cni/net.d,cni/ipam,kubelet,pod-logs,volume-plugins}

# ---------------------------------------------------------------- 3 network
phase "3/6 network ($NODE_BRIDGE $REAL_NODE_IP/32, pods $POD_BRIDGE $POD_SUBNET, services $REAL_NODE_SERVICE_CIDR)"
# Settings changed for the whole machine, restored by node-down.sh.
: >"$NODE_DIR/sysctl.saved"
for key in net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables; do
  echo "$key=$(sysctl -n "$key")" >>"$NODE_DIR/sysctl.saved"
done
# leftovers of a real node whose state directory is gone (a crashed run): the names are fixed
for br in "$POD_BRIDGE" "$NODE_BRIDGE"; do ip link del "$br" 2>/dev/null || true; done
while iptables -w -t mangle -D POSTROUTING -j "$GUARD_CHAIN" 2>/dev/null; do :; done
while iptables -w -t mangle -D FORWARD -i cdkw+ ! -o cdkw+ -j DROP 2>/dev/null; do :; done
iptables -w -t mangle -F "$GUARD_CHAIN" 2>/dev/null && iptables -w -t mangle -X "$GUARD_CHAIN"
ip link add "$NODE_BRIDGE" type bridge
ip addr add "$REAL_NODE_IP/32" dev "$NODE_BRIDGE"
ip link set "$NODE_BRIDGE" up
ip link add "$POD_BRIDGE" type bridge
ip addr add "$POD_GATEWAY/${POD_SUBNET#*/}" dev "$POD_BRIDGE"
ip link set "$POD_BRIDGE" up
# The whole range (services too) goes to a bridge with nothing behind it, never to the default route.
ip route replace "$NODE_RANGE" dev "$NODE_BRIDGE"
# Nothing from the node's bridges, nor with one of its addresses, leaves through another interface.
iptables -w -t mangle -N "$GUARD_CHAIN"
iptables -w -t mangle -A "$GUARD_CHAIN" -o cdkw+ -j RETURN
iptables -w -t mangle -A "$GUARD_CHAIN" -o lo -j RETURN
iptables -w -t mangle -A "$GUARD_CHAIN" -s "$NODE_RANGE" -j DROP
iptables -w -t mangle -A "$GUARD_CHAIN" -d "$NODE_RANGE" -j DROP
iptables -w -t mangle -I POSTROUTING 1 -j "$GUARD_CHAIN"
iptables -w -t mangle -I FORWARD 1 -i cdkw+ ! -o cdkw+ -j DROP
sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1

# ---------------------------------------------------------------- 4 containerd
phase "4/6 containerd $(containerd --version | awk '{print $3}') + runc + CNI"
CONTAINERD_SOCK="$NODE_DIR/containerd/containerd.sock"
# Registries pulled over plain http (REGISTRY=host:port[,host:port...]); every other registry resolves to a
# closed loopback port, so a pod naming an image from the internet fails to pull instead of reaching out.
bash "$CLUSTER_DIR/node-registry.sh" "$STATE_DIR" ${REGISTRY:+"$REGISTRY"} || fail "REGISTRY=${REGISTRY:-} refused"
cat >"$NODE_DIR/cni/net.d/10-$CNI_NETWORK.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$POD_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$NODE_DIR/cni/ipam",
        "ranges": [[{ "subnet": "$POD_SUBNET", "gateway": "$POD_GATEWAY" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
cat >"$NODE_DIR/containerd/config.toml" <<EOF
version = 2
root = "$NODE_DIR/containerd/root"
state = "$NODE_DIR/containerd/state"
oom_score = 0

[grpc]
  address = "$CONTAINERD_SOCK"

[ttrpc]
  address = "$NODE_DIR/containerd/containerd.sock.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # This VM refuses the pause container's oom_score_adj of -998: without this every sandbox fails
  # with runc's "can't get final child's PID from pipe".
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  tolerate_missing_hugetlb_controller = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$NODE_DIR/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$NODE_DIR/cni/net.d"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$NODE_DIR/certs.d"

[plugins."io.containerd.internal.v1.opt"]
  path = "$NODE_DIR/containerd/opt"
EOF
run containerd containerd -c "$NODE_DIR/containerd/config.toml"
ctr_() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }
wait_for 30 "containerd" containerd -- ctr_ version
for image in pause nettest; do
  ctr_ images import "$NODE_IMAGES_DIR/$image.tar" >/dev/null || fail "ctr images import $NODE_IMAGES_DIR/$image.tar failed"
done
log "imported $PAUSE_IMAGE and $NETTEST_IMAGE"

# ---------------------------------------------------------------- 5 kubelet
phase "5/6 kubelet $KUBE_VERSION (node $NODE_NAME)"
client_cert() { # client_cert <name> <CN> [O]: a client certificate signed by the cluster CA
  local name="$1" cn="$2" o="${3:-}" subj="/CN=$2"
  [ -z "$o" ] || subj="/O=$o/CN=$cn"
  openssl req -newkey rsa:2048 -nodes -keyout "$NODE_DIR/$name.key" -out "$NODE_DIR/$name.csr" -subj "$subj" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >"$NODE_DIR/$name.ext"
  openssl x509 -req -in "$NODE_DIR/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -out "$NODE_DIR/$name.crt" -days 3650 -extfile "$NODE_DIR/$name.ext" 2>/dev/null
  chmod 600 "$NODE_DIR/$name.key"
  cat >"$NODE_DIR/$name.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: cdk8s-workshops
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $PKI/ca.crt
users:
- name: $name
  user:
    client-certificate: $NODE_DIR/$name.crt
    client-key: $NODE_DIR/$name.key
contexts:
- name: $name
  context: {cluster: cdk8s-workshops, user: $name}
current-context: $name
EOF
}
client_cert kubelet "system:node:$NODE_NAME" system:nodes
client_cert kube-proxy system:kube-proxy
# CoreDNS and kube-router only read (ClusterRoles below).
client_cert coredns cdkw:coredns
client_cert kube-router cdkw:kube-router

# The pods' cgroups live under CGROUP_ROOT in every cgroup v1 hierarchy (cgroupfs driver).
for h in /sys/fs/cgroup/*/; do
  [ -f "$h/cgroup.procs" ] || continue
  mkdir -p "$h${CGROUP_ROOT#/}"
done
if [ -d /sys/fs/cgroup/cpuset ]; then
  cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset$CGROUP_ROOT/cpuset.cpus"
  cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset$CGROUP_ROOT/cpuset.mems"
fi
cat >"$NODE_DIR/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $REAL_NODE_IP
port: 10250
readOnlyPort: 0
healthzPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization:
  mode: Webhook
# cgroup v1 and no systemd as PID 1 on this machine
cgroupDriver: cgroupfs
failCgroupV1: false
cgroupRoot: $CGROUP_ROOT
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
podLogsDir: $NODE_DIR/pod-logs
volumePluginDir: $NODE_DIR/volume-plugins
clusterDomain: cluster.local
clusterDNS: [$DNS_SERVICE_IP]
# pods get no upstream resolver of the host: cluster names only, nothing resolved or sent outside
resolvConf: ""
failSwapOn: false
registerWithTaints:
- {key: $NODE_LABEL, value: "true", effect: NoSchedule}
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
maxPods: 110
shutdownGracePeriod: 0s
EOF
run kubelet "$NODE_BIN_DIR/kubelet" \
  --config="$NODE_DIR/kubelet/config.yaml" \
  --kubeconfig="$NODE_DIR/kubelet.kubeconfig" \
  --root-dir="$NODE_DIR/kubelet" \
  --cert-dir="$NODE_DIR/kubelet/pki" \
  --hostname-override="$NODE_NAME" \
  --node-ip="$REAL_NODE_IP" \
  --node-labels="$NODE_LABEL=true" \
  --v=1
node_ready() { [ "$(kc get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
wait_for 90 "node $NODE_NAME to be Ready" "containerd kubelet" -- node_ready

# ---------------------------------------------------------------- 6 services
phase "6/6 kube-proxy, apiserver forward, CoreDNS $COREDNS_VERSION, kube-router $KUBE_ROUTER_VERSION firewall"
cat >"$NODE_DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $NODE_DIR/kube-proxy.kubeconfig
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_SUBNET
healthzBindAddress: ""
metricsBindAddress: ""
# NodePorts only on the node IP (never on the machine's own interfaces)
nodePortAddresses: ["$REAL_NODE_IP/32"]
conntrack:
  maxPerCore: 0
# how soon a failed sync is retried, and how often its canary chains are checked (both 30 s by default): kube-router
# rewrites the whole filter table, and a later sync that loses a chain to it recovers within this. Not the first
# sync: v1.34 runs it directly, not through its retrying runner, and drops its error (pkg/proxy/iptables/proxier.go,
# OnServiceSynced), so a first sync that fails leaves the Services unprogrammed until the next change of a Service
iptables:
  syncPeriod: 10s
EOF
run kube-proxy "$NODE_BIN_DIR/kube-proxy" --config="$NODE_DIR/kube-proxy.yaml" --v=1

# Pods reach the apiserver (which listens on 127.0.0.1 only) at REAL_NODE_IP:6443; -L puts STATE_DIR on socat's
# command line, which is how down.sh knows the process is this cluster's.
run apiserver-forward socat -L"$NODE_DIR/apiserver-forward.lock" \
  "TCP-LISTEN:$APISERVER_NODE_PORT,bind=$REAL_NODE_IP,reuseaddr,fork" "TCP:127.0.0.1:$API_PORT"

# The apiserver runs with --endpoint-reconciler-type=none, so the `kubernetes` Service's endpoint is written
# here; CoreDNS runs on the host behind the kube-dns Service.
cat >"$NODE_DIR/services.yaml" <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "cdkw:coredns"}
rules:
- {apiGroups: [""], resources: [endpoints, services, pods, namespaces], verbs: [list, watch]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "cdkw:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "cdkw:coredns"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "cdkw:coredns"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "cdkw:kube-router"}
rules:
- {apiGroups: [""], resources: [pods, namespaces, nodes, services, endpoints], verbs: [get, list, watch]}
- {apiGroups: [networking.k8s.io], resources: [networkpolicies], verbs: [get, list, watch]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "cdkw:kube-router"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "cdkw:kube-router"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "cdkw:kube-router"}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kubernetes-real-node
  namespace: default
  labels:
    kubernetes.io/service-name: kubernetes
    endpointslice.kubernetes.io/managed-by: real-node.cdk8s-workshops.dev
addressType: IPv4
endpoints:
- addresses: ["$REAL_NODE_IP"]
  conditions: {ready: true}
ports:
- {name: https, port: $APISERVER_NODE_PORT, protocol: TCP}
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  clusterIP: $DNS_SERVICE_IP
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-host
  namespace: kube-system
  labels:
    kubernetes.io/service-name: kube-dns
    endpointslice.kubernetes.io/managed-by: real-node.cdk8s-workshops.dev
addressType: IPv4
endpoints:
- addresses: ["$REAL_NODE_IP"]
  conditions: {ready: true}
ports:
- {name: dns, port: 53, protocol: UDP}
- {name: dns-tcp, port: 53, protocol: TCP}
EOF
kc apply -f "$NODE_DIR/services.yaml" >/dev/null || fail "could not create the node's RBAC, the kubernetes/kube-dns endpoints"

. "$(dirname "${BASH_SOURCE[0]}")/../shared/ports.sh"
free_port READY_PORT
# Ingress domains of the test setup (node-dns.sh): one server block each in coredns.d, answered with the node IP.
mkdir -p "$NODE_DIR/coredns.d"
cat >"$NODE_DIR/Corefile" <<EOF
import $NODE_DIR/coredns.d/*.server

.:53 {
    bind $REAL_NODE_IP
    errors
    ready 127.0.0.1:$READY_PORT
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $NODE_DIR/coredns.kubeconfig coredns
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }
    cache 5
    loadbalance
}
EOF
run coredns "$NODE_BIN_DIR/coredns" -conf "$NODE_DIR/Corefile"

# kube-proxy's chains are in before kube-router starts: kube-router replaces the whole filter table with its
# iptables-save, changed (iptables-restore -T filter, no --noflush), so a chain kube-proxy made between its save
# and its restore is lost, and kube-proxy's first sync fails ("Chain 'KUBE-EXTERNAL-SERVICES' does not exist"),
# never to be retried (above).
# The rule for the cluster DNS Service is the sign (read whole: `iptables | grep -q` fails on SIGPIPE under pipefail).
kube_proxy_ready() { [[ "$(iptables -w -t nat -S KUBE-SERVICES 2>/dev/null)" == *"-d $DNS_SERVICE_IP/32"* ]]; }
wait_for 60 "kube-proxy to program the Services" "kube-proxy" -- kube_proxy_ready

run kube-router "$NODE_BIN_DIR/kube-router" \
  --kubeconfig="$NODE_DIR/kube-router.kubeconfig" \
  --hostname-override="$NODE_NAME" \
  --run-firewall=true --run-router=false --run-service-proxy=false --run-loadbalancer=false \
  --enable-cni=false --enable-ipv6=false \
  --service-cluster-ip-range="$REAL_NODE_SERVICE_CIDR" \
  --health-port=0 --metrics-port=0 \
  --v=1

coredns_ready() { curl -fsS --max-time 2 "http://127.0.0.1:$READY_PORT/ready"; }
kube_router_ready() { iptables -w -S KUBE-ROUTER-FORWARD; }
wait_for 60 "CoreDNS to be ready" "coredns" -- coredns_ready
wait_for 60 "kube-router's firewall chains" "kube-router" -- kube_router_ready
for n in containerd kubelet kube-proxy apiserver-forward coredns kube-router; do
  alive "$n" || fail "$n is not running"
done
phase_end=$((SECONDS - phase_start))
log "[node $phase_name] done in $phase_end s"
log "real node $NODE_NAME up in $((SECONDS - total)) s (node IP $REAL_NODE_IP, pods $POD_SUBNET, cluster DNS $DNS_SERVICE_IP)"
