#!/usr/bin/env bash
# Stops a control plane started by up.sh and removes its state directory.
#
#   scripts/cluster/down.sh [--keep] [STATE_DIR]   (default /tmp/cdk8s-workshops-cluster)
#
# --keep stops the processes but keeps STATE_DIR (logs) in place.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

keep=0
if [ "${1:-}" = --keep ]; then
  keep=1
  shift
fi
STATE_DIR="${1:-$DEFAULT_STATE_DIR}"

[ -e "$STATE_DIR" ] || exit 0
if [ ! -f "$STATE_DIR/.cdk8s-workshops-cluster" ]; then
  # Never delete a directory that up.sh did not create.
  if [ -d "$STATE_DIR" ] && [ -z "$(ls -A "$STATE_DIR")" ]; then
    rmdir "$STATE_DIR"
    exit 0
  fi
  die "$STATE_DIR exists but is not a cluster state directory made by up.sh; not touching it"
fi

# The pid of a process of ours: it must still be alive and have the state
# directory on its command line (guards against a recycled pid).
ours() {
  local pid="$1"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] &&
    tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qF -- "$STATE_DIR"
}

# Ingress controllers started for this cluster (scripts/ingress/up.sh [--name N]), then the real node
# (node-up.sh), while the apiserver still runs.
for dir in "$STATE_DIR"/ingress "$STATE_DIR"/ingress-*; do
  [ -d "$dir" ] || continue
  name="${dir##*/ingress}"; name="${name#-}"
  bash "$CLUSTER_DIR/../ingress/down.sh" ${name:+--name "$name"} "$STATE_DIR"
done

if [ -d "$STATE_DIR/node" ]; then
  bash "$CLUSTER_DIR/node-down.sh" "$STATE_DIR"
fi

pids=()
# Stop in reverse start order, etcd last.
for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
  f="$STATE_DIR/pids/$name.pid"
  [ -f "$f" ] || continue
  pid="$(cat "$f")"
  if ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
  fi
done

if [ ${#pids[@]} -gt 0 ]; then
  log "stopping ${#pids[@]} process(es) of the cluster in $STATE_DIR"
  deadline=$((SECONDS + 15))
  for pid in "${pids[@]}"; do
    while ours "$pid"; do
      if [ $SECONDS -ge $deadline ]; then
        log "pid $pid did not exit after SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
        continue
      fi
      sleep 0.1
    done
  done
fi

if [ "$keep" = 0 ]; then
  rm -rf "$STATE_DIR"
fi
