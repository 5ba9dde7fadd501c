#!/usr/bin/env bash
# Builds Argo CD (github.com/argoproj/argo-cd/v3, version pinned in go.mod) from
# the Go module proxy: the multi-call `argocd` binary of .../cmd, which runs as
# the component it is named after (symlinks argocd-application-controller,
# argocd-repo-server, argocd-server), plus the CRDs of the same module version,
#   ${CDK8S_WORKSHOPS_CACHE:-$HOME/.cache/cdk8s-workshops}/argocd-<version>-<hash>/{bin,crds}
# where <hash> covers go.mod, go.sum, tools.go and this script. Does nothing
# when that directory is complete; prints the build directory last (stdout).
#
# Why v3.2.x: from v3.3.0 on, argo-cd's go.mod replaces gitops-engine with an
# in-repo directory (./gitops-engine) that is not part of the module zip, and the
# proxy refuses the pseudo-version of the nested module, so newer versions
# cannot be built as a dependency. v3.2.x uses the external gitops-engine module.
# Why v3.2.11 and not v3.2.12: the v3.2.12 module does not compile
# (controller/cache/info.go calls settings.ValidateExternalURL, which no file of
# that module defines).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if argocd_is_built; then
  log "Argo CD $ARGOCD_VERSION already built in $ARGOCD_BUILD_DIR"
  echo "$ARGOCD_BUILD_DIR"
  exit 0
fi

GO="$(find_go)"
mkdir -p "$CACHE_ROOT"

# One build at a time per cache (e.g. two test runs starting together).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_ROOT/.argocd-build.lock"
  if ! flock -n 9; then
    log "another Argo CD build is running; waiting for it"
    flock 9
  fi
  if argocd_is_built; then
    log "Argo CD $ARGOCD_VERSION was built by another process in $ARGOCD_BUILD_DIR"
    echo "$ARGOCD_BUILD_DIR"
    exit 0
  fi
fi

phase_start=0
phase() { phase_start=$SECONDS; log "[$1] $2"; }
phase_done() { log "[$1] done in $((SECONDS - phase_start)) s"; }

start=$SECONDS
log "building Argo CD $ARGOCD_VERSION with $("$GO" version | cut -d' ' -f3) into $ARGOCD_BUILD_DIR"
log "(a cold build takes many minutes on 2 cores; progress is printed every minute)"
rm -rf "$ARGOCD_BUILD_DIR"
mkdir -p "$ARGOCD_BIN_DIR" "$ARGOCD_CRDS"

(
  while sleep 60; do log "... still building ($(((SECONDS - start) / 60)) min elapsed)"; done
) &
ticker=$!
trap 'kill "$ticker" 2>/dev/null || true' EXIT

export CGO_ENABLED=0 GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false"

phase 1/3 "go mod download"
(cd "$ARGOCD_DIR" && "$GO" mod download)
phase_done 1/3

phase 2/3 "go build $ARGOCD_MODULE/cmd"
build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
pkg="$ARGOCD_MODULE/common"
ldflags="-s -w -X $pkg.version=${ARGOCD_VERSION#v} -X $pkg.buildDate=$build_date"
ldflags+=" -X $pkg.gitTag=$ARGOCD_VERSION -X $pkg.gitTreeState=clean"
(
  cd "$ARGOCD_DIR"
  "$GO" build -trimpath -ldflags "$ldflags" -o "$ARGOCD_BIN.tmp" "$ARGOCD_MODULE/cmd" 2>&1 |
    { grep -v '^go: downloading ' || true; } >&2
  exit "${PIPESTATUS[0]}"
)
mv "$ARGOCD_BIN.tmp" "$ARGOCD_BIN"
for c in $ARGOCD_COMPONENTS; do ln -sfn argocd "$ARGOCD_BIN_DIR/$c"; done
phase_done 2/3

phase 3/3 "CRDs from the module zip"
src="$(cd "$ARGOCD_DIR" && "$GO" list -m -f '{{.Dir}}' "$ARGOCD_MODULE")"
for f in application-crd.yaml applicationset-crd.yaml appproject-crd.yaml; do
  cp "$src/manifests/crds/$f" "$ARGOCD_CRDS/$f"
done
chmod 644 "$ARGOCD_CRDS"/*.yaml
phase_done 3/3

"$ARGOCD_BIN" version --client --short >&2 || die "the built argocd binary does not run"

cat >"$ARGOCD_STAMP" <<STAMP
argocd=$ARGOCD_VERSION
built=$build_date
seconds=$((SECONDS - start))
STAMP

# Drop builds of other versions/hashes.
for old in "$CACHE_ROOT"/argocd-*; do
  [ "$old" = "$ARGOCD_BUILD_DIR" ] || rm -rf "$old"
done

log "built Argo CD $ARGOCD_VERSION in $((SECONDS - start)) s total ($(du -sh "$ARGOCD_BIN" | cut -f1)) -> $ARGOCD_BUILD_DIR"
echo "$ARGOCD_BUILD_DIR"
