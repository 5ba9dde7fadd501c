# Sourced by build.sh, up.sh and down.sh: versions and cache paths of Traefik.
# shellcheck shell=bash

INGRESS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

log() { printf '[ingress %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
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

TRAEFIK_VERSION="$(awk '$1 == "github.com/traefik/traefik/v3" && $2 ~ /^v/ { print $2; exit }' "$INGRESS_DIR/go.mod")"
[ -n "$TRAEFIK_VERSION" ] || die "could not read the traefik/v3 version from $INGRESS_DIR/go.mod"

# Everything that decides what gets built: a change to any of these rebuilds.
TRAEFIK_HASH="$(cat "$INGRESS_DIR/go.mod" "$INGRESS_DIR/go.sum" "$INGRESS_DIR/ext/go.mod" \
  "$INGRESS_DIR/ext/ext.go" "$INGRESS_DIR/build.sh" | sha256sum | cut -c1-12)"

CACHE_ROOT="${CDK8S_WORKSHOPS_CACHE:-$HOME/.cache/cdk8s-workshops}"
TRAEFIK_BUILD_DIR="$CACHE_ROOT/traefik-$TRAEFIK_VERSION-$TRAEFIK_HASH"
TRAEFIK_BIN="$TRAEFIK_BUILD_DIR/traefik"
TRAEFIK_STAMP="$TRAEFIK_BUILD_DIR/.complete"

traefik_is_built() { [ -f "$TRAEFIK_STAMP" ] && [ -x "$TRAEFIK_BIN" ]; }
