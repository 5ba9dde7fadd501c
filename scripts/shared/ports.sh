# Sourced by the scripts that start services on loopback (cluster, real node, ingress, Argo CD): free TCP ports.
# shellcheck shell=bash

# Ports that something listens on now (IPv4 and IPv6, TCP state 0A = LISTEN).
listening_ports() {
  local hex
  for hex in $(awk 'FNR > 1 && $4 == "0A" { split($2, a, ":"); print a[2] }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null || true); do
    echo $((16#$hex))
  done
}
PORTS_TAKEN=" $(listening_ports | tr '\n' ' ') "

# Ports are drawn from 20000-31999, below Linux's ephemeral range (32768-60999 by default): a port there can be
# taken by an outgoing connection, which LISTEN scans do not show, and the bind then fails (seen with Traefik).
# free_port VAR: sets VAR to a port that nothing listens on and that this script has not handed out before. It
# assigns in the calling shell rather than printing, because a `$(free_port)` subshell would forget what it handed
# out and two calls could return the same port.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    case "$PORTS_TAKEN" in *" $p "*) continue ;; esac
    PORTS_TAKEN+="$p "
    printf -v "$1" '%s' "$p"
    return
  done
}
