# Sourced (after common.sh) by node-build.sh, node-up.sh, node-down.sh and up.sh:
# the real node's names, addresses and cache paths.
# shellcheck shell=bash

# One real node per machine: its interfaces, addresses and iptables rules have
# fixed names. Every address below lives on this machine only: 198.18.0.0/15
# (the RFC 2544 benchmarking range) is routed to a local bridge with nothing
# behind it, and packets from the node's bridges to any other interface are
# dropped, so nothing the pods or services send can leave the machine.
NODE_NAME="real-node-1"
NODE_LABEL="cdk8s-workshops.dev/real-node"
NODE_RANGE="198.18.0.0/15"
NODE_BRIDGE="cdkw-node"       # carries the node IP (a /32; the kernel has no dummy module)
REAL_NODE_IP="198.18.0.1"
POD_BRIDGE="cdkw0"            # the CNI bridge of the pods
POD_SUBNET="198.18.1.0/24"
POD_GATEWAY="198.18.1.1"
REAL_NODE_SERVICE_CIDR="198.19.0.0/16"
KUBERNETES_SERVICE_IP="198.19.0.1"
DNS_SERVICE_IP="198.19.0.10"
APISERVER_NODE_PORT=6443      # REAL_NODE_IP:6443 forwards to the apiserver on 127.0.0.1
CNI_NETWORK="cdkw-real-node"
CGROUP_ROOT="/cdkw-real-node"
GUARD_CHAIN="CDKW-GUARD"
NODE_LOCK="/run/cdk8s-workshops-real-node"

# Images made here and imported into containerd (never pulled).
PAUSE_IMAGE="cdk8s-workshops.local/pause:v1"
NETTEST_IMAGE="cdk8s-workshops.local/nettest:v1"

# mod_version, also for a one-line "require <module> <version>".
node_mod_version() { awk -v m="$2" '$1 == "require" { $1 = ""; $0 = $0 } $1 == m && $2 ~ /^v/ { print $2; exit }' "$1"; }
KUBE_ROUTER_VERSION="$(node_mod_version "$CLUSTER_DIR/node/kube-router/go.mod" github.com/cloudnativelabs/kube-router/v2)"
COREDNS_VERSION="$(node_mod_version "$CLUSTER_DIR/node/coredns/go.mod" github.com/coredns/coredns)"

# Everything that decides what node-build.sh builds.
NODE_BUILD_HASH="$(cat "$CLUSTER_DIR/go.mod" "$CLUSTER_DIR/go.sum" \
  "$CLUSTER_DIR/node/coredns/go.mod" "$CLUSTER_DIR/node/coredns/go.sum" "$CLUSTER_DIR/node/coredns/main.go" \
  "$CLUSTER_DIR/node/kube-router/go.mod" "$CLUSTER_DIR/node/kube-router/go.sum" \
  "$CLUSTER_DIR/node/tools/go.mod" "$CLUSTER_DIR"/node/tools/*/main.go \
  "$CLUSTER_DIR/node-build.sh" | sha256sum | cut -c1-12)"
NODE_BUILD_DIR="$CACHE_ROOT/node-$KUBE_VERSION-$NODE_BUILD_HASH"
NODE_BIN_DIR="$NODE_BUILD_DIR/bin"
NODE_IMAGES_DIR="$NODE_BUILD_DIR/images"
NODE_BUILD_STAMP="$NODE_BUILD_DIR/.complete"
NODE_BINARIES="kubelet kube-proxy coredns kube-router pause nettest mkimage"

node_build_is_complete() {
  [ -f "$NODE_BUILD_STAMP" ] && [ -f "$NODE_IMAGES_DIR/pause.tar" ] && [ -f "$NODE_IMAGES_DIR/nettest.tar" ] || return 1
  local b
  for b in $NODE_BINARIES; do [ -x "$NODE_BIN_DIR/$b" ] || return 1; done
}
