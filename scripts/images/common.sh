# Sourced by build.sh, push.sh and run.sh: versions, cache paths, input hashes and the project's own container
# storage (so buildah, podman and skopeo here never touch the machine's default /var/lib/containers).
# shellcheck shell=bash

IMAGES_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$IMAGES_SCRIPTS/../.." && pwd)"

log() { printf '[images %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

CACHE_ROOT="${CDK8S_WORKSHOPS_CACHE:-$HOME/.cache/cdk8s-workshops}"

# The images this project builds, in build order (the base first: the others are FROM it).
IMAGES="base portal dashboard hello-web docker-daemon registry editor console"
# Where each goes in a registry: <registry>/<repository>:<tag>. The portal's and dashboard's repositories are the
# ones DEFAULT_PORTAL_IMAGE and DEFAULT_WORKSHOP_IMAGE name (src/constructs); hello-web is the image the
# k8s-fundamentals example runs, at the tag it names; docker-daemon and registry are what the Docker and
# ImageRegistry capabilities can run instead of Docker Hub's docker:dind and registry:2 (their `image` props).
repository_of() {
  case "$1" in
    base) echo cdk8s-workshops/base ;;
    portal) echo cdk8s-workshops/training-portal ;;
    dashboard) echo cdk8s-workshops/session-dashboard ;;
    hello-web) echo cdk8s-workshops/hello-web ;;
    docker-daemon) echo cdk8s-workshops/docker-daemon ;;
    registry) echo cdk8s-workshops/registry ;;
    *) generic_image "$1" && echo "cdk8s-workshops/$1" ;;
  esac
}
# Any other image listed in IMAGES is built from images/<name>/Dockerfile with images/<name> as its context, and
# pushed as cdk8s-workshops/<name>. Adding an image is one word in IMAGES and a directory.
generic_image() { # generic_image <name>: succeeds for a listed image with a Dockerfile, dies otherwise
  printf '%s\n' $IMAGES | grep -qx -- "$1" || die "unknown image '$1' (known: $IMAGES)"
  [ -f "$REPO_ROOT/images/$1/Dockerfile" ] || die "image '$1' is listed in IMAGES but images/$1/Dockerfile is missing"
}
# Named build contexts of a generic image besides its own directory (Docker: --build-context NAME=DIR): the lines
# `NAME=PATH` (PATH relative to the repository root) of images/<name>/build-contexts, if there is one. They count
# in the image's hash.
build_contexts_of() { # build_contexts_of <name>: prints NAME=PATH lines
  local file="$REPO_ROOT/images/$1/build-contexts" line
  [ -f "$file" ] || return 0
  while IFS= read -r line; do
    case "$line" in '' | '#'*) continue ;; esac
    [[ "$line" =~ ^[a-z0-9][a-z0-9_-]*=[A-Za-z0-9._/-]+$ ]] && [[ "$line" != *..* ]] ||
      die "images/$1/build-contexts: '$line' is not NAME=PATH (a path inside the repository)"
    [ -e "$REPO_ROOT/${line#*=}" ] || die "images/$1/build-contexts: ${line#*=} does not exist"
    echo "$line"
  done <"$file"
}
# The tag an image is pushed with when push.sh gets none: the project's version, or the example's own.
PROJECT_VERSION="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$REPO_ROOT/package.json" | head -1)"
default_tag_of() {
  case "$1" in
    hello-web) cat "$REPO_ROOT/images/hello-web/VERSION" ;;
    *) echo "$PROJECT_VERSION" ;;
  esac
}

