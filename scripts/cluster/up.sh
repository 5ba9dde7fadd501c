#!/usr/bin/env bash
# Starts a local Kubernetes control plane on 127.0.0.1 for integration tests:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok (which
# plays the kubelet for 2 fake nodes, so pods get scheduled and become
# Running+Ready without containers).
#
#   scripts/cluster/up.sh [STATE_DIR]      (default /tmp/cdk8s-workshops-cluster)
#   scripts/cluster/up.sh --real-node [STATE_DIR]   (or CDK8S_WORKSHOPS_REAL_NODE=1)
#
# --real-node also starts a real node beside the kwok nodes (node-up.sh; needs
# root): the Service range is then 198.19.0.0/16 (routed on this machine only)
# instead of loopback, so that pods can use it.
#
# Builds the binaries first if needed (build.sh). Any cluster still running in
# STATE_DIR is stopped first. Writes STATE_DIR/kubeconfig, STATE_DIR/env
# (KUBECONFIG=...), STATE_DIR/pids/*.pid and STATE_DIR/logs/*.log. Progress goes
# to stderr; the only line on stdout is the kubeconfig path, printed last.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REAL_NODE=0
[ "${CDK8S_WORKSHOPS_REAL_NODE:-}" = 1 ] && REAL_NODE=1
args=()
for a in "$@"; do
  case "$a" in
    --real-node) REAL_NODE=1 ;;
    -*) die "unknown option $a (usage: up.sh [--real-node] [STATE_DIR])" ;;
    *) args+=("$a") ;;
  esac
done
STATE_DIR="${args[0]:-$DEFAULT_STATE_DIR}"
mkdir -p "$(dirname "$STATE_DIR")"
STATE_DIR="$(cd "$(dirname "$STATE_DIR")" && pwd)/$(basename "$STATE_DIR")"

# Loopback-only ranges: no component of this cluster may ever send traffic off
# this machine. Cluster IPs of Services come from SERVICE_CIDR; kwok gives pods
# IPs from POD_CIDR and reports 127.0.0.1 as every node's address.
SERVICE_CIDR="127.77.0.0/16"
POD_CIDR="127.78.0.0/16"
NODE_IP="127.0.0.1"
NODES="kwok-node-1 kwok-node-2"
SANS="IP:127.0.0.1"
if [ "$REAL_NODE" = 1 ]; then
  . "$CLUSTER_DIR/node-common.sh"
  [ "$(id -u)" = 0 ] || die "--real-node needs root (network interfaces, iptables, mounts, cgroups)"
  # Pods cannot use loopback Service IPs; this range is routed to a local bridge (node-common.sh).
  SERVICE_CIDR="$REAL_NODE_SERVICE_CIDR"
  SANS+=",IP:$REAL_NODE_IP"
fi

bash "$CLUSTER_DIR/build.sh"
[ "$REAL_NODE" = 0 ] || bash "$CLUSTER_DIR/node-build.sh"

if ! command -v openssl >/dev/null 2>&1; then
  log "installing openssl (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq openssl >/dev/null
fi

# A previous cluster in the same directory: stop it and wipe its state.
bash "$CLUSTER_DIR/down.sh" "$STATE_DIR"

start=$SECONDS
mkdir -p "$STATE_DIR"/{pki,logs,pids,etcd,flexvolume}
chmod 700 "$STATE_DIR/etcd" "$STATE_DIR/pki"
touch "$STATE_DIR/.cdk8s-workshops-cluster"
PKI="$STATE_DIR/pki"
LOGS="$STATE_DIR/logs"

