#!/usr/bin/env bash
# Downloads the Go modules of every build in scripts/ into the module cache, so that on a fresh machine the
# network-bound downloads of the later builds (real node, Traefik, Argo CD, storage, the console's k9s) overlap
# with the CPU-bound compile of the earlier ones. Harmless when everything is cached (the builds themselves would download what is missing).
set -uo pipefail
cd "$(dirname "$0")/../.."
export GOWORK=off GOFLAGS="-mod=readonly" GOTOOLCHAIN=local
go=$(command -v go || echo /usr/local/go/bin/go)
status=0
for mod in scripts/cluster/node/tools scripts/cluster/node/coredns scripts/cluster/node/kube-router scripts/ingress scripts/argocd scripts/storage scripts/images/console-k9s; do
  [ -f "$mod/go.mod" ] || continue
  start=$(date +%s)
  if (cd "$mod" && "$go" mod download); then
    echo "go mod download $mod: $(( $(date +%s) - start ))s"
  else
    echo "go mod download $mod failed (the build will try again)"; status=1
  fi
done
exit $status
