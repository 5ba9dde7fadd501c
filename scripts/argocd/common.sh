# Sourced by build.sh, up.sh and down.sh: the Argo CD version and cache paths.
# shellcheck shell=bash

ARGOCD_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

log() { printf '[argocd %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

find_go() {
  if command -v go >/dev/null 2>&1; then
    command -v go
  elif [ -x /usr/local/go/bin/go ]; then
    echo /usr/local/go/bin/go
  else
    die "no Go toolchain found (looked in PATH and /usr/local/go/bin)"
  fi
}

ARGOCD_MODULE=github.com/argoproj/argo-cd/v3
# (`require m v` or a line of a `require (` block)
ARGOCD_VERSION="$(awk -v m="$ARGOCD_MODULE" '$1 == "require" { $1 = "" ; $0 = $0 } $1 == m && $2 ~ /^v/ { print $2; exit }' "$ARGOCD_DIR/go.mod")"
[ -n "$ARGOCD_VERSION" ] || die "could not read the $ARGOCD_MODULE version from $ARGOCD_DIR/go.mod"

# Everything that decides what gets built: a change to any of these rebuilds.
ARGOCD_HASH="$(cat "$ARGOCD_DIR/go.mod" "$ARGOCD_DIR/go.sum" "$ARGOCD_DIR/tools.go" \
  "$ARGOCD_DIR/build.sh" | sha256sum | cut -c1-12)"

CACHE_ROOT="${CDK8S_WORKSHOPS_CACHE:-$HOME/.cache/cdk8s-workshops}"
ARGOCD_BUILD_DIR="$CACHE_ROOT/argocd-$ARGOCD_VERSION-$ARGOCD_HASH"
ARGOCD_BIN_DIR="$ARGOCD_BUILD_DIR/bin"
ARGOCD_BIN="$ARGOCD_BIN_DIR/argocd"
ARGOCD_CRDS="$ARGOCD_BUILD_DIR/crds"
ARGOCD_STAMP="$ARGOCD_BUILD_DIR/.complete"
# The multi-call binary picks the component from the name it is run as.
ARGOCD_COMPONENTS="argocd-application-controller argocd-repo-server argocd-server"

argocd_is_built() {
  [ -f "$ARGOCD_STAMP" ] && [ -x "$ARGOCD_BIN" ] && [ -f "$ARGOCD_CRDS/application-crd.yaml" ] || return 1
  local c
  for c in $ARGOCD_COMPONENTS; do [ -L "$ARGOCD_BIN_DIR/$c" ] || return 1; done
}
