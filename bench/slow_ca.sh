#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The poll schedule on a slow CA: acmed issues (http-01, one name, cached account) RUNS
# times against Pebble with PEBBLE_VA_SLEEPTIME=SLEEP (Pebble validates from 3
# perspectives, each after a random 0..SLEEP-1 whole seconds, and logs each sleep).
# Per run: the validation delay (the longest of the sleeps), acmed's authorization polls and order polls (from Pebble's log),
# its ACME requests and wall time, and how many authorization polls the old schedule
# (first poll after 1 s, doubling: 1, 3, 7, 15 s ...) needed for the same delay.
# The new schedule (0.1, 0.4, 1.3, 4.0, 12.1 s, then every 10 s) may cost at most 2 more.
#
#   bash bench/slow_ca.sh [RUNS=8] [SLEEP=3]        # SKIP_BUILD=1: use build-release/ as it is
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-8}
SLEEP=${2:-3}
bash scripts/install-deps.sh >/dev/null
. bench/acmed_release.sh
. tests/e2e/lib/fixture.sh
VA_SLEEP=$SLEEP fixture_start
printf 'ca: {directory: "%s", trust_bundle: "%s"}\naccount: {agree_tos: true}\n' "$ACME_DIR" "$CA_BUNDLE" \
  > "$CONFIG_DIR/acmed.yaml"
printf 'names: [slow.example]\nsolvers:\n  - type: http-01\n    listen: 127.0.0.1:%s\n' "$HTTP01_PORT" \
  > "$CONFIG_DIR/certs.d/slow.yaml"
acmed_run account register > /dev/null 2>&1

count() { grep -cE "$1" "$FIXTURE_DIR/pebble.log" || [ $? = 1 ]; }
# Authorization polls the old schedule needs for a validation that ends d seconds after
# the answer (plus 50 ms of Pebble's own work).
old_polls() { awk -v d="$1" 'BEGIN { t = 0; s = 1; n = 0; while (t < d + 0.05) { t += s; n++; s = (s * 2 > 10) ? 10 : s * 2 }; print n }'; }
worst=-99
for i in $(seq 1 "$RUNS"); do
  a0=$(count 'POST /authZ/.* -> calling handler'); o0=$(count 'POST /my-order/.* -> calling handler')
  r0=$(count_pebble_requests); l0=$(wc -l < "$FIXTURE_DIR/pebble.log")
  start=$(date +%s%N)
  acmed_run issue slow > "$FIXTURE_DIR/run.log" 2>&1 || { tail -20 "$FIXTURE_DIR/run.log" >&2; fail "issuance $i failed"; }
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  d=$(tail -n +"$((l0 + 1))" "$FIXTURE_DIR/pebble.log" | sed -n 's/.*Sleeping for \([0-9]*\)s seconds.*/\1/p' | sort -n | tail -1)
  [ -n "$d" ] || fail "Pebble logged no validation sleep in run $i"
  polls=$(( $(count 'POST /authZ/.* -> calling handler') - a0 - 1 ))   # minus the fetch before answering
  orders=$(( $(count 'POST /my-order/.* -> calling handler') - o0 ))
  reqs=$(( $(count_pebble_requests) - r0 ))
  old=$(old_polls "$d")
  (( polls - old > worst )) && worst=$(( polls - old ))
  echo "run $i: validation after ${d}s: $polls authorization polls (old schedule: $old), $orders order polls, $reqs requests, $ms ms"
done
echo "worst case over $RUNS runs: $worst authorization polls more than the old schedule (limit: 2)"
[ "$worst" -le 2 ] || fail "the poll schedule costs more than 2 extra polls on a slow CA"
