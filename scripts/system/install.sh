#!/usr/bin/env bash
# Installs the Debian packages the tests drive for real: Chromium (the browser tests, through playwright-core),
# docker-registry (the OCI registry that content and images are published to), openssl (certificates), the real
# node's runtime and networking, the image builders, and Argo CD's Redis and git. Idempotent: does nothing when all are
# there. Needs root (or sudo) on a machine that lacks them; says so plainly otherwise.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v openssl >/dev/null 2>&1 || need+=(openssl)   # the OCI tests sign registry tokens with a throw-away certificate
# the real node (scripts/cluster/node-up.sh): container runtime, CNI plugins, packet filtering, the API forwarder
command -v containerd >/dev/null 2>&1 || need+=(containerd)
command -v runc >/dev/null 2>&1 || need+=(runc)
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v ipset >/dev/null 2>&1 || need+=(ipset)
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v conntrack >/dev/null 2>&1 || need+=(conntrack)
# images without a Docker daemon (scripts/images): a Debian base, buildah to build, skopeo to push, podman to run
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
command -v buildah >/dev/null 2>&1 || need+=(buildah)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v podman >/dev/null 2>&1 || need+=(podman)
# Argo CD's cache and the git server it syncs from (scripts/argocd)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v git >/dev/null 2>&1 || need+=(git)
# git over SSH for content sources (test/integration/content-sources.test.ts runs its own sshd on loopback)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "scripts/system/install.sh: ${need[*]} missing and not running as root; install them with apt-get" >&2
    exit 1
  fi
fi
echo "installing Debian packages: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
