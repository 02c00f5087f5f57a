#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# dns-persist-01 vs dns-01 in one run, on the same Pebble (2.10, from Debian sid),
# the same BIND primary + secondary and the same unbound in front of Pebble:
# median issuance time and ACME requests per issuance, with cached accounts.
#
#   bash bench/persist_vs_dns01.sh [RUNS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
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
YAML
cat > "$CONFIG_DIR/certs.d/dns01.yaml" <<YAML
names: [d.bench.test, "*.d.bench.test"]
solvers:
  - type: dns-01
    provider: rfc2136
    rfc2136: {server: "$DNS_PRIMARY", key_file: "$TSIG_KEY_FILE"}
    propagation: {interval: 250ms, timeout: 60s}
YAML
cat > "$CONFIG_DIR/certs.d/persist.yaml" <<YAML
names: [p.bench.test, "*.p.bench.test"]
solvers:
  - type: dns-persist-01
YAML
acmed_run account register >/dev/null 2>&1
v=$(acmed_run persist record persist --format json | sed -n 's/^      "value": "\(.*\)"$/\1/p')
bind_add_record bench.test "_validation-persist.p 3600 TXT \"$v\""
bind_wait_synced

ms_of() { local s; s=$(date +%s%N); "$@" > /dev/null 2>&1; echo $(( ($(date +%s%N) - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
d=(); p=(); dr=(); pr=(); du=0
for i in $(seq 1 "$RUNS"); do
  b=$(count_pebble_requests); u=$(bind_update_count)
  d+=("$(ms_of acmed_run issue dns01)"); dr+=($(( $(count_pebble_requests) - b ))); du=$(( $(bind_update_count) - u ))
  b=$(count_pebble_requests); u=$(bind_update_count)
  p+=("$(ms_of acmed_run issue persist)"); pr+=($(( $(count_pebble_requests) - b )))
  [ "$(bind_update_count)" = "$u" ] || { echo "dns-persist-01 sent DNS UPDATEs" >&2; exit 1; }
  echo "run $i: dns-01 ${d[-1]} ms (${dr[-1]} requests, $du UPDATEs), dns-persist-01 ${p[-1]} ms (${pr[-1]} requests, 0 UPDATEs)"
done
dm=$(printf '%s\n' "${d[@]}" | median); pm=$(printf '%s\n' "${p[@]}" | median)
echo "median over $RUNS runs: dns-01 $dm ms, dns-persist-01 $pm ms, dns-01/dns-persist-01 = $(awk "BEGIN {printf \"%.2f\", $dm/$pm}")"
