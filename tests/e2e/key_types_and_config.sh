# Issuance driven by acmed.yaml + certs.d/NAME.yaml, with other key types:
# P-384 account key, RSA-3072 and Ed25519 certificate keys; revocation signed by
# the certificate key; a clear error when the CA refuses an Ed25519 account key.
. "$(dirname "$0")/lib/fixture.sh"
fixture_start

cat > "$CONFIG_DIR/acmed.yaml" <<YAML
ca:
  directory: $ACME_DIR
  trust_bundle: $CA_BUNDLE
account:
  key_type: ec-p384
  contact: [ops@test.example]
  agree_tos: true
YAML
cat > "$CONFIG_DIR/certs.d/rsa.yaml" <<YAML
names: [rsa.test.example, www.rsa.test.example]
key_type: rsa3072
solvers:
  - type: http-01
    listen: 127.0.0.1:$HTTP01_PORT
YAML
cat > "$CONFIG_DIR/certs.d/ed.yaml" <<YAML
names: [ed.test.example]
key_type: ed25519
solvers:
  - type: http-01
    domains: [test.example]
    mode: standalone
    listen: 127.0.0.1:$HTTP01_PORT
YAML
run() { "$ACMED" --config-dir "$CONFIG_DIR" --state-dir "$STATE_DIR" "$@"; }

run issue rsa 2> "$FIXTURE_DIR/rsa.log" || { cat "$FIXTURE_DIR/rsa.log"; fail "rsa issuance failed"; }
openssl x509 -in "$STATE_DIR/live/rsa/cert.pem" -noout -text | grep -q "Public-Key: (3072 bit)" || fail "leaf is not RSA-3072"
openssl pkey -in "$STATE_DIR/accounts/"*/private_key.pem -noout -text | grep -q "NIST CURVE: P-384" || fail "account key is not P-384"
pass "RSA-3072 certificate with a P-384 account key"

run issue ed 2> "$FIXTURE_DIR/ed.log" || { cat "$FIXTURE_DIR/ed.log"; fail "ed25519 issuance failed"; }
openssl x509 -in "$STATE_DIR/live/ed/cert.pem" -noout -text | grep -q "ED25519" || fail "leaf is not Ed25519"
pass "Ed25519 certificate key"

serial=$(openssl x509 -in "$STATE_DIR/live/rsa/cert.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')
run revoke rsa --with-cert-key --reason superseded 2> "$FIXTURE_DIR/revoke.log" || { cat "$FIXTURE_DIR/revoke.log"; fail "revoke with cert key failed"; }
curl -fsS --cacert "$CA_BUNDLE" "$PEBBLE_MGMT/cert-status-by-serial/$serial" | grep -q '"Status": "Revoked"' || fail "not revoked"
pass "revocation signed by the certificate key"

# Pebble 2.4 has no EdDSA account keys: the error says so, and no unusable key is left behind.
rm -rf "$STATE_DIR/accounts"
sed -i 's/key_type: ec-p384/key_type: ed25519/' "$CONFIG_DIR/acmed.yaml"
if run issue ed 2> "$FIXTURE_DIR/edacct.log"; then fail "Ed25519 account key unexpectedly accepted by Pebble 2.4"; fi
grep -q "does not accept ed25519 account keys" "$FIXTURE_DIR/edacct.log" || { cat "$FIXTURE_DIR/edacct.log"; fail "no clear error for a refused account key"; }
[ ! -e "$STATE_DIR/accounts/"*/private_key.pem ] || fail "refused account key was left in place"
pass "refused Ed25519 account key: clear error, key discarded"