fail() {
  log "ERROR: $*"
  local f
  for f in "$LOGS"/*.log; do
    [ -f "$f" ] || continue
    log "---- last lines of $f"
    tail -n 25 "$f" >&2 || true
  done
  bash "$CLUSTER_DIR/down.sh" --keep "$STATE_DIR" || true
  log "state and logs kept in $STATE_DIR"
  exit 1
}

# ---------------------------------------------------------------- ports
. "$(dirname "${BASH_SOURCE[0]}")/../shared/ports.sh"
free_port ETCD_PORT
free_port ETCD_PEER_PORT
free_port API_PORT

# ---------------------------------------------------------------- PKI
# A cluster CA (serves as --client-ca-file, CSR signer and root CA published to
# pods), a serving cert for 127.0.0.1/localhost/kubernetes.default.svc, a
# service-account signing key pair, and a static token for the admin user.
log "generating certificates and keys in $PKI"
(
  cd "$PKI"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
    -subj "/CN=cdk8s-workshops-ca" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr \
    -subj "/CN=kube-apiserver" 2>/dev/null
  cat >apiserver.ext <<EOF
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$SANS,IP:${SERVICE_CIDR%0/*}1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOF
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
    -out apiserver.crt -days 3650 -extfile apiserver.ext 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  if [ "$REAL_NODE" = 1 ]; then
    # the apiserver's client certificate for the kubelet (logs, exec, port-forward)
    openssl req -newkey rsa:2048 -nodes -keyout kubelet-client.key -out kubelet-client.csr \
      -subj "/O=system:masters/CN=kube-apiserver-kubelet-client" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >kubelet-client.ext
    openssl x509 -req -in kubelet-client.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
      -out kubelet-client.crt -days 3650 -extfile kubelet-client.ext 2>/dev/null
  fi
  chmod 600 ./*.key
) || fail "openssl failed"
KUBELET_CLIENT_FLAGS=()
if [ "$REAL_NODE" = 1 ]; then
  touch "$STATE_DIR/.real-node"
  KUBELET_CLIENT_FLAGS=(--kubelet-client-certificate="$PKI/kubelet-client.crt" --kubelet-client-key="$PKI/kubelet-client.key")
fi
TOKEN="$(openssl rand -hex 32)"
printf '%s,admin,admin,"system:masters"\n' "$TOKEN" >"$PKI/tokens.csv"
chmod 600 "$PKI/tokens.csv"

KUBECONFIG_FILE="$STATE_DIR/kubeconfig"
SERVER="https://127.0.0.1:$API_PORT"
cat >"$KUBECONFIG_FILE" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: cdk8s-workshops
  cluster:
    server: $SERVER
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: admin
  user:
    token: $TOKEN
contexts:
- name: cdk8s-workshops
  context:
    cluster: cdk8s-workshops
    user: admin
    namespace: default
current-context: cdk8s-workshops
EOF
chmod 600 "$KUBECONFIG_FILE"
printf 'KUBECONFIG=%s\nKUBE_SERVER=%s\nKUBE_BIN_DIR=%s\n' "$KUBECONFIG_FILE" "$SERVER" "$BIN_DIR" >"$STATE_DIR/env"

# ---------------------------------------------------------------- processes
# Each process runs detached (own session, no inherited stdio), so that callers
# which wait for this script's output to close do not wait for the cluster.
run() { # run <name> <binary> args...
  local name="$1" bin="$2"
  shift 2
  setsid "$BIN_DIR/$bin" "$@" </dev/null >"$LOGS/$name.log" 2>&1 &
  echo $! >"$STATE_DIR/pids/$name.pid"
}
alive() { kill -0 "$(cat "$STATE_DIR/pids/$1.pid")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
kc() { "$BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG_FILE" --request-timeout=5s "$@"; }
# wait_for <seconds> <description> <process names to watch> -- <command...>
wait_for() {
  local deadline=$((SECONDS + $1)) what="$2" names="$3"
  shift 4
  until "$@" >/dev/null 2>&1; do
    local n
    for n in $names; do alive "$n" || fail "$n exited while waiting for $what"; done
    [ $SECONDS -lt $deadline ] || fail "timed out waiting for $what"
    sleep 0.3
  done
}

log "starting etcd $ETCD_VERSION on 127.0.0.1:$ETCD_PORT"
run etcd etcd \
  --name=cdk8s-workshops \
  --data-dir="$STATE_DIR/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="cdk8s-workshops=http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster-state=new \
  --unsafe-no-fsync=true \
  --quota-backend-bytes=$((2 * 1024 * 1024 * 1024)) \
  --log-level=warn
wait_for 20 "etcd to listen" etcd -- port_open "$ETCD_PORT"

log "starting kube-apiserver $KUBE_VERSION on $SERVER"
run kube-apiserver kube-apiserver \
  --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 \
  --secure-port="$API_PORT" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --tls-cert-file="$PKI/apiserver.crt" \
  --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" \
  --token-auth-file="$PKI/tokens.csv" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" \
  --service-account-signing-key-file="$PKI/sa.key" \
  --authorization-mode=Node,RBAC \
  --enable-admission-plugins=NodeRestriction \
  --allow-privileged=true \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --endpoint-reconciler-type=none \
  --kubelet-preferred-address-types=InternalIP \
  ${KUBELET_CLIENT_FLAGS[@]+"${KUBELET_CLIENT_FLAGS[@]}"} \
  --profiling=false \
  --v=1
kc_ready() { [ "$(kc get --raw /readyz 2>/dev/null)" = ok ]; }
wait_for 60 "kube-apiserver /readyz" "etcd kube-apiserver" -- kc_ready
log "kube-apiserver ready after $((SECONDS - start)) s"

# All components talk to the apiserver as the admin user (system:masters);
# kube-controller-manager still runs each controller with its own service
# account (--use-service-account-credentials).
log "starting kube-controller-manager, kube-scheduler, kwok"
run kube-controller-manager kube-controller-manager \
  --kubeconfig="$KUBECONFIG_FILE" \
  --bind-address=127.0.0.1 \
  --secure-port=0 \
  --leader-elect=false \
  --controllers='*' \
  --use-service-account-credentials=true \
  --service-account-private-key-file="$PKI/sa.key" \
  --root-ca-file="$PKI/ca.crt" \
  --cluster-signing-cert-file="$PKI/ca.crt" \
  --cluster-signing-key-file="$PKI/ca.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --flex-volume-plugin-dir="$STATE_DIR/flexvolume" \
  --profiling=false \
  --v=1
run kube-scheduler kube-scheduler \
  --kubeconfig="$KUBECONFIG_FILE" \
  --bind-address=127.0.0.1 \
  --secure-port=0 \
  --leader-elect=false \
  --profiling=false \
  --v=1
run kwok kwok \
  --config="$KWOK_STAGES" \
  --kubeconfig="$KUBECONFIG_FILE" \
  --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --node-ip="$NODE_IP" \
  --cidr="$POD_CIDR" \
  --node-lease-duration-seconds=40

for node in $NODES; do
  cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $node
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/hostname: $node
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    node.kubernetes.io/instance-type: kwok
status:
  allocatable: {cpu: "64", memory: 256Gi, pods: "1000", ephemeral-storage: 1Ti}
  capacity: {cpu: "64", memory: 256Gi, pods: "1000", ephemeral-storage: 1Ti}
---
EOF
done >"$STATE_DIR/nodes.yaml"
wait_for 20 "creating the kwok nodes" "kube-apiserver kwok" -- kc apply -f "$STATE_DIR/nodes.yaml"

nodes_ready() {
  local n
  for n in $NODES; do
    [ "$(kc get node "$n" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" = True ] || return 1
  done
}
wait_for 60 "the kwok nodes to be Ready" "kube-apiserver kwok" -- nodes_ready
wait_for 60 "the default ServiceAccount" "kube-apiserver kube-controller-manager" -- \
  kc -n default get serviceaccount default
for n in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
  alive "$n" || fail "$n is not running"
done

log "control plane up in $((SECONDS - start)) s: $SERVER (logs: $LOGS)"
if [ "$REAL_NODE" = 1 ]; then
  bash "$CLUSTER_DIR/node-up.sh" "$STATE_DIR" || fail "the real node did not start"
fi
echo "$KUBECONFIG_FILE"
