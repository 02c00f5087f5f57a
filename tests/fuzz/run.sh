#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run.sh FUZZER SEED_DIR SECONDS [ARTIFACT_DIR]
# Fuzzes one libFuzzer target for SECONDS from the seeds in SEED_DIR (never written to:
# new inputs go to a scratch corpus). A crash, leak, timeout, out-of-memory or sanitizer
# report exits non-zero and leaves the input in ARTIFACT_DIR. Prints the executions run.
set -euo pipefail
fuzzer=$1 seeds=$2 seconds=$3 artifacts=${4:-$PWD/fuzz-artifacts}
[ -x "$fuzzer" ] || { echo "run.sh: $fuzzer is not an executable fuzz target" >&2; exit 2; }
[ -d "$seeds" ] && [ -n "$(ls -A "$seeds")" ] || { echo "run.sh: no seed corpus in $seeds" >&2; exit 2; }
mkdir -p "$artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
log="$scratch/log"
name=$(basename "$fuzzer")
mkdir -p "$scratch/corpus"
started=$(date +%s)
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
  "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 \
  -artifact_prefix="$artifacts/$name-" ${FUZZ_EXTRA_ARGS:-} "$scratch/corpus" "$seeds" >"$log" 2>&1 && rc=0 || rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
if [ "$rc" -ne 0 ]; then
  tail -60 "$log" >&2
  echo "run.sh: $name FAILED (exit $rc) after ${execs:-?} executions; inputs in $artifacts" >&2
  exit 1
fi
[ -n "$execs" ] && [ "$execs" -gt 0 ] || { tail -20 "$log" >&2; echo "run.sh: $name ran no inputs" >&2; exit 1; }
took=$(( $(date +%s) - started )); [ "$took" -gt 0 ] || took=1
echo "run.sh: $name: $execs executions in ${took} s ($(( execs / took )) exec/s), no finding"
