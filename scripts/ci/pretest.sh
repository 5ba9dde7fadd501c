#!/usr/bin/env bash
# What `npm test` needs before the suite runs, each step cached by a hash of its inputs and timed: the compiled
# library, the Debian packages the tests drive, and what is built from Go modules (control plane, real node,
# ingress controller, Argo CD) and from images/ (the portal, the session dashboard, the examples' images).
# On a fresh machine the network-bound work (Go module downloads, the images' Debian base and npm installs) runs
# beside the CPU-bound Go compiles instead of after them.
set -euo pipefail
cd "$(dirname "$0")/../.."
phase() { bash scripts/ci/phase.sh "$@"; }
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

phase "build lib/" npm run build --silent
phase "Debian packages" bash scripts/system/install.sh
phase "Go module prefetch" bash scripts/ci/go-prefetch.sh >"$logs/prefetch.log" 2>&1 &
prefetch=$!
phase "control plane build" bash scripts/cluster/build.sh
# the images need the control plane's kubectl (the dashboard image carries it)
phase "images build" bash scripts/images/build.sh >"$logs/images.log" 2>&1 &
images=$!
# the real node (kubelet, kube-proxy, CoreDNS, kube-router) for the tests that need containers to run
phase "real node build" bash scripts/cluster/node-build.sh
# local-path-provisioner for the persistent-home test (scripts/storage)
phase "storage build" bash scripts/storage/build.sh >/dev/null
# the ingress controller (Traefik) that routes the portal and session hosts in the tests
phase "Traefik build" bash scripts/ingress/build.sh
# Argo CD (application controller + repo server) for the GitOps test
phase "argocd build" bash scripts/argocd/build.sh

wait "$prefetch" || true   # a failed prefetch only means the builds downloaded for themselves
cat "$logs/prefetch.log" >&2
if wait "$images"; then cat "$logs/images.log" >&2; else
  cat "$logs/images.log" >&2; echo "images build failed (log above)" >&2; exit 1
fi
