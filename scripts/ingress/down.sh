#!/usr/bin/env bash
# Stops the Traefik that up.sh started for STATE_DIR and removes STATE_DIR/ingress.
#
#   scripts/ingress/down.sh [--keep] [--name NAME] [STATE_DIR]   (default /tmp/cdk8s-workshops-cluster)
#
# --keep stops Traefik but keeps STATE_DIR/ingress (logs) in place.
# --name stops the Traefik started with up.sh --name NAME (STATE_DIR/ingress-NAME).
# Leaves IngressClass traefik in the cluster (it goes with the cluster).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

keep=0
name=""
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1; shift ;;
    --name) name="${2:?--name needs a value}"; shift 2 ;;
    --name=*) name="${1#*=}"; shift ;;
    -*) die "unknown option $1 (allowed: --keep, --name NAME)" ;;
    *) break ;;
  esac
done
STATE_DIR="${1:-/tmp/cdk8s-workshops-cluster}"
DIR="$STATE_DIR/ingress${name:+-$name}"
[ -d "$DIR" ] || exit 0

# The pid is ours only while that process is alive and names DIR on its
# command line (guards against a recycled pid).
ours() {
  [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] && tr '\0' '\n' <"/proc/$1/cmdline" | grep -qF -- "$DIR/"
}

pid="$(cat "$DIR/traefik.pid" 2>/dev/null || true)"
if ours "$pid"; then
  log "stopping Traefik (pid $pid) of $STATE_DIR"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + 15))
  while ours "$pid"; do
    if [ $SECONDS -ge $deadline ]; then
      log "Traefik (pid $pid) did not exit after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    # a zombie until its parent reaps it: stopped all the same
    [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ] || break
    sleep 0.1
  done
fi

if [ "$keep" = 0 ]; then
  rm -rf "$DIR"
fi
