# SPDX-License-Identifier: Apache-2.0
# Migration both ways, end to end: issue with dns-01 (RFC 2136 writes), migrate to
# dns-persist-01 (refused until the record verifies; comments kept), renew with zero
# DNS writes, roll back (the file comes back byte for byte), renew with dns-01 again.
. "$(dirname "$0")/lib/fixture.sh"
. "$(dirname "$0")/lib/dns_fixture.sh"
fixture_init
bind_start persist.test
unbound_start
PEBBLE_BIN=$(pebble_sid) CAA_IDENTITIES='["pebble.letsencrypt.org"]' PEBBLE_DNS="$DNS_RECURSIVE:53" pebble_start
cat > "$CONFIG_DIR/acmed.yaml" <<YAML
ca: {directory: "$ACME_DIR", trust_bundle: "$CA_BUNDLE"}
dns: {resolvers: ["$DNS_RECURSIVE"], dnssec: off}
account: {agree_tos: true}
YAML
file="$CONFIG_DIR/certs.d/mig.yaml"
cat > "$file" <<YAML
# Shop front end. Owner: web team.
names: [mig.persist.test]
key_type: ec-p256   # keep P-256 for the old load balancer
solvers:
  # DNS writes go through the hidden primary.
  - type: dns-01
    provider: rfc2136
    rfc2136: {server: "$DNS_PRIMARY", key_file: "$TSIG_KEY_FILE"}
    propagation: {interval: 250ms, timeout: 30s}
renew_before: 30d
YAML
cp "$file" "$FIXTURE_DIR/original.yaml"
run() { "$ACMED" --config-dir "$CONFIG_DIR" --state-dir "$STATE_DIR" "$@"; }

before=$(bind_update_count)
run issue mig > "$FIXTURE_DIR/issue.log" 2>&1 || { cat "$FIXTURE_DIR/issue.log"; fail "dns-01 issuance failed"; }
[ "$(bind_update_count)" -gt "$before" ] || fail "dns-01 sent no UPDATE"
pass "issued with dns-01 ($(( $(bind_update_count) - before )) UPDATEs)"

set +e; out=$(run migrate mig --to dns-persist-01 2>&1); rc=$?; set -e
[ "$rc" = 1 ] || fail "migration without a record: exit $rc: $out"
grep -q "Not migrated: every record must verify first" <<<"$out" || fail "unclear refusal: $out"
cmp -s "$file" "$FIXTURE_DIR/original.yaml" || fail "a refused migration changed the file"
value=$(sed -n 's/^  _validation-persist.mig.persist.test TXT "\(.*\)"$/\1/p' <<<"$out")
[ -n "$value" ] || fail "migrate did not print the record: $out"
pass "migration refused until the record verifies; it printed: $value"
set +e; out=$(run migrate mig --to dns-persist-01 --json 2>/dev/null); rc=$?; set -e
[ "$rc" = 1 ] || fail "migrate --json without a record: exit $rc"
/usr/bin/python3 -c 'import json,sys
j = json.load(sys.stdin)
assert j["migrated"] is False and j["to"] == "dns-persist-01", j
assert [r["name"] for r in j["records"]] == ["_validation-persist.mig.persist.test"] and j["records"][0]["value"] == sys.argv[1], j' \
  "$value" <<<"$out" || fail "migrate --json: $out"
pass "migrate --json: the same refusal and record, as JSON"

bind_add_record persist.test "_validation-persist.mig 3600 TXT \"$value\""
bind_wait_synced
out=$(run migrate mig --to dns-persist-01 2>&1) || fail "migration failed: $out"
grep -q "Migrated 'mig' to dns-persist-01" <<<"$out" || fail "$out"
grep -q "are no longer used by 'mig'. No other certificate uses them" <<<"$out" || fail "credentials not mentioned: $out"
grep -q "# Shop front end. Owner: web team." "$file" && grep -q "# keep P-256 for the old load balancer" "$file" \
  || fail "comments lost: $(cat "$file")"
grep -q "^  - type: dns-persist-01" "$file" && grep -q "^  #acmed-dns01: - type: dns-01" "$file" || fail "unexpected file: $(cat "$file")"
run config check > /dev/null 2>&1 || fail "migrated file does not pass config check"
pass "migrated; comments kept, dns-01 entry kept as comments, config check passes"

before=$(bind_update_count); serial=$(bind_zone_serial "$DNS_PRIMARY" persist.test)
run renew mig --force > "$FIXTURE_DIR/renew1.log" 2>&1 || { cat "$FIXTURE_DIR/renew1.log"; fail "renewal with dns-persist-01 failed"; }
[ "$(bind_update_count)" = "$before" ] && [ "$(bind_zone_serial "$DNS_PRIMARY" persist.test)" = "$serial" ] \
  || fail "renewal after migration wrote DNS"
[ "$(readlink "$STATE_DIR/live/mig/cert.pem")" = "../../archive/mig/cert2.pem" ] || fail "renewal not stored as version 2"
pass "renewed with dns-persist-01: zero DNS writes"

out=$(run migrate mig --to dns-01 2>&1) || fail "rollback failed: $out"
cmp -s "$file" "$FIXTURE_DIR/original.yaml" || { diff "$FIXTURE_DIR/original.yaml" "$file"; fail "rollback did not restore the file exactly"; }
grep -q "standing authorization" <<<"$out" || fail "rollback does not mention the remaining record: $out"
before=$(bind_update_count)
run renew mig --force > "$FIXTURE_DIR/renew2.log" 2>&1 || { cat "$FIXTURE_DIR/renew2.log"; fail "renewal after rollback failed"; }
[ "$(bind_update_count)" -gt "$before" ] || fail "renewal after rollback did not use dns-01"
[ "$(readlink "$STATE_DIR/live/mig/cert.pem")" = "../../archive/mig/cert3.pem" ] || fail "renewal not stored as version 3"
pass "rolled back byte for byte; renewed with dns-01 again"

set +e; out=$(run migrate mig --to dns-01 2>&1); rc=$?; set -e
[ "$rc" = 2 ] && grep -q "no dns-01 entry saved" <<<"$out" || fail "second rollback: exit $rc: $out"
pass "nothing to roll back: clear error"
