#!/usr/bin/env bash
# Makes the real node's pods resolve an ingress domain of the test setup: DOMAIN and every name under it
# (`*.DOMAIN`) answer with IP (default the node IP, where scripts/ingress/up.sh --node-address serves), so a pod
# reaches its session's hosts (its registry, its own routes) as a browser does. CoreDNS (node-up.sh) imports one
# server block per domain from STATE_DIR/node/coredns.d and re-reads its configuration on SIGUSR1; the domain is the
# test setup's choice, never something the constructs synthesize. The files go with the node (node-down.sh).
#
#   scripts/cluster/node-dns.sh STATE_DIR add DOMAIN [IP]
#   scripts/cluster/node-dns.sh STATE_DIR remove DOMAIN
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
. "$CLUSTER_DIR/node-common.sh"

usage="usage: node-dns.sh STATE_DIR add DOMAIN [IP] | node-dns.sh STATE_DIR remove DOMAIN"
[ $# -ge 3 ] || die "$usage"
[ -d "$1" ] || die "STATE_DIR $1 does not exist"
STATE_DIR="$(cd "$1" && pwd)"
action="$2"
domain="${3%.}"
ip="${4:-$REAL_NODE_IP}"
NODE_DIR="$STATE_DIR/node"
[ -f "$NODE_DIR/Corefile" ] || die "no real node in $STATE_DIR (no $NODE_DIR/Corefile): start it with up.sh --real-node"
[[ "$domain" =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$ ]] ||
  die "DOMAIN '$domain': lower-case DNS labels separated by dots, at least two (e.g. workshops.127-0-0-1.test)"
case "$domain" in
  cluster.local | *.cluster.local | *in-addr.arpa | *ip6.arpa) die "DOMAIN '$domain' is the cluster's own: pick an ingress domain" ;;
esac
[[ "$ip" =~ ^198\.(18|19)\.[0-9]+\.[0-9]+$ ]] ||
  die "IP '$ip': only addresses of the node's range 198.18.0.0/15 are allowed (default $REAL_NODE_IP)"

file="$NODE_DIR/coredns.d/$domain.server"
mkdir -p "$NODE_DIR/coredns.d"
case "$action" in
  add)
    cat >"$file.tmp" <<CONF
# $domain and every name under it: $ip (node-dns.sh)
$domain:53 {
    bind $REAL_NODE_IP
    errors
    template IN A {
        answer "{{ .Name }} 5 IN A $ip"
    }
    template IN AAAA {
        rcode NOERROR
    }
}
CONF
    mv "$file.tmp" "$file" ;;
  remove) rm -f "$file" ;;
  *) die "$usage" ;;
esac

pid="$(cat "$STATE_DIR/pids/node-coredns.pid" 2>/dev/null || true)"
[ -n "$pid" ] && tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$NODE_DIR" ||
  die "CoreDNS of $STATE_DIR is not running"
kill -USR1 "$pid"

# Applied when CoreDNS answers (add) or stops answering (remove) for the domain itself and a name under it.
answers() {
  local name out
  for name in "$domain" "probe-$RANDOM.$domain"; do
    out="$("$NODE_BIN_DIR/nettest" lookup "$REAL_NODE_IP:53" "$name" 2>/dev/null)" || return 1
    [ "$out" = "$ip" ] || return 1
  done
}
deadline=$((SECONDS + 20))
while :; do
  if [ "$action" = add ] && answers; then break; fi
  if [ "$action" = remove ] && ! "$NODE_BIN_DIR/nettest" lookup "$REAL_NODE_IP:53" "$domain" >/dev/null 2>&1; then break; fi
  [ $SECONDS -lt $deadline ] || die "CoreDNS did not apply '$action $domain' within 20 s (log: $STATE_DIR/logs/coredns.log)"
  kill -0 "$pid" 2>/dev/null || die "CoreDNS exited while reloading (log: $STATE_DIR/logs/coredns.log)"
  sleep 0.2
done
case "$action" in
  add) log "pods of the real node resolve $domain and *.$domain to $ip" ;;
  remove) log "pods of the real node no longer resolve $domain" ;;
esac
