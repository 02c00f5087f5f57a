# SPDX-License-Identifier: Apache-2.0
# CAA checked before ordering, end to end: BIND holds CAA records written by "the
# administrator", unbound resolves as the CA would (CNAMEs across zones), Pebble 2.10
# serves caaIdentities, and acmed (dns-persist-01, read-only) refuses to order what CAA
# forbids: the issuer not listed, accounturi naming another account, validationmethods
# without dns-persist-01, issuewild ';' for a wildcard, and a CNAME'd name whose target
# forbids. No CAA anywhere, or a record that names this CA, account and method, issues.
# Refusals place no order; --force orders anyway.
. "$(dirname "$0")/lib/fixture.sh"
. "$(dirname "$0")/lib/dns_fixture.sh"
fixture_init
bind_start caa.test other.test
unbound_start
PEBBLE_BIN=$(pebble_sid) CAA_IDENTITIES='["pebble.letsencrypt.org"]' PEBBLE_DNS="$DNS_RECURSIVE:53" pebble_start
cat > "$CONFIG_DIR/acmed.yaml" <<YAML
dns: {resolvers: ["$DNS_RECURSIVE"], dnssec: off}
account: {agree_tos: true}
YAML
cert() {  # cert NAME "names"
  printf 'names: [%s]\nsolvers:\n  - type: dns-persist-01\n    issuer: pebble.letsencrypt.org\n    policy: wildcard\n' "$2" \
    > "$CONFIG_DIR/certs.d/$1.yaml"
}
acct=$(acmed_run account register 2>/dev/null) || fail "account registration failed"
orders() { grep -c 'POST /order-plz' "$FIXTURE_DIR/pebble.log" || [ $? = 1 ]; }

# --- the administrator: one dns-persist-01 record per name, and the CAA records ---
for n in none issuer acct methods wild cname allow; do
  cert "$n" "$n.caa.test, \"*.$n.caa.test\""
  value=$(acmed_run persist record "$n" --format json | sed -n 's/^      "value": "\(.*\)"$/\1/p' | head -n 1)
  [ -n "$value" ] || fail "no record value for $n"
  bind_add_record caa.test "_validation-persist.$n 3600 TXT \"$value\""
done
# (Dig's presentation form: flags tag "value".)
bind_add_record caa.test \
  'issuer 3600 CAA 0 issue "other-ca.example"' \
  "acct 3600 CAA 0 issue \"pebble.letsencrypt.org; accounturi=${acct%/*}/999999\"" \
  'methods 3600 CAA 0 issue "pebble.letsencrypt.org; validationmethods=http-01"' \
  'wild 3600 CAA 0 issue "pebble.letsencrypt.org"' 'wild 3600 CAA 0 issuewild ";"' \
  'cname 3600 CNAME cname.other.test.' \
  "allow 3600 CAA 0 issue \"pebble.letsencrypt.org; accounturi=$acct; validationmethods=dns-persist-01\"" \
  'allow 3600 CAA 0 iodef "mailto:security@caa.test"'
bind_add_record other.test 'cname 3600 CAA 0 issue "other-ca.example"'
bind_wait_synced
out=$(dig +short @"$DNS_RECURSIVE" cname.caa.test CAA); grep -qx '0 issue "other-ca.example"' <<<"$out" || { echo "$out"; 
  fail "unbound does not follow the CNAME to other.test's CAA"; }

refused() {  # refused NAME PATTERN: no order, and the message names the record and a fix
  local before out
  before=$(orders)
  out=$(acmed_run issue "$1" 2>&1) && { echo "$out"; fail "$1: issued although CAA forbids it"; }
  grep -q "CAA forbids it" <<<"$out" || { echo "$out"; fail "$1: no CAA refusal"; }
  grep -qF -- "$2" <<<"$out" || { echo "$out"; fail "$1: refusal does not say '$2'"; }
  grep -q "a record that allows it: .* CAA 0 issue" <<<"$out" || { echo "$out"; fail "$1: no suggested record"; }
  [ "$(orders)" = "$before" ] || fail "$1: an order was placed"
  [ ! -e "$STATE_DIR/live/$1/cert.pem" ] || fail "$1: a certificate was stored"
  pass "$1: refused before ordering: $(grep -m1 -F -- "$2" <<<"$out" | sed 's/^ *//' | cut -c1-150)"
}
refused issuer 'issuer.caa.test: CAA at issuer.caa.test forbids issuing issuer.caa.test: 0 issue "other-ca.example" names another CA (this CA: pebble.letsencrypt.org)'
refused acct "names another account (this account: $acct)"
refused methods 'does not allow dns-persist-01 (validationmethods=http-01)'
refused wild '*.wild.caa.test: CAA at wild.caa.test forbids issuing *.wild.caa.test: 0 issuewild ";" names no CA'
refused cname '(cname.caa.test is an alias of cname.other.test)'
out=$(acmed_run issue wild 2>&1) || true
sed 's/^/# /' <<<"$out"
grep -q 'CAA 0 issuewild "pebble.letsencrypt.org; accounturi=' <<<"$out" || { echo "$out"; fail "wild: the suggestion is not an issuewild record"; }
grep -q '^  - wild.caa.test' <<<"$out" && fail "wild: the base name was refused too (issuewild applies to wildcards only)"

for n in none allow; do
  acmed_run issue "$n" > "$FIXTURE_DIR/$n.log" 2>&1 || { cat "$FIXTURE_DIR/$n.log"; fail "$n: issuance failed"; }
  grep -qi "CAA not checked" "$FIXTURE_DIR/$n.log" && { cat "$FIXTURE_DIR/$n.log"; fail "$n: CAA was not checked"; }
  pass "$n: issued (CAA: $([ $n = none ] && echo 'none anywhere' || echo 'this CA, account and method'))"
done

before=$(orders)
acmed_run issue methods --force > "$FIXTURE_DIR/force.log" 2>&1 || { cat "$FIXTURE_DIR/force.log"; fail "--force: issuance failed"; }
[ "$(orders)" -gt "$before" ] || fail "--force placed no order"
grep -q -- "--force: CAA not checked" "$FIXTURE_DIR/force.log" || fail "--force did not say it skipped CAA"
pass "--force orders although CAA forbids (Pebble does not check CAA)"

# status shows the verdict per name, read-only, and exits 1 when CAA forbids.
rc=0; out=$(acmed_run status acct --json 2>/dev/null) || rc=$?
[ "$rc" = 1 ] || { echo "$out"; fail "status of a forbidden certificate exited $rc, not 1"; }
/usr/bin/python3 -c 'import json,sys
c = json.load(sys.stdin)["certificates"][0]["caa"]
assert [(x["name"], x["outcome"]) for x in c] == [("acct.caa.test", "forbidden"), ("*.acct.caa.test", "forbidden")], c
assert "accounturi=" in c[0]["suggestion"], c' <<<"$out" || fail "status --json does not show the forbidding CAA"
out=$(acmed_run status allow 2>&1) || { echo "$out"; fail "status of an allowed certificate failed"; }
grep -q "CAA allow.caa.test: allowed (CAA at allow.caa.test allows this CA)" <<<"$out" || { echo "$out"; fail "status does not show the verdict"; }
pass "status: forbidden (exit 1, JSON with the fix) and allowed, per name"