# The project's own container storage and configuration (buildah, podman and skopeo read these variables).
CONTAINERS_DIR="$CACHE_ROOT/containers"
export CONTAINERS_STORAGE_CONF="$CONTAINERS_DIR/storage.conf"
export CONTAINERS_CONF="$CONTAINERS_DIR/containers.conf"
# The storage's run-time state (locks, mounts): one per storage, so two cache roots on one machine never share it.
CONTAINERS_RUNROOT="/run/cdk8s-workshops-containers"
[ "$CACHE_ROOT" = "$HOME/.cache/cdk8s-workshops" ] || CONTAINERS_RUNROOT+="-$(printf %s "$CACHE_ROOT" | sha256sum | cut -c1-8)"
containers_config() {
  mkdir -p "$CONTAINERS_DIR/storage"
  cat >"$CONTAINERS_STORAGE_CONF.tmp" <<CONF
[storage]
driver = "overlay"
graphroot = "$CONTAINERS_DIR/storage"
runroot = "$CONTAINERS_RUNROOT"
CONF
  # No systemd here (cgroupfs); runc from Debian; this machine refuses to raise rlimits above the caller's
  # (no CAP_SYS_RESOURCE), so containers get limits below the inherited hard ones.
  cat >"$CONTAINERS_CONF.tmp" <<CONF
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
CONF
  mv "$CONTAINERS_STORAGE_CONF.tmp" "$CONTAINERS_STORAGE_CONF"
  mv "$CONTAINERS_CONF.tmp" "$CONTAINERS_CONF"
}

# sha256 (12 hex digits) of files and directories, by relative path and content, for cache keys.
hash_paths() { # hash_paths <path relative to REPO_ROOT>...
  (cd "$REPO_ROOT" && find "$@" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-12
}

# The kubectl the dashboard image carries: $KUBECTL, else the one scripts/cluster/build.sh built (the test
# cluster's own version), so the learner's client matches the control plane's minor version.
find_kubectl() {
  if [ -n "${KUBECTL:-}" ]; then
    [ -x "$KUBECTL" ] || die "KUBECTL=$KUBECTL is not an executable file"
    echo "$KUBECTL"
    return
  fi
  local bin
  bin="$(bash -c 'source "$1/scripts/cluster/common.sh" >/dev/null 2>&1 && build_is_complete && echo "$BIN_DIR"' _ "$REPO_ROOT")" ||
    die "no kubectl for the dashboard image: run 'bash scripts/cluster/build.sh' first (it builds kubectl with the control plane), or set KUBECTL=/path/to/kubectl"
  echo "$bin/kubectl"
}

# Cache key of each image: everything that decides its content.
BASE_HASH="$(hash_paths scripts/images/base.sh)"
image_hash() { # image_hash <name>
  local context=(package.json package-lock.json tsconfig.json tsconfig.build.json src)
  case "$1" in
    base) echo "$BASE_HASH" ;;
    portal) echo "$BASE_HASH-$(hash_paths scripts/images/build.sh images/portal "${context[@]}")" | sha256sum | cut -c1-12 ;;
    dashboard) echo "$BASE_HASH-$(hash_paths scripts/images/build.sh images/dashboard "${context[@]}")-$(sha256sum <"$(find_kubectl)" | cut -c1-12)" | sha256sum | cut -c1-12 ;;
    console) echo "$BASE_HASH-$(hash_paths scripts/images/build.sh images/console scripts/images/console-k9s)" | sha256sum | cut -c1-12 ;;
    *)
      generic_image "$1"
      local extra=() line lines
      lines="$(build_contexts_of "$1")" || exit 1
      while IFS= read -r line; do [ -n "$line" ] && extra+=("${line#*=}"); done <<<"$lines"
      echo "$BASE_HASH-$(hash_paths scripts/images/build.sh "images/$1" "${extra[@]}")" | sha256sum | cut -c1-12 ;;
  esac
}
cache_dir_of() { echo "$CACHE_ROOT/images-$1-$(image_hash "$1")"; }
# The image as an OCI archive: what push.sh copies to a registry and run.sh loads.
archive_of() { echo "$(cache_dir_of "$1")/image.oci.tar"; }
# The name an image has in the project's container storage.
local_name_of() { echo "localhost/$(repository_of "$1"):$(image_hash "$1")"; }
