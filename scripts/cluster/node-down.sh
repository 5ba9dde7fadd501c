#!/usr/bin/env bash
# Removes the real node of the cluster in STATE_DIR (down.sh runs this first):
# its processes (kube-router, kube-proxy, CoreDNS, the apiserver forward, kubelet),
# the pods' processes and cgroups, containerd and its shims, every mount under
# STATE_DIR, the bridges (and veths, network namespaces), its iptables rules and
# ipsets, CNI state, and the sysctls it changed. Keeps STATE_DIR/logs.
#
#   scripts/cluster/node-down.sh STATE_DIR
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
. "$CLUSTER_DIR/node-common.sh"

[ $# -ge 1 ] || die "usage: node-down.sh STATE_DIR"
[ -d "$1" ] || exit 0
STATE_DIR="$(cd "$1" && pwd)"
NODE_DIR="$STATE_DIR/node"
PIDS="$STATE_DIR/pids"
[ -d "$NODE_DIR" ] || exit 0
[ "$(id -u)" = 0 ] || die "removing the real node needs root"
start=$SECONDS

# A process of ours: alive and with NODE_DIR on its command line.
ours() {
  local pid="$1"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qF -- "$NODE_DIR"
}
stop() { # stop <name>: SIGTERM, SIGKILL after 10 s
  local f="$PIDS/node-$1.pid" pid deadline
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  rm -f "$f"
  ours "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + 10))
  while ours "$pid"; do
    if [ $SECONDS -ge $deadline ]; then
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
      continue
    fi
    sleep 0.1
  done
}

for name in kube-router kube-proxy coredns apiserver-forward kubelet; do stop "$name"; done

# The pods' processes: everything in the node's cgroups.
kill_pods() {
  local any=0 f pid
  for f in $(find "/sys/fs/cgroup/pids${CGROUP_ROOT}" -name cgroup.procs 2>/dev/null); do
    for pid in $(cat "$f" 2>/dev/null); do
      kill -KILL "$pid" 2>/dev/null || true
      any=1
    done
  done
  [ "$any" = 1 ]
}
deadline=$((SECONDS + 10))
while kill_pods && [ $SECONDS -lt $deadline ]; do sleep 0.2; done

# containerd's shims (their command line names our containerd socket), then containerd.
for pid in $(pgrep -f containerd-shim 2>/dev/null || true); do
  ours "$pid" && kill -KILL "$pid" 2>/dev/null || true
done
stop containerd

# Mounts under STATE_DIR (container rootfs, sandbox shm, netns, pod volumes), deepest first.
umount_all() {
  local m left=0
  for m in $(awk -v d="$STATE_DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || left=1
  done
  return $left
}
umount_all || umount_all || log "some mounts under $STATE_DIR could not be removed"

# cgroups, deepest first, in every hierarchy.
for h in /sys/fs/cgroup/*/; do
  [ -d "$h${CGROUP_ROOT#/}" ] || continue
  find "$h${CGROUP_ROOT#/}" -depth -type d -exec rmdir {} \; 2>/dev/null || true
done

# iptables (IPv4 and IPv6): every KUBE-* chain (kubelet's, kube-proxy's, kube-router's; no other program on
# this machine makes them) and ours, with the rules that jump to them; kube-router's ipsets.
purge_chains() { # purge_chains iptables|ip6tables
  local cmd="$1" table save chains c rule
  for table in filter nat mangle raw; do
    save="$("$cmd-save" -t "$table" 2>/dev/null)" || continue
    chains="$(awk '/^:(KUBE-|CDKW-)/ { sub(/^:/, "", $1); print $1 }' <<<"$save")"
    [ -n "$chains" ] || continue
    while IFS= read -r rule; do
      [ -n "$rule" ] || continue
      eval "$cmd -w -t $table -D ${rule#-A }" 2>/dev/null || true
    done < <(grep -E -- '-j (KUBE-|CDKW-)' <<<"$save" | grep -E '^-A (INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) ' || true)
    for c in $chains; do "$cmd" -w -t "$table" -F "$c" 2>/dev/null || true; done
    for c in $chains; do "$cmd" -w -t "$table" -X "$c" 2>/dev/null || true; done
  done
}
if [ -x "$NODE_BIN_DIR/kube-proxy" ]; then
  "$NODE_BIN_DIR/kube-proxy" --cleanup >"$STATE_DIR/logs/kube-proxy-cleanup.log" 2>&1 || true
fi
while iptables -w -t mangle -D FORWARD -i cdkw+ ! -o cdkw+ -j DROP 2>/dev/null; do :; done
purge_chains iptables
purge_chains ip6tables
if command -v ipset >/dev/null 2>&1; then
  for s in $(ipset list -n 2>/dev/null | grep -E '^(KUBE-|kube-router-)' || true); do
    ipset destroy "$s" 2>/dev/null || true
  done
fi

# Interfaces: veths left on the pod bridge, then the bridges (their routes go with them).
for veth in $(ip -o link show master "$POD_BRIDGE" 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
  ip link del "$veth" 2>/dev/null || true
done
for br in "$POD_BRIDGE" "$NODE_BRIDGE"; do
  ip link del "$br" 2>/dev/null || true
done

# CNI results containerd keeps outside STATE_DIR (named after the network and the sandbox), container log links
# kubelet makes in /var/log/containers.
for sandbox in $(ls "$NODE_DIR/containerd/root/io.containerd.grpc.v1.cri/sandboxes" 2>/dev/null || true); do
  rm -f /var/lib/cni/results/*-"$sandbox"-* 2>/dev/null || true
done
rm -f /var/lib/cni/results/"$CNI_NETWORK"-* 2>/dev/null || true
find /var/log/containers -maxdepth 1 -lname "$STATE_DIR/*" -delete 2>/dev/null || true

if [ -f "$NODE_DIR/sysctl.saved" ]; then
  while IFS= read -r kv; do [ -n "$kv" ] && sysctl -qw "$kv" 2>/dev/null || true; done <"$NODE_DIR/sysctl.saved"
fi
if [ -f "$NODE_DIR.made" ]; then
  while IFS= read -r d; do [ -n "$d" ] && rm -rf "$d"; done <"$NODE_DIR.made"
  rm -f "$NODE_DIR.made"
fi
[ "$(cat "$NODE_LOCK" 2>/dev/null)" = "$STATE_DIR" ] && rm -f "$NODE_LOCK"
rm -rf "$NODE_DIR" 2>/dev/null || log "could not remove all of $NODE_DIR"
log "real node of $STATE_DIR removed in $((SECONDS - start)) s"
