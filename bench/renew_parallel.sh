#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Many certificates due at once: N (default 100) dns-persist-01 certificates, one name
# each, none issued yet, renewed by one `acmed renew --all -j JOBS` against Pebble 2.10
# (Debian sid), a BIND primary + secondary and unbound, with a cached account. Prints
# one issuance's time for scale, then per JOBS value: wall time, ACME requests (acmed's
# count and Pebble's), and the peak number of requests in flight, which
# ca.max_in_flight (MAX_IN_FLIGHT, default 4) caps however many workers run.
#
#   bash bench/renew_parallel.sh [N=100] [JOBS="1 8"]     # SKIP_BUILD=1: use build-release/ as it is
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
JOBS=${2:-"1 8"}
bash scripts/install-deps.sh >/dev/null
. bench/acmed_release.sh
. tests/e2e/lib/fixture.sh
. tests/e2e/lib/dns_fixture.sh
fixture_init
bind_start bench.test
unbound_start
PEBBLE_BIN=$(pebble_sid) CAA_IDENTITIES='["pebble.letsencrypt.org"]' PEBBLE_DNS="$DNS_RECURSIVE:53" pebble_start
cat > "$CONFIG_DIR/acmed.yaml" <<YAML
dns: {resolvers: ["$DNS_RECURSIVE"], dnssec: off}
account: {agree_tos: true}
ca: {max_in_flight: ${MAX_IN_FLIGHT:-4}}
YAML
printf 'names: [one.bench.test]\nsolvers:\n  - type: dns-persist-01\n' > "$CONFIG_DIR/one.yaml"
acmed_run account register >/dev/null 2>&1
cp "$CONFIG_DIR/one.yaml" "$CONFIG_DIR/certs.d/one.yaml"
v=$(acmed_run persist record one --format json | sed -n 's/^      "value": "\(.*\)"$/\1/p')
[ -n "$v" ] || fail "acmed persist record printed no value"
records=("_validation-persist.one 3600 TXT \"$v\"")
for i in $(seq 1 "$N"); do records+=("_validation-persist.p$i 3600 TXT \"$v\""); done
bind_add_record bench.test "${records[@]}"
bind_wait_synced 30

s=$(date +%s%N)
acmed_run issue one > "$FIXTURE_DIR/one.log" 2>&1 || { tail -20 "$FIXTURE_DIR/one.log" >&2; fail "one issuance failed"; }
one_ms=$(( ($(date +%s%N) - s) / 1000000 ))
rm "$CONFIG_DIR/certs.d/one.yaml"
echo "one issuance: $one_ms ms; $N of them one after another would take about $(( one_ms * N / 1000 )) s"

for jobs in $JOBS; do
  # A fresh set of never-issued certificates for each run: all N are due.
  rm -f "$CONFIG_DIR"/certs.d/*.yaml
  for i in $(seq 1 "$N"); do
    printf 'names: [p%s.bench.test]\nsolvers:\n  - type: dns-persist-01\n' "$i" > "$CONFIG_DIR/certs.d/p$i-j$jobs.yaml"
  done
  b=$(count_pebble_requests)
  s=$(date +%s%N)
  acmed_run -q renew --all -j "$jobs" --json > "$FIXTURE_DIR/out.json" 2> "$FIXTURE_DIR/renew.log" ||
    { tail -20 "$FIXTURE_DIR/renew.log" >&2; fail "renew --all -j $jobs failed"; }
  ms=$(( ($(date +%s%N) - s) / 1000000 ))
  read -r renewed reqs peak < <(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["renewed"], d["http_requests"], d["peak_in_flight"])' "$FIXTURE_DIR/out.json")
  [ "$renewed" = "$N" ] || fail "-j $jobs renewed $renewed of $N"
  echo "renew --all -j $jobs: $N renewed in $ms ms ($(awk "BEGIN {printf \"%.1f\", $ms / $one_ms}") x one issuance), $reqs ACME requests (Pebble saw $(( $(count_pebble_requests) - b ))), at most $peak in flight (ca.max_in_flight ${MAX_IN_FLIGHT:-4})"
done
