#!/usr/bin/env bash
# Runs Argo CD on this machine against a test cluster made by scripts/cluster/up.sh:
# Redis (Debian's redis-server), a git repository served on loopback (`git daemon`),
# and argocd-repo-server + argocd-application-controller as host processes (the
# multi-call binary of build.sh). No API server or UI: Applications are plain
# objects, created with kubectl.
#
#   scripts/argocd/up.sh [--health FILE] [STATE_DIR [KUBECONFIG]]
#
# STATE_DIR    the cluster's state directory (default /tmp/cdk8s-workshops-cluster);
#              pids, logs, the git repository and `env` go to STATE_DIR/argocd/.
# KUBECONFIG   whom Argo CD acts as (default STATE_DIR/kubeconfig, the admin).
# --health FILE  a ConfigMap (YAML) whose data is merged into argocd-cm, e.g. the
#              health checks the library synthesizes into
#              dist/argocd/bootstrap/argocd-cm-health.k8s.yaml (may be repeated).
#
# Creates namespace argocd, Argo CD's CRDs (same module version as the binary),
# argocd-cm, argocd-rbac-cm and argocd-secret. The controller runs with
# ARGOCD_FAKE_IN_CLUSTER=true: the in-cluster destination
# (https://kubernetes.default.svc) is reached through KUBECONFIG, as in Argo CD's
# own local development setup.
#
# The git repository: a bare repository STATE_DIR/argocd/git/workshops.git, served
# read-only at git://127.0.0.1:<port>/workshops.git; push to it by path.
# STATE_DIR/argocd/env holds ARGOCD_REPO_URL, ARGOCD_GIT_DIR, ARGOCD_NAMESPACE,
# the ports and ARGOCD_BIN. The last line on stdout is the path of that env file.
# Stop everything with down.sh STATE_DIR.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

health_files=()
positional=()
while [ $# -gt 0 ]; do
  case "$1" in
    --health) health_files+=("${2:?--health needs a file}"); shift 2 ;;
    --health=*) health_files+=("${1#*=}"); shift ;;
    -*) die "unknown option $1 (allowed: --health FILE)" ;;
    *) positional+=("$1"); shift ;;
  esac
