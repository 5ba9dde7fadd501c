#!/usr/bin/env bash
# Runs Traefik on this machine as the Ingress controller of a test cluster made
# by scripts/cluster/up.sh: its Kubernetes Ingress provider watches the cluster,
# and it serves plain http on a free loopback port (entryPoint web).
#
#   scripts/ingress/up.sh [--name NAME] [--kubeconfig FILE] [--websecure] [--default-class] [--node-address IP:PORT] [STATE_DIR]
#
# STATE_DIR     the cluster's state directory (default /tmp/cdk8s-workshops-cluster);
#               Traefik's pid, logs and ports (env) go to STATE_DIR/ingress/.
# --name        a second, independent Traefik for the same cluster (files in
#               STATE_DIR/ingress-NAME/), e.g. one per test file running at once.
# --kubeconfig  whom Traefik acts as (default STATE_DIR/kubeconfig, the admin).
#               It needs list+watch on ingresses, ingressclasses, services,
#               endpointslices, secrets and nodes (see README.md).
# --websecure   also serve https (Traefik's own self-signed certificate) on a
#               second free loopback port (INGRESS_HTTPS_PORT in STATE_DIR/ingress/env).
# --default-class  mark IngressClass traefik as the cluster's default class.
# --node-address  also serve http on IP:PORT of the real node's range (198.18.0.0/15, e.g. 198.18.0.1:80, the
#               node IP), so that pods reach the session hosts (with scripts/cluster/node-dns.sh resolving them).
#
# Creates IngressClass `traefik` (controller traefik.io/ingress-controller) with
# the admin kubeconfig. Traefik routes Ingresses whose ingressClassName is
# `traefik` and Ingresses with no class at all (its ingressClass option is left
# empty), which is what dist/ synthesizes unless a TrainingPortal sets one.
#
# Builds Traefik first if needed (build.sh). A Traefik still running for the
# same STATE_DIR is stopped first. Progress goes to stderr; the only line on
# stdout is the http port, printed last. Stop it with down.sh STATE_DIR.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

kubeconfig=""
name=""
websecure=0
default_class=0
node_address=""
STATE_DIR=""
while [ $# -gt 0 ]; do
  case "$1" in
    --kubeconfig) kubeconfig="${2:?--kubeconfig needs a file}"; shift 2 ;;
    --kubeconfig=*) kubeconfig="${1#*=}"; shift ;;
    --name) name="${2:?--name needs a value}"; shift 2 ;;
    --name=*) name="${1#*=}"; shift ;;
    --websecure) websecure=1; shift ;;
    --default-class) default_class=1; shift ;;
    --node-address) node_address="${2:?--node-address needs IP:PORT}"; shift 2 ;;
    --node-address=*) node_address="${1#*=}"; shift ;;
    -*) die "unknown option $1 (allowed: --name NAME, --kubeconfig FILE, --websecure, --default-class, --node-address IP:PORT)" ;;
    *) [ -z "$STATE_DIR" ] || die "one STATE_DIR only (got '$STATE_DIR' and '$1')"; STATE_DIR="$1"; shift ;;
  esac
done
STATE_DIR="${STATE_DIR:-/tmp/cdk8s-workshops-cluster}"
case "$name" in
  '' | *[!a-z0-9-]*) [ -z "$name" ] || die "--name '$name': only lower-case letters, digits and '-' are allowed" ;;
esac
if [ -n "$node_address" ]; then
  [[ "$node_address" =~ ^198\.(18|19)\.[0-9]{1,3}\.[0-9]{1,3}:[0-9]{1,5}$ ]] ||
    die "--node-address '$node_address': IP:PORT with an address of the real node's range 198.18.0.0/15 (e.g. 198.18.0.1:80)"
  # (not `ip … | grep -q`: with pipefail, ip's SIGPIPE after grep's early exit fails the test on a busy machine)
  addresses="$(ip -o -4 addr show)"
  grep -qF " ${node_address%:*}/" <<<"$addresses" ||
    die "--node-address $node_address: no interface of this machine has ${node_address%:*} (is the real node up? scripts/cluster/up.sh --real-node)"
