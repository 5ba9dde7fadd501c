#!/usr/bin/env bash
# push.sh REGISTRY [TAG]: pushes the images build.sh made (building what is not cached yet) to REGISTRY, e.g.
# 127.0.0.1:5000 or registry.example.com/team, as
#   REGISTRY/cdk8s-workshops/training-portal:TAG     (TrainingPortal's image)
#   REGISTRY/cdk8s-workshops/session-dashboard:TAG   (SessionTemplate's workshopImage)
#   REGISTRY/cdk8s-workshops/hello-web:<its VERSION> (the k8s-fundamentals example's application)
#   REGISTRY/cdk8s-workshops/docker-daemon:TAG       (the Docker capability's `image`)
#   REGISTRY/cdk8s-workshops/registry:TAG            (the ImageRegistry capability's `image`)
#   REGISTRY/cdk8s-workshops/<name>:TAG              (every other image of common.sh's IMAGES)
# and the portal also as REGISTRY/cdk8s-workshops/portal:TAG (the name the team's contract first gave it).
# TAG defaults to the project's version (package.json). OCI manifests and layers, which containerd, Docker and
# Kubernetes nodes pull. TLS is not verified when PUSH_TLS_VERIFY=false, or when REGISTRY is on loopback
# (plain HTTP). Credentials: REGISTRY_USERNAME and REGISTRY_PASSWORD, else skopeo's own (containers-auth.json).
# Prints each pushed reference with its digest on stdout, one per line: "<reference>@<digest>".
set -euo pipefail
source "$(dirname "$0")/common.sh"

registry="${1:-}"
tag="${2:-$PROJECT_VERSION}"
[ -n "$registry" ] || die "usage: push.sh REGISTRY [TAG]   (e.g. push.sh 127.0.0.1:5000)"
[[ "$registry" =~ ^[A-Za-z0-9.-]+(:[0-9]+)?(/[a-z0-9._/-]+)?$ ]] ||
  die "REGISTRY '$registry' is not host[:port][/path] (e.g. 127.0.0.1:5000 or registry.example.com/team)"
[[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$ ]] || die "TAG '$tag' is not a valid image tag (letters, digits, '_', '.', '-'; at most 128)"
command -v skopeo >/dev/null 2>&1 || die "skopeo not found: apt-get install skopeo"

tls_verify=true
case "${registry%%/*}" in 127.*|localhost|localhost:*|\[::1\]*) tls_verify=false ;; esac
[ "${PUSH_TLS_VERIFY:-}" = false ] && tls_verify=false
creds=()
[ -n "${REGISTRY_USERNAME:-}" ] && creds=(--dest-creds "$REGISTRY_USERNAME:${REGISTRY_PASSWORD:-}")

# The archives of the current inputs (a no-op when all are cached).
# Every image of IMAGES but the base (which only the others are built FROM).
read -r -a pushed <<<"${IMAGES/base /}"
bash "$IMAGES_SCRIPTS/build.sh" "${pushed[@]}"

total_start=$(date +%s)
for name in "${pushed[@]}"; do
  start=$(date +%s)
  image_tag="$tag"
  [ "$name" = hello-web ] && image_tag="$(default_tag_of hello-web)"
  refs=("$registry/$(repository_of "$name"):$image_tag")
  [ "$name" = portal ] && refs+=("$registry/cdk8s-workshops/portal:$image_tag")
  for ref in "${refs[@]}"; do
    digest_file="$(mktemp)"
    skopeo copy --quiet --retry-times 3 --dest-tls-verify="$tls_verify" "${creds[@]}" --digestfile "$digest_file" \
      "oci-archive:$(archive_of "$name")" "docker://$ref"
    echo "$ref@$(cat "$digest_file")"
    rm -f "$digest_file"
  done
  log "$name: pushed ${refs[*]} in $(( $(date +%s) - start ))s"
done
log "pushed to $registry in $(( $(date +%s) - total_start ))s"
