#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Side-by-side dns-01 issuance: acmed vs Debian's lego (rfc2136 provider), same
# Pebble, same BIND primary/secondary, same unbound in front of Pebble, all on
# loopback. Prints per-run times, medians and the ratio.
#
#   bash bench/dns01_vs_lego.sh [RUNS=5]
#
# Fairness notes:
# - lego's own propagation check resolves nameserver host names through the system
#   resolver (it would leak test names off the machine), so it runs with
#   --dns.disable-cp: lego then checks no authoritative server at all, while acmed
#   still polls every authoritative server. This favours lego.
# - lego's rfc2136 provider answers challenges for one name one after the other and
#   sleeps RFC2136_SEQUENCE_INTERVAL (default 60 s) in between; a base name plus its
#   wildcard is such a pair. The default costs lego ~75 s here, so it runs with 1 s.
# - Both register once in a warm-up run; the timed runs use cached accounts.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
bash scripts/install-deps.sh >/dev/null
command -v lego >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lego >/dev/null
. bench/acmed_release.sh
. tests/e2e/lib/fixture.sh
. tests/e2e/lib/dns_fixture.sh
fixture_init
bind_start acme.test
unbound_start
PEBBLE_DNS="$DNS_RECURSIVE:53" pebble_start

cat > "$CONFIG_DIR/acmed.yaml" <<YAML
dns: {resolvers: ["$DNS_PRIMARY"]}
account: {agree_tos: true}
YAML
cat > "$CONFIG_DIR/certs.d/bench.yaml" <<YAML
names: [bench.acme.test, "*.bench.acme.test"]
solvers:
  - type: dns-01
    provider: rfc2136
    rfc2136: {server: "$DNS_PRIMARY", key_file: "$TSIG_KEY_FILE"}
    propagation: {interval: 250ms, timeout: 60s}
YAML
export LEGO_CA_CERTIFICATES="$CA_BUNDLE" RFC2136_NAMESERVER="$DNS_PRIMARY:53" RFC2136_TSIG_KEY="$TSIG_NAME" \
  RFC2136_TSIG_SECRET="$TSIG_SECRET" RFC2136_TSIG_ALGORITHM="hmac-sha256." RFC2136_POLLING_INTERVAL=1 \
  RFC2136_PROPAGATION_TIMEOUT=60 RFC2136_TTL=60 RFC2136_SEQUENCE_INTERVAL=1
lego_run() {
  lego --server "$ACME_DIR" --path "$FIXTURE_DIR/lego" --email bench@test.example --accept-tos \
    --dns rfc2136 --dns.resolvers "$DNS_PRIMARY:53" --dns.disable-cp \
    -d bench.acme.test -d '*.bench.acme.test' run > "$FIXTURE_DIR/lego.log" 2>&1
}
ms_of() { local s; s=$(date +%s%N); "$@"; echo $(( ($(date +%s%N) - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

# Warm-up: registers both accounts, so the timed runs use cached accounts.
acmed_run issue bench > "$FIXTURE_DIR/acmed.log" 2>&1 || { cat "$FIXTURE_DIR/acmed.log"; exit 1; }
lego_run || { cat "$FIXTURE_DIR/lego.log"; exit 1; }

a=(); l=(); req=()
for i in $(seq 1 "$RUNS"); do
  before=$(count_pebble_requests)
  a+=("$(ms_of acmed_run issue bench 2> "$FIXTURE_DIR/acmed.log")")
  req+=($(( $(count_pebble_requests) - before )))
  l+=("$(ms_of lego_run)")
  echo "run $i: acmed ${a[-1]} ms (${req[-1]} requests), lego ${l[-1]} ms"
done
am=$(printf '%s\n' "${a[@]}" | median); lm=$(printf '%s\n' "${l[@]}" | median)
echo "median over $RUNS runs: acmed $am ms, lego $lm ms, lego/acmed = $(awk "BEGIN {printf \"%.2f\", $lm/$am}")"
