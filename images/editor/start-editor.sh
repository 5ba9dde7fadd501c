#!/bin/bash
# start-editor [CODE-SERVER ARGS...]: the editor container's entry point (images/editor/Dockerfile).
# - CDK8S_EDITOR_TOKEN_FILE (set by the Editor capability, in a volume only the dashboard and the editor mount):
#   written once per pod with a random token; the extension (src/editor-extension) answers only requests that
#   carry it, and the dashboard reads it to forward the instructions' editor actions.
# - first start on an empty home: VS Code settings that keep it quiet (no welcome page, no trust prompt, no
#   telemetry or update checks); a learner's own settings are never overwritten.
# Then runs code-server with the arguments given, or on 127.0.0.1:10085 without its own sign-in (the dashboard
# signs the learner in before proxying) on the home directory, and starts it again when it ends: the container keeps
# running, so an editor that stops never takes the pod's readiness (and with it the learner's whole session) along.
# Meanwhile the Editor tab says that nothing listens and tries again. A code-server that ends within 30 s of its
# start waits longer each time (1 s, 10 s, then 30 s); SIGTERM (the pod stopping) ends code-server and this script.
set -euo pipefail

if [ -n "${CDK8S_EDITOR_TOKEN_FILE:-}" ] && [ ! -s "$CDK8S_EDITOR_TOKEN_FILE" ]; then
  umask 027
  mkdir -p "$(dirname "$CDK8S_EDITOR_TOKEN_FILE")"
  tmp="$CDK8S_EDITOR_TOKEN_FILE.$$"
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp"
  mv "$tmp" "$CDK8S_EDITOR_TOKEN_FILE"
  umask 022
fi

settings="${HOME:-/home/workshop}/.local/share/code-server/User/settings.json"
if [ ! -e "$settings" ]; then
  mkdir -p "$(dirname "$settings")"
  cat >"$settings" <<'JSON'
{
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "files.autoSave": "afterDelay"
}
JSON
fi

if [ $# -eq 0 ]; then
  set -- --bind-addr 127.0.0.1:10085 --auth none --disable-telemetry --disable-update-check \
    --disable-workspace-trust --disable-getting-started-override "${HOME:-/home/workshop}"
fi
child=
stopping=
trap 'stopping=1; [ -z "$child" ] || kill -TERM "$child" 2>/dev/null || true' TERM INT
delay=1
while :; do
  started=$SECONDS
  /usr/local/bin/node /opt/code-server/out/node/entry.js "$@" &
  child=$!
  # a trapped signal interrupts wait: wait again until code-server has ended
  wait "$child" && status=0 || status=$?
  while kill -0 "$child" 2>/dev/null; do wait "$child" && status=0 || status=$?; done
  child=
  [ -z "$stopping" ] || exit 0
  ran=$((SECONDS - started))
  if [ "$ran" -ge 30 ]; then delay=1; fi
  echo "start-editor: code-server ended (exit status $status) after ${ran} s; starting it again in ${delay} s" >&2
  sleep "$delay" &
  wait $! || true
  [ -z "$stopping" ] || exit 0
  case "$delay" in 1) delay=10 ;; *) delay=30 ;; esac
done
