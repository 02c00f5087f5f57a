# SPDX-License-Identifier: Apache-2.0
# The library example in examples/ issues a real certificate from Pebble.
. "$(dirname "$0")/lib/fixture.sh"
fixture_start
[ -x "${ACMED_EXAMPLE:-}" ] || fail "ACMED_EXAMPLE is not set to the built example"
"$ACMED_EXAMPLE" "$ACME_DIR" "$CA_BUNDLE" "127.0.0.1:$HTTP01_PORT" lib.test.example > "$FIXTURE_DIR/out.pem" \
  2> "$FIXTURE_DIR/example.log" || { cat "$FIXTURE_DIR/example.log"; fail "example failed"; }
openssl x509 -in "$FIXTURE_DIR/out.pem" -noout -ext subjectAltName | grep -q "DNS:lib.test.example" || fail "wrong certificate"
pass "library example issued a certificate"
