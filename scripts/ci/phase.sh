#!/usr/bin/env bash
# phase.sh NAME COMMAND...: runs one phase of a build or test run and prints how long it took, so a slow CI run
# shows where its time went. Exits with the command's status.
set -uo pipefail
name="$1"; shift
start=$(date +%s)
printf '[phase %s] %s: started\n' "$(date +%H:%M:%S)" "$name" >&2
"$@"
status=$?
printf '[phase %s] %s: %s after %ss\n' "$(date +%H:%M:%S)" "$name" "$([ $status -eq 0 ] && echo done || echo "FAILED ($status)")" "$(( $(date +%s) - start ))" >&2
exit $status
