#!/usr/bin/env bash
# build.sh [IMAGE...]: builds the project's container images without a Docker daemon, with buildah (Debian):
#   base       Debian bookworm (mmdebstrap) + Node 20 from the npm registry (base.sh), named node:20-bookworm-slim
#              in the project's container storage, which is what the Dockerfiles' FROM asks for
#   portal     images/portal/Dockerfile       -> cdk8s-workshops/training-portal
#   dashboard  images/dashboard/Dockerfile    -> cdk8s-workshops/session-dashboard (+ kubectl, git, docker CLI)
#   hello-web  images/hello-web/Dockerfile    -> cdk8s-workshops/hello-web (the k8s-fundamentals example's app)
#   docker-daemon, registry  images/<name>/Dockerfile -> cdk8s-workshops/<name> (for the Docker and ImageRegistry
#              capabilities, from Debian's docker.io and docker-registry)
#   console    images/console/Dockerfile      -> cdk8s-workshops/console (k9s built on the host: console-k9s/build.sh)
#   any other name in common.sh's IMAGES: images/<name>/Dockerfile with context images/<name> -> cdk8s-workshops/<name>
#              (named contexts from images/<name>/build-contexts, NAME=PATH lines)
# Each image is cached by a hash of its inputs as an OCI archive under ~/.cache/cdk8s-workshops/images-<name>-<hash>
# (image.oci.tar); a second run with the same inputs does nothing. push.sh pushes the archives to a registry.
# Prints the time of each phase. Needs root (mmdebstrap, buildah's overlay storage). The RUN steps reach the
# Debian and npm registries; nothing else is downloaded.
set -euo pipefail
source "$(dirname "$0")/common.sh"

for tool in buildah mmdebstrap npm; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: apt-get install buildah mmdebstrap (Debian bookworm), and Node.js with npm"
done
[ "$(id -u)" -eq 0 ] || die "building the images needs root (mmdebstrap root mode, buildah overlay storage)"
containers_config
KUBECTL="$(find_kubectl)"
export KUBECTL

# A machine whose HTTPS goes through an inspecting proxy trusts it in its own CA bundle: the RUN steps see that
# bundle (bind-mounted for the build only, never copied into an image). Node in the base image reads the system
# bundle (NODE_EXTRA_CA_CERTS), so npm ci inside the build trusts what the machine trusts.
BUILD_CA_BUNDLE="${BUILD_CA_BUNDLE-/etc/ssl/certs/ca-certificates.crt}"
build_volumes=()
[ -n "$BUILD_CA_BUNDLE" ] && [ -f "$BUILD_CA_BUNDLE" ] && build_volumes=(-v "$BUILD_CA_BUNDLE:/etc/ssl/certs/ca-certificates.crt:ro")

# The name the Dockerfiles' FROM resolves to in the project's storage (buildah runs with --pull=never).
FROM_NAME=docker.io/library/node:20-bookworm-slim

phase_start=0
phase() { phase_start=$(date +%s); log "$1: started"; }
phase_done() { log "$1: done after $(( $(date +%s) - phase_start ))s"; }

in_storage() { buildah inspect --type image "$1" >/dev/null 2>&1; }

# The base image in storage under FROM_NAME: from storage, else from its cached archive.
use_base() {
  local name id; name="$(local_name_of base)"
  if ! in_storage "$name"; then
    id="$(buildah pull --quiet "oci-archive:$(archive_of base)")"
    buildah tag "$id" "$name"
  fi
  buildah tag "$name" "$FROM_NAME"
}

# save <name> <hash>: the built image (in storage as localhost/<repository>:<hash>) into its cache directory
# images-<name>-<hash>, then marks it complete.
save() {
  local name="$1" hash="$2" dir tmp local_name
  dir="$CACHE_ROOT/images-$name-$hash"
  local_name="localhost/$(repository_of "$name"):$hash"
  mkdir -p "$dir"
  tmp="$dir/image.oci.tar.tmp"
  rm -f "$tmp"
  buildah push --quiet "$local_name" "oci-archive:$tmp:$(repository_of "$name"):$(default_tag_of "$name")"
  mv "$tmp" "$dir/image.oci.tar"
  echo "$local_name" >"$dir/local-name"
  touch "$dir/.complete"
}

build_base() {
  local work c
  work="$(mktemp -d "$CACHE_ROOT/images-base-work.XXXXXX")"
  bash "$IMAGES_SCRIPTS/base.sh" "$work/rootfs.tar"
  c="$(buildah from scratch)"
  buildah add --quiet "$c" "$work/rootfs.tar" / >/dev/null
  buildah config \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="$(sed -n 's/^NODE_VERSION=//p' "$IMAGES_SCRIPTS/base.sh")" \
    --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    --cmd '["node"]' \
    --label org.opencontainers.image.title="cdk8s-workshops base" \
    --label org.opencontainers.image.description="Debian bookworm (mmdebstrap minbase) with Node.js 20 from the npm registry" \
    --label dev.cdk8s-workshops.inputs="$1" \
    "$c"
  buildah commit --quiet --rm "$c" "localhost/$(repository_of base):$1" >/dev/null
  rm -rf "$work"
}

