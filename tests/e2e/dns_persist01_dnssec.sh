# SPDX-License-Identifier: Apache-2.0
# DNSSEC in the read-only verification (libunbound): a signed zone validates as
# secure, an unsigned one outside the anchor is insecure, and a wrong trust anchor
# makes the answer bogus, which is a failure that blocks issuance (no challenge POST).
. "$(dirname "$0")/lib/fixture.sh"
. "$(dirname "$0")/lib/dns_fixture.sh"
BIND_DNSSEC_ZONES="persist.test"
fixture_init
bind_start persist.test delegated.test
bind_wait_signed persist.test
unbound_start
PEBBLE_BIN=$(pebble_sid) CAA_IDENTITIES='["pebble.letsencrypt.org"]' PEBBLE_DNS="$DNS_RECURSIVE:53" pebble_start
bind_trust_anchor persist.test "$FIXTURE_DIR/anchor.key"
global() {
  cat > "$CONFIG_DIR/acmed.yaml" <<YAML
dns: {resolvers: ["$DNS_RECURSIVE"], dnssec: on, trust_anchor: "$1"}
account: {agree_tos: true}
YAML
}
global "$FIXTURE_DIR/anchor.key"
printf 'names: [persist.test, "*.persist.test"]\nsolvers:\n  - type: dns-persist-01\n' > "$CONFIG_DIR/certs.d/signed.yaml"
printf 'names: [plain.delegated.test]\nsolvers:\n  - type: dns-persist-01\n' > "$CONFIG_DIR/certs.d/plain.yaml"
acct=$(acmed_run account register 2>/dev/null) || fail "account registration failed"
bind_add_record persist.test "_validation-persist 3600 TXT \"pebble.letsencrypt.org; accounturi=$acct; policy=wildcard\""
bind_add_record delegated.test "_validation-persist.plain 3600 TXT \"pebble.letsencrypt.org; accounturi=$acct\""
bind_wait_synced
bind_wait_signed persist.test

out=$(acmed_run persist check signed 2>&1) || fail "signed zone check failed: $out"
grep -q "DNSSEC: secure" <<<"$out" || fail "signed zone not reported secure: $out"
acmed_run issue signed > "$FIXTURE_DIR/signed.log" 2>&1 || { cat "$FIXTURE_DIR/signed.log"; fail "issuance from a signed zone failed"; }
pass "signed zone: DNSSEC secure, issued"

out=$(acmed_run persist check plain 2>&1) || fail "unsigned zone check failed: $out"
grep -q "DNSSEC: insecure" <<<"$out" || fail "unsigned zone not reported insecure: $out"
pass "unsigned zone outside the anchor: DNSSEC insecure, still passes"

# A trust anchor that does not match the zone's key: every answer is bogus.
dnssec-keygen -K "$FIXTURE_DIR" -a ECDSAP256SHA256 -f KSK persist.test > /dev/null 2>&1
grep -h "DNSKEY" "$FIXTURE_DIR"/Kpersist.test.*.key | grep -v '^;' > "$FIXTURE_DIR/wrong.key"
global "$FIXTURE_DIR/wrong.key"
set +e; out=$(acmed_run persist check signed 2>&1); rc=$?; set -e
[ "$rc" = 1 ] || fail "bogus answer: exit $rc: $out"
grep -q "dnssec-bogus" <<<"$out" && grep -q "DNSSEC: bogus" <<<"$out" || fail "bogus not reported: $out"
before=$(count_challenge_posts)
set +e; out=$(acmed_run issue signed 2>&1); rc=$?; set -e
[ "$rc" = 1 ] && grep -q "dnssec-bogus" <<<"$out" || fail "issuance did not stop on bogus DNSSEC: $out"
[ "$(count_challenge_posts)" = "$before" ] || fail "a challenge was answered despite bogus DNSSEC"
pass "wrong trust anchor: bogus is a failure, nothing answered"
