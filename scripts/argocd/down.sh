#!/usr/bin/env bash
# Stops what up.sh started for STATE_DIR (argocd-application-controller,
# argocd-repo-server, git daemon, redis-server) and removes STATE_DIR/argocd.
#
#   scripts/argocd/down.sh [--keep] [STATE_DIR]   (default /tmp/cdk8s-workshops-cluster)
#
# --keep stops the processes but keeps STATE_DIR/argocd (logs, git repository).
# Leaves the argocd namespace, the CRDs and the Applications in the cluster (they
# go with the cluster).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1; shift ;;
    -*) die "unknown option $1 (allowed: --keep)" ;;
    *) break ;;
  esac
done
STATE_DIR="${1:-/tmp/cdk8s-workshops-cluster}"
DIR="$STATE_DIR/argocd"
[ -d "$DIR" ] || exit 0

# A pid file holds "pid starttime": the process is ours only while both match.
ours() { # ours PID STARTTIME
  [ -n "$1" ] && [ -r "/proc/$1/stat" ] &&
    [ "$(awk '{ print $22 }' "/proc/$1/stat" 2>/dev/null)" = "$2" ] &&
    [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# The controller first (it writes to the cluster), Redis last.
for name in application-controller repo-server git-daemon redis; do
  f="$DIR/$name.pid"
  [ -f "$f" ] || continue
  read -r pid started <"$f" || true
  if ours "$pid" "$started"; then
    log "stopping $name (pid $pid) of $STATE_DIR"
    # the whole session: git daemon forks a child per connection
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 15))
    while ours "$pid" "$started"; do
      if [ $SECONDS -ge $deadline ]; then
        log "$name (pid $pid) did not exit after SIGTERM; sending SIGKILL"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      fi
      sleep 0.1
    done
  fi
  rm -f "$f"
done

if [ "$keep" = 0 ]; then
  rm -rf "$DIR"
fi
