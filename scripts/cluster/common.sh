# Sourced by build.sh, up.sh and down.sh. Computes versions and cache paths.
# shellcheck shell=bash

CLUSTER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

log() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The Go toolchain: PATH first, then the usual install location.
find_go() {
  if command -v go >/dev/null 2>&1; then
    command -v go
  elif [ -x /usr/local/go/bin/go ]; then
    echo /usr/local/go/bin/go
  else
    die "no Go toolchain found (looked in PATH and /usr/local/go/bin)"
  fi
}

mod_version() { # mod_version <go.mod> <module path>
  awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$1"
}

KUBE_VERSION="$(mod_version "$CLUSTER_DIR/go.mod" k8s.io/kubernetes)"
ETCD_VERSION="$(mod_version "$CLUSTER_DIR/go.mod" go.etcd.io/etcd/server/v3)"
KWOK_VERSION="$(mod_version "$CLUSTER_DIR/kwok/go.mod" sigs.k8s.io/kwok)"
[ -n "$KUBE_VERSION" ] && [ -n "$ETCD_VERSION" ] && [ -n "$KWOK_VERSION" ] ||
  die "could not read versions from $CLUSTER_DIR/go.mod and kwok/go.mod"

# Everything that decides what gets built: a change to any of these rebuilds.
BUILD_HASH="$(cat "$CLUSTER_DIR/go.mod" "$CLUSTER_DIR/go.sum" \
  "$CLUSTER_DIR/kwok/go.mod" "$CLUSTER_DIR/kwok/go.sum" \
  "$CLUSTER_DIR/build.sh" | sha256sum | cut -c1-12)"

CACHE_ROOT="${CDK8S_WORKSHOPS_CACHE:-$HOME/.cache/cdk8s-workshops}"
BUILD_DIR="$CACHE_ROOT/k8s-$KUBE_VERSION-$BUILD_HASH"
BIN_DIR="$BUILD_DIR/bin"
BUILD_STAMP="$BUILD_DIR/.complete"
KWOK_STAGES="$BUILD_DIR/kwok-stages.yaml"
BINARIES="etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok"

DEFAULT_STATE_DIR="/tmp/cdk8s-workshops-cluster"

build_is_complete() {
  [ -f "$BUILD_STAMP" ] && [ -f "$KWOK_STAGES" ] || return 1
  local b
  for b in $BINARIES; do [ -x "$BIN_DIR/$b" ] || return 1; done
}
