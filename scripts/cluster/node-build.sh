#!/usr/bin/env bash
# Builds what the real node of the test cluster runs, from Go modules:
#   kubelet, kube-proxy   k8s.io/kubernetes, the control plane's module and version (go.mod)
#   coredns               github.com/coredns/coredns with a few plugins (node/coredns)
#   kube-router           github.com/cloudnativelabs/kube-router/v2 (node/kube-router; its firewall only)
#   pause, nettest        small static programs (node/tools), made into images
#                         (docker-archive tarballs for `ctr images import`)
# into ${CDK8S_WORKSHOPS_CACHE:-$HOME/.cache/cdk8s-workshops}/node-<version>-<hash>/,
# where <hash> covers every go.mod/go.sum/source file above and this script.
# Idempotent: does nothing when that directory is complete.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
. "$CLUSTER_DIR/node-common.sh"

if node_build_is_complete; then
  log "real node binaries already built in $NODE_BUILD_DIR"
  exit 0
fi

GO="$(find_go)"
mkdir -p "$CACHE_ROOT"
exec 8>"$CACHE_ROOT/.node-build.lock"
if ! flock -n 8; then
  log "another node build is running; waiting for it"
  flock 8
fi
if node_build_is_complete; then
  log "real node binaries were built by another process in $NODE_BUILD_DIR"
  exit 0
fi

start=$SECONDS
log "building the real node (kubelet/kube-proxy $KUBE_VERSION, coredns $COREDNS_VERSION, kube-router $KUBE_ROUTER_VERSION) into $NODE_BUILD_DIR"
log "(cold: ~15 min on 2 cores, mostly module downloads; on top of the control plane's build cache the kubelet takes ~1 min)"
rm -rf "$NODE_BUILD_DIR"
TMP_BIN="$NODE_BUILD_DIR/bin.tmp"
mkdir -p "$TMP_BIN" "$NODE_IMAGES_DIR"

( while sleep 60; do log "... still building the node ($(((SECONDS - start) / 60)) min elapsed)"; done ) &
ticker=$!
trap 'kill "$ticker" 2>/dev/null || true' EXIT

export CGO_ENABLED=0 GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false"
go_build() {
  "$GO" build "$@" 2>&1 | { grep -v '^go: downloading ' || true; } >&2
  [ "${PIPESTATUS[0]}" = 0 ]
}

minor="${KUBE_VERSION#v1.}"
minor="${minor%%.*}"
build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
kube_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  kube_ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  kube_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done

t=$SECONDS
log "[node build 1/4] go build kubelet kube-proxy"
(cd "$CLUSTER_DIR" && go_build -trimpath -ldflags "$kube_ldflags" -o "$TMP_BIN/" \
  k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy)
log "[node build 1/4] done in $((SECONDS - t)) s"

t=$SECONDS
log "[node build 2/4] go build coredns $COREDNS_VERSION"
(cd "$CLUSTER_DIR/node/coredns" && go_build -trimpath -ldflags "-s -w" -o "$TMP_BIN/coredns" .)
log "[node build 2/4] done in $((SECONDS - t)) s"

t=$SECONDS
log "[node build 3/4] go build kube-router $KUBE_ROUTER_VERSION"
(cd "$CLUSTER_DIR/node/kube-router" && go_build -trimpath -ldflags "-s -w" -o "$TMP_BIN/" \
  github.com/cloudnativelabs/kube-router/v2/cmd/kube-router)
log "[node build 3/4] done in $((SECONDS - t)) s"

t=$SECONDS
log "[node build 4/4] go build pause nettest mkimage; images $PAUSE_IMAGE $NETTEST_IMAGE"
(cd "$CLUSTER_DIR/node/tools" && go_build -trimpath -ldflags "-s -w" -o "$TMP_BIN/" ./pause ./nettest ./mkimage)
"$TMP_BIN/mkimage" -o "$NODE_IMAGES_DIR/pause.tar" -name "$PAUSE_IMAGE" -bin "$TMP_BIN/pause" -path /pause
"$TMP_BIN/mkimage" -o "$NODE_IMAGES_DIR/nettest.tar" -name "$NETTEST_IMAGE" -bin "$TMP_BIN/nettest" -path /nettest
log "[node build 4/4] done in $((SECONDS - t)) s"

mv "$TMP_BIN" "$NODE_BIN_DIR"
cat >"$NODE_BUILD_STAMP" <<STAMP
kubernetes=$KUBE_VERSION
coredns=$COREDNS_VERSION
kube-router=$KUBE_ROUTER_VERSION
built=$build_date
seconds=$((SECONDS - start))
STAMP
for old in "$CACHE_ROOT"/node-*; do
  [ "$old" = "$NODE_BUILD_DIR" ] || rm -rf "$old"
done
log "built the real node in $((SECONDS - start)) s ($(du -sh "$NODE_BUILD_DIR" | cut -f1)) -> $NODE_BUILD_DIR"
