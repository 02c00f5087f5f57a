#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# no_leftovers.sh ACMED_BINARY: fails when a process of exactly that binary (this build's
# acmed, matched on /proc/PID/exe, so other builds' processes do not count) is still
# running after the e2e tests: each fixture must kill what it started. Processes that
# run under a live ctest (a concurrent ctest in the same build) are not leftovers; an
# orphan of a finished test has been reparented away from ctest. Waits up to 5 s for
# processes that are just exiting.
set -euo pipefail
bin=$(readlink -f "$1")
[ -x "$bin" ] || { echo "FAIL: no binary at $1" >&2; exit 1; }

under_ctest() {  # under_ctest PID: some ancestor of PID is a ctest process
  local p=$1 comm
  while [ -n "$p" ] && [ "$p" -gt 1 ]; do
    p=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null) || return 1
    [ -n "$p" ] && [ "$p" -gt 1 ] || return 1
    comm=$(cat "/proc/$p/comm" 2>/dev/null) || return 1
    [ "$comm" = ctest ] && return 0
  done
  return 1
}

leftovers() {
  local d pid exe
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    exe=$(readlink "$d/exe" 2>/dev/null) || continue
    # A binary rebuilt while its process ran shows as "PATH (deleted)".
    [ "$exe" = "$bin" ] || [ "$exe" = "$bin (deleted)" ] || continue
    [ "$(awk '{print $3}' "$d/stat" 2>/dev/null)" = Z ] && continue
    under_ctest "$pid" && continue
    echo "$pid: $(tr '\0' ' ' < "$d/cmdline" 2>/dev/null)"
  done
}

for _ in $(seq 1 50); do
  left=$(leftovers)
  [ -z "$left" ] && { echo "ok - no process of $bin left running"; exit 0; }
  sleep 0.1
done
echo "FAIL: processes of $bin still running after the e2e tests:" >&2
echo "$left" >&2
exit 1
