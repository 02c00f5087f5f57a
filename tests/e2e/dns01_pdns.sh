# SPDX-License-Identifier: Apache-2.0
# dns-01 through the PowerDNS HTTP API (real pdns_server, sqlite3 backend):
# base name + wildcard, an existing TXT value kept, a wrong API key refused.
. "$(dirname "$0")/lib/fixture.sh"
. "$(dirname "$0")/lib/dns_fixture.sh"
fixture_init
pdns_start pdns.test
PEBBLE_DNS="$PDNS_ADDR:53" pebble_start
cat > "$CONFIG_DIR/acmed.yaml" <<YAML
dns: {resolvers: ["$PDNS_ADDR"]}
account: {agree_tos: true}
YAML
cat > "$CONFIG_DIR/certs.d/pdns.yaml" <<YAML
names: [pdns.test, "*.pdns.test"]
solvers:
  - type: dns-01
    provider: pdns
    pdns: {api_url: "$PDNS_API_URL", api_key_file: "$PDNS_API_KEY_FILE"}
    allow: [pdns.test]
    propagation: {interval: 250ms, timeout: 30s}
YAML
pdns_api PATCH "/servers/localhost/zones/pdns.test." \
  '{"rrsets":[{"name":"_acme-challenge.pdns.test.","type":"TXT","ttl":120,"changetype":"REPLACE","records":[{"content":"\"admin-owned\"","disabled":false}]}]}' >/dev/null

start=$(date +%s%N)
acmed_run -vv issue pdns > "$FIXTURE_DIR/pdns.log" 2>&1 || { cat "$FIXTURE_DIR/pdns.log"; fail "PowerDNS issuance failed"; }
echo "# dns-01 via the PowerDNS API, base + wildcard: $(( ($(date +%s%N) - start) / 1000000 )) ms"
sans=$(openssl x509 -in "$STATE_DIR/live/pdns/cert.pem" -noout -ext subjectAltName | tail -n +2 | tr -d ' ')
[ "$sans" = "DNS:pdns.test,DNS:*.pdns.test" ] || fail "unexpected SANs $sans"
[ "$(dns_txt "$PDNS_ADDR" _acme-challenge.pdns.test)" = '"admin-owned"' ] || fail "cleanup touched other values: $(dns_txt "$PDNS_ADDR" _acme-challenge.pdns.test)"
grep -q "$PDNS_API_KEY" "$FIXTURE_DIR/pdns.log" && fail "API key appeared in the trace log"
pass "PowerDNS API issuance; admin's value kept; key never logged"

( umask 077; echo wrong-key > "$FIXTURE_DIR/wrong.key" )
sed -i "s|$PDNS_API_KEY_FILE|$FIXTURE_DIR/wrong.key|" "$CONFIG_DIR/certs.d/pdns.yaml"
set +e; out=$(acmed_run issue pdns 2>&1); rc=$?; set -e
[ "$rc" = 1 ] || fail "wrong API key: exit $rc: $out"
grep -q "PowerDNS API refused the API key" <<<"$out" || fail "unclear message: $out"
pass "wrong API key refused clearly"