fi
[ -d "$STATE_DIR" ] || die "STATE_DIR $STATE_DIR does not exist: start the cluster first (scripts/cluster/up.sh $STATE_DIR)"
STATE_DIR="$(cd "$STATE_DIR" && pwd)"
ADMIN_KUBECONFIG="$STATE_DIR/kubeconfig"
[ -f "$ADMIN_KUBECONFIG" ] || die "no kubeconfig in STATE_DIR $STATE_DIR (expected $ADMIN_KUBECONFIG from scripts/cluster/up.sh)"
kubeconfig="${kubeconfig:-$ADMIN_KUBECONFIG}"
[ -f "$kubeconfig" ] || die "--kubeconfig $kubeconfig: no such file"
kubeconfig="$(cd "$(dirname "$kubeconfig")" && pwd)/$(basename "$kubeconfig")"

TRAEFIK="$(bash "$INGRESS_DIR/build.sh" | tail -n 1)"
[ -x "$TRAEFIK" ] || die "build.sh did not print an executable Traefik (got '$TRAEFIK')"

# kubectl of the cluster's own build.
KUBECTL="$(
  . "$INGRESS_DIR/../cluster/common.sh"
  echo "$BIN_DIR/kubectl"
)"
[ -x "$KUBECTL" ] || die "no kubectl at $KUBECTL: build the cluster first (scripts/cluster/build.sh)"

name_args=()
[ -z "$name" ] || name_args=(--name "$name")
bash "$INGRESS_DIR/down.sh" "${name_args[@]}" "$STATE_DIR"

DIR="$STATE_DIR/ingress${name:+-$name}"
mkdir -p "$DIR"
start=$SECONDS

# ---------------------------------------------------------------- ports
. "$(dirname "${BASH_SOURCE[0]}")/../shared/ports.sh"
free_port HTTP_PORT
free_port ADMIN_PORT
HTTPS_PORT=""
[ "$websecure" = 0 ] || free_port HTTPS_PORT

# ---------------------------------------------------------------- IngressClass
# Created when missing, never rewritten (another Traefik of the same cluster may
# be starting at the same moment).
kubectl() { "$KUBECTL" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }
if ! out="$(kubectl create -f - 2>&1 <<YAML
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: traefik
spec:
  controller: traefik.io/ingress-controller
YAML
)"; then
  case "$out" in *AlreadyExists* | *"already exists"*) ;; *) die "creating IngressClass traefik: $out" ;; esac
fi
if [ "$default_class" = 1 ]; then
  kubectl annotate --overwrite ingressclass traefik ingressclass.kubernetes.io/is-default-class=true >/dev/null
fi

# ---------------------------------------------------------------- RBAC
# What the Kubernetes Ingress provider lists and watches, cluster-wide. Without
# one of these its informers never sync and no Ingress is ever routed, with
# nothing but client-go's retries in the log: say which one is missing instead.
for check in ingresses.networking.k8s.io ingressclasses.networking.k8s.io services secrets nodes \
  endpointslices.discovery.k8s.io; do
  for verb in list watch; do
    answer="$("$KUBECTL" --kubeconfig "$kubeconfig" auth can-i "$verb" "$check" --all-namespaces 2>&1 || true)"
    [ "$answer" = yes ] ||
      die "the identity of $kubeconfig may not $verb $check cluster-wide (kubectl auth can-i said: $answer); Traefik needs list and watch on ingresses, ingressclasses, services, secrets, nodes and endpointslices"
  done
done

