#!/usr/bin/env bash
# Builds k9s (the console image's terminal UI, images/console) with the host's Go, from the Go module proxy, at the
# version go.mod pins, into ${CDK8S_WORKSHOPS_CACHE:-$HOME/.cache/cdk8s-workshops}/console-k9s-<version>-<hash>/k9s.
# <hash> covers go.mod, go.sum, tools.go and this script. On the host it shares the module download and compile
# caches with the project's other Go builds (scripts/cluster, ingress, argocd, storage); inside a container build it
# would download and compile its ~2,400 packages from nothing every time (43 minutes cold). Does nothing when the
# binary is already built; prints its directory last (stdout), which images/console/Dockerfile gets as the named
# build context `k9s`.
set -euo pipefail
K9S_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { echo "[console-k9s $(date -u +%H:%M:%S)] $*" >&2; }
die() { log "error: $*"; exit 1; }

VERSION="$(awk '$1 == "require" && $2 == "github.com/derailed/k9s" { print $3 }' "$K9S_DIR/go.mod")"
[ -n "$VERSION" ] || die "no github.com/derailed/k9s version in $K9S_DIR/go.mod"
HASH="$(cat "$K9S_DIR/go.mod" "$K9S_DIR/go.sum" "$K9S_DIR/tools.go" "$K9S_DIR/build.sh" | sha256sum | cut -c1-12)"
CACHE_ROOT="${CDK8S_WORKSHOPS_CACHE:-$HOME/.cache/cdk8s-workshops}"
OUT="$CACHE_ROOT/console-k9s-$VERSION-$HASH"

complete() { [ -f "$OUT/.complete" ] && [ -x "$OUT/k9s" ]; }
if complete; then
  log "k9s $VERSION already built in $OUT"
  echo "$OUT"
  exit 0
fi

if command -v go >/dev/null 2>&1; then GO="$(command -v go)"
elif [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go
else die "no Go toolchain found (looked in PATH and /usr/local/go/bin)"; fi
mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.console-k9s-build.lock"
if ! flock -n 9; then log "another k9s build is running; waiting for it"; flock 9; fi
if complete; then echo "$OUT"; exit 0; fi

start=$SECONDS
log "building k9s $VERSION with $("$GO" version | cut -d' ' -f3) into $OUT (cold: ~2,400 packages)"
rm -rf "$OUT"
mkdir -p "$OUT"
# The same settings as the project's other Go builds, so packages they share compile once.
export CGO_ENABLED=0 GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" GOTOOLCHAIN=local
(cd "$K9S_DIR" && "$GO" mod download)
log "modules downloaded after $((SECONDS - start)) s"
(cd "$K9S_DIR" && "$GO" build -trimpath -ldflags "-s -w -X github.com/derailed/k9s/cmd.version=$VERSION" \
  -o "$OUT/k9s.tmp" github.com/derailed/k9s)
"$OUT/k9s.tmp" version --short >/dev/null || die "the k9s just built does not run"
mv "$OUT/k9s.tmp" "$OUT/k9s"
printf 'version=%s\nseconds=%s\n' "$VERSION" "$((SECONDS - start))" >"$OUT/.complete"
for old in "$CACHE_ROOT"/console-k9s-*; do [ "$old" = "$OUT" ] || [ ! -d "$old" ] || rm -rf "$old"; done
log "built in $((SECONDS - start)) s -> $OUT"
echo "$OUT"
