#!/usr/bin/env bash
# Builds Traefik (github.com/traefik/traefik/v3, version pinned in go.mod), the
# Ingress controller of the test cluster, from the Go module proxy into
#   ${CDK8S_WORKSHOPS_CACHE:-$HOME/.cache/cdk8s-workshops}/traefik-<version>-<hash>/traefik
# where <hash> covers go.mod, go.sum, ext/ and this script. Does nothing when
# that binary is already there; prints the path of the binary last (stdout).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if traefik_is_built; then
  log "Traefik $TRAEFIK_VERSION already built: $TRAEFIK_BIN"
  echo "$TRAEFIK_BIN"
  exit 0
fi

GO="$(find_go)"
mkdir -p "$CACHE_ROOT"

# One build at a time per cache (e.g. two test runs starting together).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_ROOT/.traefik-build.lock"
  if ! flock -n 9; then
    log "another Traefik build is running; waiting for it"
    flock 9
  fi
  if traefik_is_built; then
    log "Traefik $TRAEFIK_VERSION was built by another process: $TRAEFIK_BIN"
    echo "$TRAEFIK_BIN"
    exit 0
  fi
fi

start=$SECONDS
log "building Traefik $TRAEFIK_VERSION with $("$GO" version | cut -d' ' -f3) into $TRAEFIK_BUILD_DIR"
log "(a cold build takes several minutes on 2 cores; progress is printed every minute)"
rm -rf "$TRAEFIK_BUILD_DIR"
mkdir -p "$TRAEFIK_BUILD_DIR"

(
  while sleep 60; do log "... still building ($(((SECONDS - start) / 60)) min elapsed)"; done
) &
ticker=$!
trap 'kill "$ticker" 2>/dev/null || true' EXIT

export CGO_ENABLED=0 GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false"

t=$SECONDS
log "[1/2] go mod download"
(cd "$INGRESS_DIR" && "$GO" mod download)
log "[1/2] done in $((SECONDS - t)) s"

# The web UI: webui/embed.go embeds webui/static, which the module ships with
# only a placeholder file (the UI is built with Node by Traefik's own release
# process). That is enough for go:embed, and the dashboard is not used here.
t=$SECONDS
build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
ldflags="-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION"
ldflags+=" -X github.com/traefik/traefik/v3/pkg/version.BuildDate=$build_date"
log "[2/2] go build github.com/traefik/traefik/v3/cmd/traefik"
(
  cd "$INGRESS_DIR"
  "$GO" build -trimpath -ldflags "$ldflags" -o "$TRAEFIK_BIN.tmp" github.com/traefik/traefik/v3/cmd/traefik
)
mv "$TRAEFIK_BIN.tmp" "$TRAEFIK_BIN"
log "[2/2] done in $((SECONDS - t)) s"

cat >"$TRAEFIK_STAMP" <<STAMP
traefik=$TRAEFIK_VERSION
built=$build_date
seconds=$((SECONDS - start))
STAMP

# Drop builds of other versions/hashes.
for old in "$CACHE_ROOT"/traefik-*; do
  [ "$old" = "$TRAEFIK_BUILD_DIR" ] || rm -rf "$old"
done

log "built Traefik $TRAEFIK_VERSION in $((SECONDS - start)) s total ($(du -sh "$TRAEFIK_BIN" | cut -f1)) -> $TRAEFIK_BIN"
echo "$TRAEFIK_BIN"
