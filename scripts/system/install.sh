#!/usr/bin/env bash
# Installs the Debian packages the tests drive for real: Chromium (the browser tests, through playwright-core)
# and docker-registry (the OCI registry that content is published to), plus openssl (a certificate for the registry
# token service of the OCI tests). Idempotent: does nothing when all are
# there. Needs root (or sudo) on a machine that lacks them; says so plainly otherwise.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v openssl >/dev/null 2>&1 || need+=(openssl)   # the OCI tests sign registry tokens with a throw-away certificate
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
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
