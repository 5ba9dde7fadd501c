#!/usr/bin/env bash
# What `npm test` needs before the suite runs, each step cached and timed: the compiled library, the Debian
# packages the tests drive, and the binaries built from Go modules (control plane, real node, ingress controller, images).
set -euo pipefail
cd "$(dirname "$0")/../.."
phase() { bash scripts/ci/phase.sh "$@"; }
phase "build lib/" npm run build --silent
phase "Debian packages" bash scripts/system/install.sh
phase "control plane build" bash scripts/cluster/build.sh
# the real node (kubelet, kube-proxy, CoreDNS, kube-router) for the tests that need containers to run
phase "real node build" bash scripts/cluster/node-build.sh
# the ingress controller (Traefik) that routes the portal and session hosts in the tests
phase "Traefik build" bash scripts/ingress/build.sh
# the images of the portal, the session dashboard and the examples, built from images/ with buildah
phase "images build" bash scripts/images/build.sh
# Argo CD (application controller + repo server) for the GitOps test, from the Go module proxy
phase "argocd build" bash scripts/argocd/build.sh
