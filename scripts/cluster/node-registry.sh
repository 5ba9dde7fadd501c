#!/usr/bin/env bash
# Lets the real node's containerd pull from loopback registries over plain http
# (node-up.sh does this for REGISTRY=host:port[,host:port...]; registries added
# later take effect at the next pull, no restart). Every registry not listed
# here resolves to a closed loopback port (127.0.0.1:9), so a pod naming an
# image of the internet fails to pull instead of reaching out.
#
#   scripts/cluster/node-registry.sh STATE_DIR [HOST:PORT[,HOST:PORT...]]...
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ $# -ge 1 ] || die "usage: node-registry.sh STATE_DIR [HOST:PORT,...]"
CERTS_D="$(cd "$1" && pwd)/node/certs.d"
shift
mkdir -p "$CERTS_D/_default"
cat >"$CERTS_D/_default/hosts.toml" <<TOML
# any registry not configured here: a closed loopback port
server = "http://127.0.0.1:9"

[host."http://127.0.0.1:9"]
  capabilities = ["pull", "resolve"]
TOML
for list in "$@"; do
  IFS=',' read -r -a registries <<<"$list"
  for r in "${registries[@]}"; do
    [ -n "$r" ] || continue
    [[ "$r" =~ ^(127\.[0-9]+\.[0-9]+\.[0-9]+|localhost):[0-9]+$ ]] ||
      die "registry $r: only loopback registries are allowed (127.x.x.x:PORT or localhost:PORT)"
    mkdir -p "$CERTS_D/$r"
    cat >"$CERTS_D/$r/hosts.toml.tmp" <<TOML
server = "http://$r"

[host."http://$r"]
  capabilities = ["pull", "resolve"]
TOML
    mv "$CERTS_D/$r/hosts.toml.tmp" "$CERTS_D/$r/hosts.toml"
    log "containerd of the real node pulls from $r over plain http"
  done
done
