#!/usr/bin/env bash
# Builds the binaries of a local Kubernetes control plane from Go modules:
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (go.mod)
#   kwok                                                                   (kwok/go.mod)
# into ${CDK8S_WORKSHOPS_CACHE:-$HOME/.cache/cdk8s-workshops}/k8s-<version>-<hash>/bin,
# where <hash> covers the go.mod/go.sum files and this script. Idempotent: does
# nothing when that directory is already complete. Needs only a Go toolchain
# (>= 1.26) and the Go module proxy.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if build_is_complete; then
  log "binaries for Kubernetes $KUBE_VERSION already built in $BIN_DIR"
  exit 0
fi

GO="$(find_go)"
mkdir -p "$CACHE_ROOT"

# Only one build at a time per cache (e.g. two test runs starting together).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_ROOT/.build.lock"
  if ! flock -n 9; then
    log "another build is running; waiting for it"
    flock 9
  fi
  if build_is_complete; then
    log "binaries for Kubernetes $KUBE_VERSION were built by another process in $BIN_DIR"
    exit 0
  fi
fi

start=$SECONDS
log "building Kubernetes $KUBE_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION with $("$GO" version | cut -d' ' -f3) into $BIN_DIR"
log "(a cold build takes ~10-15 min on 2 cores; progress is printed every minute)"

rm -rf "$BUILD_DIR"
TMP_BIN="$BUILD_DIR/bin.tmp"
mkdir -p "$TMP_BIN"

# A ticker so that CI logs show the build is alive.
(
  while sleep 60; do log "... still building ($(((SECONDS - start) / 60)) min elapsed)"; done
) &
ticker=$!
trap 'kill "$ticker" 2>/dev/null || true' EXIT

export CGO_ENABLED=0 GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false"

# go build, without the hundreds of "go: downloading" lines of a first build.
go_build() {
  "$GO" build "$@" 2>&1 | { grep -v '^go: downloading ' || true; } >&2
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
log "[1/2] go build etcd kube-apiserver kube-controller-manager kube-scheduler kubectl"
(
  cd "$CLUSTER_DIR"
  # One go build for all main packages, so shared packages compile once.
  go_build -trimpath -ldflags "$kube_ldflags" -o "$TMP_BIN/" \
    go.etcd.io/etcd/server/v3 \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubectl
)
# go names the binary of go.etcd.io/etcd/server/v3 after "server".
mv "$TMP_BIN/server" "$TMP_BIN/etcd"
log "[1/2] done in $((SECONDS - t)) s"

t=$SECONDS
log "[2/2] go build kwok"
(
  cd "$CLUSTER_DIR/kwok"
  go_build -trimpath -ldflags "-s -w" -o "$TMP_BIN/" sigs.k8s.io/kwok/cmd/kwok
)
log "[2/2] done in $((SECONDS - t)) s"

# kwok itself has no built-in stages (kwokctl normally injects them), so keep
# the default "fast" ones kwokctl uses, taken from the same kwok module version:
# nodes become Ready (with lease heartbeats), pods go Pending -> Running+Ready,
# and are removed once deleted.
kwok_src="$(cd "$CLUSTER_DIR/kwok" && "$GO" list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
{
  first=1
  for f in node/fast/node-initialize.yaml \
    node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    [ "$first" = 1 ] || echo '---'
    first=0
    cat "$kwok_src/kustomize/stage/$f"
  done
} >"$KWOK_STAGES.tmp"
mv "$KWOK_STAGES.tmp" "$KWOK_STAGES"

mv "$TMP_BIN" "$BIN_DIR"
for b in $BINARIES; do [ -x "$BIN_DIR/$b" ] || die "missing $BIN_DIR/$b after build"; done
cat >"$BUILD_STAMP" <<EOF
kubernetes=$KUBE_VERSION
etcd=$ETCD_VERSION
kwok=$KWOK_VERSION
built=$build_date
seconds=$((SECONDS - start))
EOF

# Drop builds of older versions/hashes; they are hundreds of MB each.
for old in "$CACHE_ROOT"/k8s-*; do
  [ "$old" = "$BUILD_DIR" ] || rm -rf "$old"
done

log "built $BINARIES in $((SECONDS - start)) s total ($(du -sh "$BIN_DIR" | cut -f1)) -> $BIN_DIR"
