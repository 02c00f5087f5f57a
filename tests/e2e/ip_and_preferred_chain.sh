# SPDX-License-Identifier: Apache-2.0
# An IP identifier (RFC 8738) over http-01, with Pebble offering an alternate
# chain; --preferred-chain picks the alternate by its root's name.
ALTERNATE_ROOTS=1
. "$(dirname "$0")/lib/fixture.sh"
fixture_start
pebble_root 0 > "$FIXTURE_DIR/root0.pem"
pebble_root 1 > "$FIXTURE_DIR/root1.pem"
alt_cn=$(openssl x509 -in "$FIXTURE_DIR/root1.pem" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p')
[ -n "$alt_cn" ] || fail "cannot read the alternate root's CN"

acmed_run --agree-tos issue ip -d 127.0.0.1 -d ip.test.example --http-01-listen "127.0.0.1:$HTTP01_PORT" \
  --preferred-chain "$alt_cn" 2> "$FIXTURE_DIR/issue.log" || { cat "$FIXTURE_DIR/issue.log"; fail "issuance failed"; }
live="$STATE_DIR/live/ip"
sans=$(openssl x509 -in "$live/cert.pem" -noout -ext subjectAltName | tail -n +2 | tr -d ' ')
echo "$sans" | grep -q "IPAddress:127.0.0.1" || fail "no IP SAN: $sans"
echo "$sans" | grep -q "DNS:ip.test.example" || fail "no DNS SAN: $sans"
pass "IP identifier issued ($sans)"
openssl verify -CAfile "$FIXTURE_DIR/root1.pem" -untrusted "$live/chain.pem" "$live/cert.pem" >/dev/null \
  || fail "chain does not lead to the preferred alternate root '$alt_cn'"
if openssl verify -CAfile "$FIXTURE_DIR/root0.pem" -untrusted "$live/chain.pem" "$live/cert.pem" >/dev/null 2>&1; then
  fail "the default chain was kept although an alternate was preferred"
fi
pass "preferred chain '$alt_cn' selected"

# Fewer names than certs.d/ip.yaml (saved by the first issue): --force replaces that file.
acmed_run issue ip -d 127.0.0.1 --http-01-listen "127.0.0.1:$HTTP01_PORT" --force 2> "$FIXTURE_DIR/issue2.log" \
  || { cat "$FIXTURE_DIR/issue2.log"; fail "second issuance failed"; }
openssl verify -CAfile "$FIXTURE_DIR/root0.pem" -untrusted "$live/chain.pem" "$live/cert.pem" >/dev/null \
  || fail "without a preference the default chain is expected"
pass "default chain without a preference"