# ---------------------------------------------------------------- Traefik
args=(
  --global.checkNewVersion=false
  --global.sendAnonymousUsage=false
  --log.level=INFO
  --log.filePath="$DIR/traefik.log"
  --accessLog=true
  --accessLog.filePath="$DIR/access.log"
  --entryPoints.web.address="127.0.0.1:$HTTP_PORT"
  --entryPoints.web.asDefault=true
  # ping and the read-only API on a port of their own (the "traefik" entryPoint)
  --entryPoints.traefik.address="127.0.0.1:$ADMIN_PORT"
  --ping=true
  --api=true
  --api.insecure=true
  --api.dashboard=false
  --providers.kubernetesIngress=true
  # a host whose Service has no ready endpoints (yet) answers 503, not 404
  --providers.kubernetesIngress.allowEmptyServices=true
)
if [ -n "$node_address" ]; then
  # the same routes for pods, on the node's address (entryPoint node)
  args+=(
    --entryPoints.node.address="$node_address"
    --entryPoints.node.asDefault=true
  )
fi
if [ -n "$HTTPS_PORT" ]; then
  args+=(
    --entryPoints.websecure.address="127.0.0.1:$HTTPS_PORT"
    --entryPoints.websecure.asDefault=true
    --entryPoints.websecure.http.tls=true
  )
fi

# Traefik's Kubernetes client: the kubeconfig named by KUBECONFIG (it looks at
# KUBERNETES_SERVICE_HOST first, so that is cleared).
: >"$DIR/stdout.log"
env -u KUBERNETES_SERVICE_HOST -u KUBERNETES_SERVICE_PORT KUBECONFIG="$kubeconfig" \
  setsid "$TRAEFIK" "${args[@]}" >>"$DIR/stdout.log" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$DIR/traefik.pid"

fail() {
  log "ERROR: $*"
  local f
  for f in "$DIR/stdout.log" "$DIR/traefik.log"; do
    [ -s "$f" ] || continue
    log "---- last lines of $f"
    tail -n 25 "$f" >&2 || true
  done
  bash "$INGRESS_DIR/down.sh" --keep "${name_args[@]}" "$STATE_DIR" || true
  exit 1
}

# Ready when /ping answers. The provider's first read of the cluster follows
# within moments; callers wait for their own hosts to be routed.
deadline=$((SECONDS + 60))
until curl -fsS -o /dev/null "http://127.0.0.1:$ADMIN_PORT/ping" 2>/dev/null; do
  kill -0 "$pid" 2>/dev/null || fail "Traefik exited during start-up"
  [ $SECONDS -lt $deadline ] || fail "Traefik did not answer /ping on 127.0.0.1:$ADMIN_PORT within 60 s"
  sleep 0.2
done

if [ -n "$node_address" ]; then
  # any http answer (404 for a host nobody routes) means it listens there
  until [ "$(curl -sS -o /dev/null -w '%{http_code}' -H 'Host: ping.invalid' "http://$node_address/" 2>/dev/null)" != 000 ]; do
    kill -0 "$pid" 2>/dev/null || fail "Traefik exited during start-up"
    [ $SECONDS -lt $deadline ] || fail "Traefik did not answer on $node_address within 60 s (is the address taken?)"
    sleep 0.2
  done
fi
cat >"$DIR/env" <<ENV
INGRESS_HTTP_PORT=$HTTP_PORT
INGRESS_HTTPS_PORT=$HTTPS_PORT
INGRESS_ADMIN_PORT=$ADMIN_PORT
INGRESS_NODE_ADDRESS=$node_address
INGRESS_PID=$pid
ENV
log "Traefik $TRAEFIK_VERSION (pid $pid) serves http on 127.0.0.1:$HTTP_PORT${HTTPS_PORT:+, https on 127.0.0.1:$HTTPS_PORT}${node_address:+, http for pods on $node_address}; ping/API on 127.0.0.1:$ADMIN_PORT; logs in $DIR (started in $((SECONDS - start)) s)"
echo "$HTTP_PORT"