done
[ ${#positional[@]} -le 2 ] || die "at most STATE_DIR and KUBECONFIG (got ${positional[*]})"
STATE_DIR="${positional[0]:-/tmp/cdk8s-workshops-cluster}"
[ -d "$STATE_DIR" ] || die "STATE_DIR $STATE_DIR does not exist: start the cluster first (scripts/cluster/up.sh $STATE_DIR)"
STATE_DIR="$(cd "$STATE_DIR" && pwd)"
KUBECONFIG_FILE="${positional[1]:-$STATE_DIR/kubeconfig}"
[ -f "$KUBECONFIG_FILE" ] || die "KUBECONFIG $KUBECONFIG_FILE: no such file"
KUBECONFIG_FILE="$(cd "$(dirname "$KUBECONFIG_FILE")" && pwd)/$(basename "$KUBECONFIG_FILE")"
for f in "${health_files[@]}"; do [ -f "$f" ] || die "--health $f: no such file"; done

start=$SECONDS
BUILD="$(bash "$ARGOCD_DIR/build.sh" | tail -n 1)"
[ "$BUILD" = "$ARGOCD_BUILD_DIR" ] || die "build.sh printed '$BUILD', expected $ARGOCD_BUILD_DIR"

KUBECTL="$(
  . "$ARGOCD_DIR/../cluster/common.sh"
  echo "$BIN_DIR/kubectl"
)"
[ -x "$KUBECTL" ] || die "no kubectl at $KUBECTL: build the cluster first (scripts/cluster/build.sh)"
kubectl() { "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

# ---------------------------------------------------------------- Debian packages
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v git >/dev/null 2>&1 || need+=(git)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "${need[*]} missing and not running as root; install them with apt-get"
    sudo=sudo
  fi
  log "installing Debian packages: ${need[*]} (waiting for the dpkg lock if another install runs)"
  # Debian's redis-server package would start a system-wide server where an init system runs; ours runs below.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

bash "$ARGOCD_DIR/down.sh" "$STATE_DIR"
DIR="$STATE_DIR/argocd"
mkdir -p "$DIR/logs" "$DIR/redis" "$DIR/git" "$DIR/tmp" "$DIR/tls" "$DIR/ssh" "$DIR/gpg/keys" "$DIR/gpg/source"
NAMESPACE=argocd

# ---------------------------------------------------------------- ports
. "$(dirname "${BASH_SOURCE[0]}")/../shared/ports.sh"
free_port REDIS_PORT
free_port GIT_PORT
free_port REPO_PORT
free_port REPO_METRICS_PORT
free_port CONTROLLER_METRICS_PORT

# Starts a process in its own session, its output in DIR/logs/NAME.log, its pid in DIR/NAME.pid.
run() {
  local name="$1"
  shift
  setsid "$@" >"$DIR/logs/$name.log" 2>&1 </dev/null &
  local pid=$!
  # pid and start time: down.sh stops only this very process, never a recycled pid
  echo "$pid $(awk '{ print $22 }' "/proc/$pid/stat")" >"$DIR/$name.pid"
}
wait_port() { # wait_port NAME PORT SECONDS
  local deadline=$((SECONDS + $3)) pid
  pid="$(cut -d' ' -f1 "$DIR/$1.pid")"
  until (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || die "$1 exited; its log ($DIR/logs/$1.log) ends with: $(tail -n 5 "$DIR/logs/$1.log")"
    [ $SECONDS -lt $deadline ] || die "$1 does not listen on 127.0.0.1:$2 after $3 s (log: $DIR/logs/$1.log)"
    sleep 0.2
  done
}

# ---------------------------------------------------------------- Redis
# Loopback only, no persistence: Argo CD uses it as a cache.
run redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
  --dir "$DIR/redis" --protected-mode yes --daemonize no --loglevel warning --pidfile "$DIR/redis/redis.pid"
wait_port redis "$REDIS_PORT" 20

# ---------------------------------------------------------------- git
GIT_DIR_BARE="$DIR/git/workshops.git"
git init -q --bare --initial-branch=main "$GIT_DIR_BARE"
run git-daemon git daemon --reuseaddr --listen=127.0.0.1 --port="$GIT_PORT" --base-path="$DIR/git" \
  --export-all --informative-errors
wait_port git-daemon "$GIT_PORT" 20
REPO_URL="git://127.0.0.1:$GIT_PORT/workshops.git"

# ---------------------------------------------------------------- cluster objects
kubectl create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl apply --server-side --force-conflicts --field-manager=argocd-up -f "$ARGOCD_CRDS/" >/dev/null
# (kubectl wait fails on a CRD whose status is not written yet: poll instead)
for crd in applications appprojects applicationsets; do
  deadline=$((SECONDS + 60))
  until [ "$(kubectl get crd "$crd.argoproj.io" -o 'jsonpath={.status.conditions[?(@.type=="Established")].status}' 2>/dev/null)" = True ]; do
    [ $SECONDS -lt $deadline ] || die "CRD $crd.argoproj.io not Established after 60 s"
    sleep 0.2
  done
done

secret_key="$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
# Argo CD finds its settings by this label.
kubectl apply --server-side --force-conflicts --field-manager=argocd-up -f - >/dev/null <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: $NAMESPACE
  labels: { app.kubernetes.io/name: argocd-cm, app.kubernetes.io/part-of: argocd }
data:
  # refresh every Application every 30 s (the default is 3 min): the tests wait for commits
  timeout.reconciliation: 30s
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-rbac-cm
  namespace: $NAMESPACE
  labels: { app.kubernetes.io/name: argocd-rbac-cm, app.kubernetes.io/part-of: argocd }
data:
  policy.default: role:readonly
---
apiVersion: v1
kind: Secret
metadata:
  name: argocd-secret
  namespace: $NAMESPACE
  labels: { app.kubernetes.io/name: argocd-secret, app.kubernetes.io/part-of: argocd }
type: Opaque
stringData:
  server.secretkey: "$secret_key"
YAML
for f in "${health_files[@]}"; do
  # merged with a field manager of its own: only the keys of FILE change
  kubectl apply --server-side --force-conflicts --field-manager=argocd-health -n "$NAMESPACE" -f "$f" >/dev/null
done

# ---------------------------------------------------------------- Argo CD
common_env=(
  env KUBECONFIG="$KUBECONFIG_FILE" ARGOCD_FAKE_IN_CLUSTER=true
  TMPDIR="$DIR/tmp" HOME="$DIR/tmp"
  ARGOCD_TLS_DATA_PATH="$DIR/tls" ARGOCD_SSH_DATA_PATH="$DIR/ssh"
  ARGOCD_GNUPGHOME="$DIR/gpg/keys" ARGOCD_GPG_DATA_PATH="$DIR/gpg/source" ARGOCD_GPG_ENABLED=false
  HOSTNAME=argocd-application-controller-0
)
run repo-server "${common_env[@]}" "$ARGOCD_BIN_DIR/argocd-repo-server" \
  --loglevel info --address 127.0.0.1 --port "$REPO_PORT" \
  --metrics-address 127.0.0.1 --metrics-port "$REPO_METRICS_PORT" \
  --redis "127.0.0.1:$REDIS_PORT" --disable-tls
wait_port repo-server "$REPO_PORT" 60

run application-controller "${common_env[@]}" "$ARGOCD_BIN_DIR/argocd-application-controller" \
  --loglevel info --kubeconfig "$KUBECONFIG_FILE" --namespace "$NAMESPACE" \
  --redis "127.0.0.1:$REDIS_PORT" --repo-server "127.0.0.1:$REPO_PORT" --repo-server-plaintext \
  --metrics-port "$CONTROLLER_METRICS_PORT" --status-processors 4 --operation-processors 4 \
  --self-heal-timeout-seconds 2 --persist-resource-health
wait_port application-controller "$CONTROLLER_METRICS_PORT" 60

cat >"$DIR/env" <<ENV
ARGOCD_VERSION=$ARGOCD_VERSION
ARGOCD_BIN=$ARGOCD_BIN
ARGOCD_NAMESPACE=$NAMESPACE
ARGOCD_REPO_URL=$REPO_URL
ARGOCD_GIT_DIR=$GIT_DIR_BARE
ARGOCD_REDIS_PORT=$REDIS_PORT
ARGOCD_REPO_SERVER_PORT=$REPO_PORT
ARGOCD_CONTROLLER_METRICS_PORT=$CONTROLLER_METRICS_PORT
ARGOCD_LOGS=$DIR/logs
ENV
log "Argo CD $ARGOCD_VERSION up in $((SECONDS - start)) s: redis 127.0.0.1:$REDIS_PORT, repo-server 127.0.0.1:$REPO_PORT,"
log "  controller (metrics 127.0.0.1:$CONTROLLER_METRICS_PORT) in namespace $NAMESPACE, git $REPO_URL (push to $GIT_DIR_BARE)"
log "  logs in $DIR/logs; stop with scripts/argocd/down.sh $STATE_DIR"
echo "$DIR/env"
