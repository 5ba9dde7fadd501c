#!/usr/bin/env bash
# Installs the Debian packages the tests drive for real: Chromium (the browser tests, through playwright-core)
# and docker-registry (the OCI registry that content is published to). Idempotent: does nothing when both are
# there. Needs root (or sudo) on a machine that lacks them; says so plainly otherwise.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
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
