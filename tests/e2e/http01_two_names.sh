# SPDX-License-Identifier: Apache-2.0
# Two-name http-01 issuance with the real acmed and Pebble, then revocation.
# Checks: chain verifies against Pebble's issuing root, SANs and key type are the
# requested ones, files and modes are right, a cached account sends no newAccount,
# and Pebble records the revocation.
. "$(dirname "$0")/lib/fixture.sh"
fixture_start

acmed_run --agree-tos --contact admin@test.example issue demo -d a.test.example -d b.test.example \
  --http-01-listen "127.0.0.1:$HTTP01_PORT" 2> "$FIXTURE_DIR/issue1.log" || { cat "$FIXTURE_DIR/issue1.log"; fail "first issuance failed"; }
live="$STATE_DIR/live/demo"
for f in cert chain fullchain privkey; do [ -s "$live/$f.pem" ] || fail "$f.pem missing"; done
[ "$(stat -Lc %a "$live/privkey.pem")" = 600 ] || fail "privkey.pem mode is $(stat -Lc %a "$live/privkey.pem"), want 600"
[ "$(stat -c %a "$STATE_DIR/accounts/"*/private_key.pem)" = 600 ] || fail "account key is not 0600"
[ "$(stat -c %a "$live")" = 700 ] || fail "live dir is not 0700"
[ "$(readlink "$live/cert.pem")" = "../../archive/demo/cert1.pem" ] || fail "live/cert.pem does not point at archive version 1"
pass "files written with the right modes"

pebble_root > "$FIXTURE_DIR/root.pem"
openssl verify -CAfile "$FIXTURE_DIR/root.pem" -untrusted "$live/chain.pem" "$live/cert.pem" >/dev/null \
  || fail "openssl verify rejected the chain"
pass "chain verifies against Pebble's root"

sans=$(openssl x509 -in "$live/cert.pem" -noout -ext subjectAltName | tail -n +2 | tr -d ' ')
[ "$sans" = "DNS:a.test.example,DNS:b.test.example" ] || fail "unexpected SANs: $sans"
openssl x509 -in "$live/cert.pem" -noout -text | grep -q "ASN1 OID: prime256v1" || fail "leaf key is not P-256"
cmp -s <(openssl pkey -in "$live/privkey.pem" -pubout) <(openssl x509 -in "$live/cert.pem" -noout -pubkey) \
  || fail "privkey.pem does not match cert.pem"
pass "SANs and key type are the requested ones"

# The --domain flags were saved as certs.d/demo.yaml, so renew renews the certificate.
[ -s "$CONFIG_DIR/certs.d/demo.yaml" ] || fail "issue -d did not save certs.d/demo.yaml"
grep -q "saved .*certs.d/demo.yaml" "$FIXTURE_DIR/issue1.log" || fail "issue -d did not say it saved certs.d/demo.yaml"
acmed_run renew demo --force 2> "$FIXTURE_DIR/renew.log" || { cat "$FIXTURE_DIR/renew.log"; fail "renew of the saved configuration failed"; }
[ "$(readlink "$live/cert.pem")" = "../../archive/demo/cert2.pem" ] || fail "renew did not store version 2"
sans=$(openssl x509 -in "$live/cert.pem" -noout -ext subjectAltName | tail -n +2 | tr -d ' ')
[ "$sans" = "DNS:a.test.example,DNS:b.test.example" ] || fail "renewed certificate has SANs $sans"
acmed_run issue other -d c.test.example --http-01-listen "127.0.0.1:$HTTP01_PORT" --no-save \
  2> "$FIXTURE_DIR/nosave.log" || { cat "$FIXTURE_DIR/nosave.log"; fail "issue --no-save failed"; }
[ ! -e "$CONFIG_DIR/certs.d/other.yaml" ] || fail "--no-save wrote certs.d/other.yaml"
grep -q "no certs.d file written" "$FIXTURE_DIR/nosave.log" || fail "--no-save did not warn that renew will not renew it"
pass "issue -d saves certs.d/demo.yaml and renew renews from it; --no-save writes nothing"

# Second run: the stored account URL means no newAccount and no lookup at all.
before=$(count_pebble_requests)
accounts_before=$(grep -c 'POST /sign-me-up' "$FIXTURE_DIR/pebble.log")
acmed_run issue demo -d a.test.example -d b.test.example --http-01-listen "127.0.0.1:$HTTP01_PORT" \
  2> "$FIXTURE_DIR/issue2.log" || { cat "$FIXTURE_DIR/issue2.log"; fail "second issuance failed"; }
after=$(count_pebble_requests)
[ "$(grep -c 'POST /sign-me-up' "$FIXTURE_DIR/pebble.log")" = "$accounts_before" ] || fail "cached account still sent newAccount"
[ "$(readlink "$live/cert.pem")" = "../../archive/demo/cert3.pem" ] || fail "second issuance did not become version 3"
[ -s "$STATE_DIR/archive/demo/cert1.pem" ] || fail "version 1 was not kept"
echo "# requests for one two-name issuance with a cached account (Pebble log): $((after - before))"
[ $((after - before)) -le 13 ] || fail "too many requests: $((after - before))"
pass "cached account: $((after - before)) requests, no newAccount"

serial=$(openssl x509 -in "$live/cert.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')
acmed_run revoke demo --reason keyCompromise 2> "$FIXTURE_DIR/revoke.log" || { cat "$FIXTURE_DIR/revoke.log"; fail "revoke failed"; }
status=$(curl -fsS --cacert "$CA_BUNDLE" "$PEBBLE_MGMT/cert-status-by-serial/$serial")
echo "$status" | grep -q '"Status": "Revoked"' || fail "Pebble does not report the certificate revoked: $status"
echo "$status" | grep -q '"Reason": 1' || fail "revocation reason is not keyCompromise: $status"
pass "revoked with reason keyCompromise"

# Pebble 2.4 predates dns-persist-01: acmed remembers what it offered.
acmed_run ca info 2>/dev/null | grep -q "dns-persist-01: NOT offered" || fail "ca info should report dns-persist-01 not offered"
pass "ca info: dns-persist-01 not offered by Pebble 2.4"
