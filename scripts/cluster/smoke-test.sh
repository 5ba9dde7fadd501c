#!/usr/bin/env bash
# Checks that a cluster started by up.sh behaves like a real one where the
# integration tests rely on it:
#   - a Deployment becomes Available (pods Running+Ready through kwok)
#   - Pod Security admission (enforce=restricted) rejects a privileged pod
#   - deleting a namespace removes its objects
#   - a namespaced object owned by a Namespace (cluster-scoped owner) is
#     garbage-collected when that namespace is deleted
#   - SubjectAccessReview works
#   - a CRD becomes Established and can be used
#
#   scripts/cluster/smoke-test.sh [STATE_DIR]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

STATE_DIR="${1:-$DEFAULT_STATE_DIR}"
export KUBECONFIG="$STATE_DIR/kubeconfig"
[ -f "$KUBECONFIG" ] || die "no $KUBECONFIG: start the cluster with up.sh first"
k() { "$BIN_DIR/kubectl" --request-timeout=20s "$@"; }

pass=0
fail=0
check() { # check <description> <command...>
  local what="$1"
  shift
  local t=$SECONDS
  if out="$("$@" 2>&1)"; then
    pass=$((pass + 1))
    log "ok   $what ($((SECONDS - t)) s)"
  else
    fail=$((fail + 1))
    log "FAIL $what"
    printf '%s\n' "$out" | tail -n 20 >&2
  fi
}

ns="smoke-$RANDOM"
ns_psa="$ns-restricted"
ns_owner="$ns-owner"

deployment_available() {
  k create namespace "$ns"
  k -n "$ns" create deployment web --image=nginx --replicas=1
  k -n "$ns" wait deployment/web --for=condition=Available --timeout=60s
  local phase ready
  phase="$(k -n "$ns" get pods -l app=web -o 'jsonpath={.items[0].status.phase}')"
  ready="$(k -n "$ns" get pods -l app=web -o 'jsonpath={.items[0].status.conditions[?(@.type=="Ready")].status}')"
  echo "pod phase=$phase ready=$ready"
  [ "$phase" = Running ] && [ "$ready" = True ]
}

psa_rejects_privileged() {
  k create namespace "$ns_psa"
  k label namespace "$ns_psa" pod-security.kubernetes.io/enforce=restricted
  local out
  if out="$(k -n "$ns_psa" apply -f - 2>&1 <<EOF
apiVersion: v1
kind: Pod
metadata: {name: privileged}
spec:
  containers:
  - name: c
    image: busybox
    securityContext: {privileged: true}
EOF
  )"; then
    echo "privileged pod was admitted: $out"
    return 1
  fi
  echo "$out"
  grep -q 'violates PodSecurity "restricted' <<<"$out"
}

namespace_deletion_cascades() {
  k -n "$ns" create configmap doomed --from-literal=a=b
  k -n "$ns" create secret generic doomed --from-literal=a=b
  k delete namespace "$ns" --timeout=90s
  ! k get namespace "$ns" 2>/dev/null
}

cluster_scoped_owner_gc() {
  k create namespace "$ns_owner"
  local uid
  uid="$(k get namespace "$ns_owner" -o 'jsonpath={.metadata.uid}')"
  # The dependent lives in another namespace (default); its owner is the
  # cluster-scoped Namespace object, so only the garbage collector removes it.
  k -n default apply -f - <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: owned-by-$ns_owner
  ownerReferences:
  - apiVersion: v1
    kind: Namespace
    name: $ns_owner
    uid: $uid
data: {a: b}
EOF
  k delete namespace "$ns_owner" --timeout=60s
  local deadline=$((SECONDS + 60))
  while k -n default get configmap "owned-by-$ns_owner" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || {
      echo "configmap owned-by-$ns_owner still exists"
      return 1
    }
    sleep 0.5
  done
}

subject_access_review() {
  local out
  out="$(k create -o 'jsonpath={.status.allowed}' -f - <<EOF
apiVersion: authorization.k8s.io/v1
kind: SubjectAccessReview
spec:
  user: system:serviceaccount:default:default
  groups: [system:serviceaccounts, system:authenticated]
  resourceAttributes: {verb: list, resource: secrets, namespace: default}
EOF
  )"
  echo "default SA may list secrets: $out"
  [ "$out" = false ] || return 1
  out="$(k auth can-i list secrets -n default --as=system:serviceaccount:kube-system:namespace-controller)"
  echo "namespace-controller may list secrets: $out"
  [ "$out" = yes ]
}

crd_established() {
  k apply -f - <<EOF
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.smoke.cdk8s-workshops.dev}
spec:
  group: smoke.cdk8s-workshops.dev
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
EOF
  k wait crd/widgets.smoke.cdk8s-workshops.dev --for=condition=Established --timeout=30s
  local deadline=$((SECONDS + 30))
  until k -n default apply -f - <<EOF; do
apiVersion: smoke.cdk8s-workshops.dev/v1
kind: Widget
metadata: {name: w1}
spec: {size: 3}
EOF
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
  k -n default get widget w1
  k delete crd widgets.smoke.cdk8s-workshops.dev --timeout=60s
}

check "Deployment becomes Available (pod Running+Ready via kwok)" deployment_available
check "PodSecurity enforce=restricted rejects a privileged pod" psa_rejects_privileged
check "deleting a namespace removes its objects" namespace_deletion_cascades
check "ownerReference to a Namespace is garbage-collected" cluster_scoped_owner_gc
check "SubjectAccessReview" subject_access_review
check "CRD becomes Established and serves objects" crd_established
k delete namespace "$ns_psa" --wait=false >/dev/null 2>&1 || true

echo "smoke-test: $pass passed, $fail failed"
[ "$fail" = 0 ]
