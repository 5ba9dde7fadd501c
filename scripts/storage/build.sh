#!/usr/bin/env bash
# Builds what the persistent-home test needs on the real node, from the Go module proxy:
#   local-path-provisioner  rancher's dynamic provisioner of node-local volumes (version pinned in go.mod),
#                           run out of the cluster with the admin kubeconfig by the test that needs it
#   volume-helper.tar       the image of its helper pods (./helper, one static binary, made with the real node's
#                           mkimage tool) for `ctr images import`
#   home-probe.tar          the test's stand-in for the learner's container (./homeprobe): writes or finds a file
# into ${CDK8S_WORKSHOPS_CACHE:-$HOME/.cache/cdk8s-workshops}/storage-<version>-<hash>/, where <hash> covers
# go.mod, go.sum, tools.go, helper/, the mkimage sources and this script. Does nothing when that directory is
# complete; prints its path last (stdout).
set -euo pipefail
STORAGE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT_DIR="$(cd "$STORAGE_DIR/../.." && pwd)"
MKIMAGE_DIR="$ROOT_DIR/scripts/cluster/node/tools"
log() { echo "[storage $(date -u +%H:%M:%S)] $*" >&2; }
die() { log "error: $*"; exit 1; }

VERSION="$(awk '$1 == "require" && $2 == "github.com/rancher/local-path-provisioner" { print $3 }' "$STORAGE_DIR/go.mod")"
[ -n "$VERSION" ] || die "no local-path-provisioner version in $STORAGE_DIR/go.mod"
HASH="$(cat "$STORAGE_DIR/go.mod" "$STORAGE_DIR/go.sum" "$STORAGE_DIR/tools.go" "$STORAGE_DIR"/helper/*.go "$STORAGE_DIR"/homeprobe/*.go \
  "$MKIMAGE_DIR/go.mod" "$MKIMAGE_DIR"/mkimage/*.go "$STORAGE_DIR/build.sh" | sha256sum | cut -c1-12)"
CACHE_ROOT="${CDK8S_WORKSHOPS_CACHE:-$HOME/.cache/cdk8s-workshops}"
OUT="$CACHE_ROOT/storage-$VERSION-$HASH"
HELPER_IMAGE="cdk8s-workshops.local/volume-helper:v1"
PROBE_IMAGE="cdk8s-workshops.local/home-probe:v1"

complete() { [ -f "$OUT/.complete" ] && [ -x "$OUT/local-path-provisioner" ] && [ -f "$OUT/volume-helper.tar" ] && [ -f "$OUT/home-probe.tar" ]; }
if complete; then
  log "local-path-provisioner $VERSION already built in $OUT"
  echo "$OUT"
  exit 0
fi

if command -v go >/dev/null 2>&1; then GO="$(command -v go)"
elif [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go
else die "no Go toolchain found (looked in PATH and /usr/local/go/bin)"; fi
mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.storage-build.lock"
if ! flock -n 9; then log "another storage build is running; waiting for it"; flock 9; fi
if complete; then echo "$OUT"; exit 0; fi

start=$SECONDS
log "building local-path-provisioner $VERSION and volume-helper with $("$GO" version | cut -d' ' -f3) into $OUT"
log "(a cold build takes a few minutes on 2 cores: client-go)"
rm -rf "$OUT"
TMP="$OUT/tmp"
mkdir -p "$TMP"
export CGO_ENABLED=0 GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false"
(cd "$STORAGE_DIR" && "$GO" mod download)
(cd "$STORAGE_DIR" && "$GO" build -trimpath -ldflags "-s -w" -o "$TMP/local-path-provisioner" github.com/rancher/local-path-provisioner)
(cd "$STORAGE_DIR" && "$GO" build -trimpath -ldflags "-s -w" -o "$TMP/volume-helper" ./helper)
(cd "$STORAGE_DIR" && "$GO" build -trimpath -ldflags "-s -w" -o "$TMP/home-probe" ./homeprobe)
(cd "$MKIMAGE_DIR" && "$GO" build -trimpath -ldflags "-s -w" -o "$TMP/mkimage" ./mkimage)
"$TMP/mkimage" -o "$TMP/volume-helper.tar" -name "$HELPER_IMAGE" -bin "$TMP/volume-helper" -path /volume-helper
"$TMP/mkimage" -o "$TMP/home-probe.tar" -name "$PROBE_IMAGE" -bin "$TMP/home-probe" -path /home-probe
mv "$TMP/local-path-provisioner" "$TMP/volume-helper.tar" "$TMP/home-probe.tar" "$OUT/"
rm -rf "$TMP"
printf 'version=%s\nhelperImage=%s\nprobeImage=%s\nseconds=%s\n' "$VERSION" "$HELPER_IMAGE" "$PROBE_IMAGE" "$((SECONDS - start))" >"$OUT/.complete"
for old in "$CACHE_ROOT"/storage-*; do [ "$old" = "$OUT" ] || rm -rf "$old"; done
log "built in $((SECONDS - start)) s -> $OUT"
echo "$OUT"
