# SPDX-License-Identifier: Apache-2.0
# Issuance driven by acmed.yaml + certs.d/NAME.yaml, with other key types:
# P-384 account key, RSA-3072 and Ed25519 certificate keys; revocation signed by
# the certificate key; a clear error when the CA refuses an Ed25519 account key.
. "$(dirname "$0")/lib/fixture.sh"
fixture_start
jws_log_start   # records each POST's JWS protected header: how the revocation was signed

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
# Pebble also accepts a revocation signed by the account key, so the claim is checked on
# the request itself: the revokeCert JWS carries a jwk (not a kid) that is the
# certificate's own RSA public key.
revoke_path=$(curl -fsS --cacert "$CA_BUNDLE" "$ACME_DIR" | /usr/bin/python3 -c 'import json,sys,urllib.parse; print(urllib.parse.urlsplit(json.load(sys.stdin)["revokeCert"]).path)')
modulus=$(openssl x509 -in "$STATE_DIR/live/rsa/cert.pem" -noout -modulus | cut -d= -f2)
/usr/bin/python3 - "$JWS_LOG" "$revoke_path" "$modulus" <<'PY' || fail "the revokeCert request was not signed with the certificate key"
import base64, json, sys
log, path, modulus = sys.argv[1], sys.argv[2], int(sys.argv[3], 16)
def b64(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
reqs = [json.loads(l) for l in open(log) if l.strip()]
revokes = [r for r in reqs if r["path"] == path]
assert len(revokes) == 1, "want one revokeCert POST, got %d" % len(revokes)
prot = revokes[0]["protected"]
assert "kid" not in prot, "signed with the account (kid %s)" % prot.get("kid")
jwk = prot.get("jwk")
assert jwk and jwk.get("kty") == "RSA", "no RSA jwk in the protected header: %s" % prot
assert int.from_bytes(b64(jwk["n"]), "big") == modulus and int.from_bytes(b64(jwk["e"]), "big") == 65537, \
    "the jwk is not the certificate's public key"
assert revokes[0]["status"] == 200, "revokeCert answered %s" % revokes[0]["status"]
PY
pass "revocation signed by the certificate key (revokeCert JWS: jwk = the certificate's RSA key, no kid)"

# Pebble 2.4 has no EdDSA account keys: the error says so, and no unusable key is left behind.
rm -rf "$STATE_DIR/accounts"
sed -i 's/key_type: ec-p384/key_type: ed25519/' "$CONFIG_DIR/acmed.yaml"
if run issue ed 2> "$FIXTURE_DIR/edacct.log"; then fail "Ed25519 account key unexpectedly accepted by Pebble 2.4"; fi
grep -q "does not accept ed25519 account keys" "$FIXTURE_DIR/edacct.log" || { cat "$FIXTURE_DIR/edacct.log"; fail "no clear error for a refused account key"; }
[ ! -e "$STATE_DIR/accounts/"*/private_key.pem ] || fail "refused account key was left in place"
pass "refused Ed25519 account key: clear error, key discarded"
