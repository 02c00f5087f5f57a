# SPDX-License-Identifier: Apache-2.0
# Account lifecycle against a Pebble that requires external account binding:
# EAB registration (and refusal without it), contact update, key rollover that
# keeps the account URL, issuance with the new key, and deactivation.
EAB=1
. "$(dirname "$0")/lib/fixture.sh"
fixture_start
jws_log_start   # every POST's JWS header and status, so newAccount calls can be counted
run() { acmed_run "$@"; }
new_account_path=$(curl -fsS --cacert "$CA_BUNDLE" "$ACME_DIR" | /usr/bin/python3 -c 'import json,sys,urllib.parse; print(urllib.parse.urlsplit(json.load(sys.stdin)["newAccount"]).path)')
created() { jws_count "r['path'] == '$new_account_path' and r['status'] == 201"; }
# no_eab_leak WHAT FILE...: the EAB HMAC key, as configured or decoded to its raw bytes,
# appears in none of the files (directories are searched whole).
no_eab_leak() {
  local what=$1; shift
  /usr/bin/python3 - "$EAB_HMAC_KEY" "$@" <<'PY' || fail "EAB key leaked into $what"
import base64, os, sys
key = sys.argv[1]
needles = [key.encode(), base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))]
files = []
for p in sys.argv[2:]:
    if os.path.isdir(p):
        files += [os.path.join(d, f) for d, _, fs in os.walk(p) for f in fs]
    else:
        files.append(p)
assert files, "nothing to search"
bad = [f for f in files if os.path.isfile(f) and any(n in open(f, "rb").read() for n in needles)]
if bad:
    print("EAB key found in: %s" % ", ".join(bad), file=sys.stderr)
    sys.exit(1)
PY
}
expect_fail() {  # expect_fail CODE PATTERN -- ARGS...
  local code=$1 pattern=$2; shift 3
  set +e; out=$("$@" 2>&1); rc=$?; set -e
  [ "$rc" = "$code" ] || fail "exit $rc, want $code for: $* -> $out"
  echo "$out" | grep -qE "$pattern" || fail "message '$out' does not match '$pattern'"
}

expect_fail 2 "requires external account binding" -- run --agree-tos account register
printf '%s\n' "$EAB_HMAC_KEY" > "$FIXTURE_DIR/eab.key"
chmod 644 "$FIXTURE_DIR/eab.key"
cat > "$CONFIG_DIR/acmed.yaml" <<YAML
account:
  agree_tos: true
  contact: [first@test.example]
  eab: {kid: $EAB_KID, hmac_key_file: $FIXTURE_DIR/eab.key, algorithm: HS256}
YAML
expect_fail 2 "readable by group or others .*chmod 600" -- run account register
[ "$(created)" = 0 ] || fail "an account was created although the EAB key file was refused"
chmod 600 "$FIXTURE_DIR/eab.key"
url=$(run -vv account register 2> "$FIXTURE_DIR/register.log") || { cat "$FIXTURE_DIR/register.log"; fail "EAB registration failed"; }
echo "$url" | grep -qE '^https://127\.0\.0\.1:[0-9]+/my-account/' || fail "unexpected account URL '$url'"
[ "$(created)" = 1 ] || fail "newAccount created $(created) accounts, want 1"
# Now that the state holds an account: the key is in no stored file, nor in the output.
printf '%s\n' "$url" > "$FIXTURE_DIR/register.out"
[ -n "$(ls -A "$STATE_DIR/accounts/"*)" ] || fail "no account stored"
no_eab_leak "the state directory or the -vv output" "$STATE_DIR" "$FIXTURE_DIR/register.out" "$FIXTURE_DIR/register.log"
pass "EAB registration ($url): one newAccount, the HMAC key in neither the state nor the -vv output"

# A second registration finds the stored account: no new account at the CA.
url2=$(run account register 2> "$FIXTURE_DIR/register2.log") || { cat "$FIXTURE_DIR/register2.log"; fail "second register failed"; }
[ "$url2" = "$url" ] || fail "second register gave $url2, want $url"
[ "$(created)" = 1 ] || fail "a second run registered again: $(created) accounts created"
pass "a second register reuses the account (still one newAccount that created one)"

run account update --contact second@test.example 2>/dev/null || fail "contact update failed"
run account show 2>/dev/null | grep -q "contact: mailto:second@test.example" || fail "contact not updated"
pass "contact updated"

key_dir=$(dirname "$STATE_DIR/accounts/"*/private_key.pem)
before=$(openssl pkey -in "$key_dir/private_key.pem" -pubout)
run account rollover 2> "$FIXTURE_DIR/rollover.log" || { cat "$FIXTURE_DIR/rollover.log"; fail "rollover failed"; }
after=$(openssl pkey -in "$key_dir/private_key.pem" -pubout)
[ "$before" != "$after" ] || fail "account key did not change"
[ "$(openssl pkey -in "$key_dir/private_key.old.pem" -pubout)" = "$before" ] || fail "previous key not kept"
[ "$(stat -c %a "$key_dir/private_key.pem")" = 600 ] || fail "new account key is not 0600"
[ ! -e "$key_dir/private_key.next.pem" ] || fail "pending key left behind"
run account show 2>/dev/null | grep -q "url: $url" || fail "account URL changed after rollover"
run issue after-rollover -d rollover.test.example --http-01-listen "127.0.0.1:$HTTP01_PORT" 2> "$FIXTURE_DIR/issue.log" \
  || { cat "$FIXTURE_DIR/issue.log"; fail "issuance with the rolled-over key failed"; }
pass "key rollover keeps the account URL and issuance works with the new key"

chmod 644 "$key_dir/private_key.pem"
out=$(run account show 2>&1) || fail "account show failed"
grep -q "readable by group or others; run: chmod 600" <<<"$out" && grep -q "(file, READABLE BY OTHERS)" <<<"$out" \
  || fail "no warning for a readable account key: $out"
chmod 600 "$key_dir/private_key.pem"
run account show 2>/dev/null | grep -q "key: $key_dir/private_key.pem (file, mode 0600)" || fail "account show key location"
pass "account show says where the key lives and warns when others can read it"

expect_fail 2 "permanent" -- run account deactivate
run account deactivate --yes-really 2>/dev/null || fail "deactivation failed"
expect_fail 1 "unauthorized|deactivated" -- run issue dead -d dead.test.example --http-01-listen "127.0.0.1:$HTTP01_PORT"
pass "deactivated account can no longer issue"

# Through update, rollover, issuance and deactivation: never another account, never the key.
[ "$(created)" = 1 ] || fail "$(created) accounts created over the whole lifecycle, want 1"
no_eab_leak "the state directory or acmed's logs" "$STATE_DIR" "$FIXTURE_DIR"/{register,register2,rollover,issue}.log
pass "one account created over the whole lifecycle; the EAB key stored nowhere"
