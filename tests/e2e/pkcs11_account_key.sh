# SPDX-License-Identifier: Apache-2.0
# An ACME account key held in a PKCS#11 token (SoftHSM2 through OpenSSL's pkcs11
# engine): register with it, issue (every JWS is signed inside the token), roll the
# key over from token to file and from file back to another token key.
. "$(dirname "$0")/lib/fixture.sh"
fixture_start
export SOFTHSM2_CONF="$FIXTURE_DIR/softhsm2.conf"
mkdir -p "$FIXTURE_DIR/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$FIXTURE_DIR/tokens" > "$SOFTHSM2_CONF"
module=/usr/lib/softhsm/libsofthsm2.so
# A PIN no port, serial, URL or time stamp can contain by chance: the leak check below greps for it.
pin=PinOf-acmed-Zq7
softhsm2-util --init-token --free --label acmed --pin "$pin" --so-pin 8765 > /dev/null
# Each key pair needs its own CKA_ID: libp11 pairs a private key with its public half by ID.
id=1
for label in account next; do
  pkcs11-tool --module "$module" --token-label acmed --login --pin "$pin" --keypairgen --key-type EC:prime256v1 \
    --label "$label" --id "0$id" > /dev/null 2>&1 || fail "cannot create token key $label"
  id=$((id + 1))
done
( umask 077; echo "$pin" > "$FIXTURE_DIR/pin" )
cat > "$CONFIG_DIR/acmed.yaml" <<YAML
account:
  agree_tos: true
  pkcs11: {module: $module, pin_file: $FIXTURE_DIR/pin}
YAML
acct_dir() { echo "$STATE_DIR/accounts/$(ls "$STATE_DIR/accounts")"; }
issue() {
  acmed_run issue "$1" -d "$1.test.example" --http-01-listen "127.0.0.1:$HTTP01_PORT" > "$FIXTURE_DIR/$1.log" 2>&1 \
    || { cat "$FIXTURE_DIR/$1.log"; fail "issuance $1 failed"; }
}

url=$(acmed_run account register --key-uri "pkcs11:token=acmed;object=account" 2> "$FIXTURE_DIR/reg.log") \
  || { cat "$FIXTURE_DIR/reg.log"; fail "registration with a token key failed"; }
[ ! -e "$(acct_dir)/private_key.pem" ] || fail "a private key file exists for a token-held key"
grep -q "^pkcs11:token=acmed;object=account$" "$(acct_dir)/key_uri" || fail "key_uri not recorded"
grep -rqF "$pin" "$STATE_DIR" "$FIXTURE_DIR"/*.log && fail "the PIN leaked into state or logs"
acmed_run account show 2>/dev/null | grep -q "key: pkcs11:token=acmed;object=account (PKCS#11 token" || fail "account show"
issue token1
pass "registered and issued with the key inside the token ($url)"

acmed_run account rollover --key-type ec-p256 > /dev/null 2>&1 || fail "rollover token -> file failed"
[ -s "$(acct_dir)/private_key.pem" ] && [ ! -e "$(acct_dir)/key_uri" ] || fail "file key not in charge after rollover"
acmed_run account show 2>/dev/null | grep -q "url: $url" || fail "account URL changed"
issue file1
pass "rolled over from the token to a file key; same account; issued"

acmed_run account rollover --key-uri "pkcs11:token=acmed;object=next" > /dev/null 2>&1 || fail "rollover file -> token failed"
grep -q "object=next" "$(acct_dir)/key_uri" && [ -s "$(acct_dir)/private_key.old.pem" ] && [ ! -e "$(acct_dir)/private_key.pem" ] \
  || fail "token key not in charge after rollover: $(ls "$(acct_dir)")"
issue token2
pass "rolled over from the file back to a token key; issued"

echo 9999 > "$FIXTURE_DIR/pin"
set +e; out=$(acmed_run issue bad -d bad.test.example --http-01-listen "127.0.0.1:$HTTP01_PORT" 2>&1); rc=$?; set -e
[ "$rc" != 0 ] && grep -q "no private key at pkcs11:token=acmed;object=next (wrong token/object, or wrong PIN)" <<<"$out" \
  || fail "wrong PIN: exit $rc: $out"
grep -q 9999 <<<"$out" && fail "the PIN appeared in the error"
pass "a wrong PIN gives a clear error without showing the PIN"