# build_dockerfile <name> <hash> <Dockerfile> <context> [extra buildah args...]
build_dockerfile() {
  local name="$1" hash="$2" dockerfile="$3" context="$4"; shift 4
  local ignore=()
  [ -f "$dockerfile.dockerignore" ] && ignore=(--ignorefile "$dockerfile.dockerignore")
  use_base
  buildah build --quiet --pull=never --isolation=chroot --layers "${build_volumes[@]}" "${ignore[@]}" \
    --label org.opencontainers.image.version="$(default_tag_of "$name")" \
    --label dev.cdk8s-workshops.inputs="$hash" \
    -f "$dockerfile" -t "localhost/$(repository_of "$name"):$hash" "$@" "$context" >/dev/null
}

build_one() { # build_one <name> <hash>
  local name="$1" hash="$2"
  case "$name" in
    base) build_base "$hash" ;;
    portal) build_dockerfile portal "$hash" "$REPO_ROOT/images/portal/Dockerfile" "$REPO_ROOT" ;;
    dashboard)
      # kubectl comes in as a named build context holding that one file (Docker: --build-context kubectl=DIR).
      local kubectl_dir; kubectl_dir="$(mktemp -d)"
      cp "$KUBECTL" "$kubectl_dir/kubectl"
      build_dockerfile dashboard "$hash" "$REPO_ROOT/images/dashboard/Dockerfile" "$REPO_ROOT" --build-context "kubectl=$kubectl_dir"
      rm -rf "$kubectl_dir" ;;
    console)
      # k9s comes in as a named build context, built on the host with the shared Go caches (console-k9s/build.sh)
      local k9s_dir; k9s_dir="$(bash "$IMAGES_SCRIPTS/console-k9s/build.sh")"
      build_dockerfile console "$hash" "$REPO_ROOT/images/console/Dockerfile" "$REPO_ROOT/images/console" --build-context "k9s=$k9s_dir" ;;
    *)
      # any other image of IMAGES: images/<name>/Dockerfile, context images/<name>, plus its named contexts
      local contexts=() line lines
      lines="$(build_contexts_of "$name")" || exit 1
      while IFS= read -r line; do [ -n "$line" ] && contexts+=(--build-context "${line%%=*}=$REPO_ROOT/${line#*=}"); done <<<"$lines"
      build_dockerfile "$name" "$hash" "$REPO_ROOT/images/$name/Dockerfile" "$REPO_ROOT/images/$name" "${contexts[@]}" ;;
  esac
}

selected=("$@")
[ ${#selected[@]} -gt 0 ] || read -r -a selected <<<"$IMAGES"
for name in "${selected[@]}"; do repository_of "$name" >/dev/null; done
total_start=$(date +%s)
for name in $IMAGES; do
  # an image the others build FROM is built (or found in the cache) when any of them is asked for
  if [ "$name" != base ] && ! printf '%s\n' "${selected[@]}" | grep -qx "$name"; then continue; fi
  # the inputs' hash is taken once, before the build: a file edited meanwhile makes the next run build again
  hash="$(image_hash "$name")"
  dir="$CACHE_ROOT/images-$name-$hash"
  if [ -f "$dir/.complete" ]; then
    touch "$dir" # in use: prune_old keeps it
    log "$name: cached ($dir)"
    continue
  fi
  phase "$name image"
  build_one "$name" "$hash"
  save "$name" "$hash"
  phase_done "$name image"
  log "$name: localhost/$(repository_of "$name"):$hash -> $dir/image.oci.tar"
done
# Builds of earlier inputs that nobody used for PRUNE_MINUTES (another checkout may still push its own): their
# archives and named images go, so the cache does not grow with every edit. Layers the layer cache shares stay.
PRUNE_MINUTES="${PRUNE_MINUTES:-120}"
for name in $IMAGES; do
  current="$CACHE_ROOT/images-$name-$(image_hash "$name")"
  for old in "$CACHE_ROOT/images-$name-"*; do
    [ -d "$old" ] && [ "$old" != "$current" ] && [ -n "$(find "$old" -maxdepth 0 -mmin +"$PRUNE_MINUTES")" ] || continue
    [ -f "$old/local-name" ] && buildah rmi "$(cat "$old/local-name")" >/dev/null 2>&1 || true
    rm -rf "$old"
    log "$name: pruned $old (unused for ${PRUNE_MINUTES} min)"
  done
done
log "images built or cached in $(( $(date +%s) - total_start ))s"
