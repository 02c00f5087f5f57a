# SPDX-License-Identifier: Apache-2.0
# DNS-PERSIST-01 end to end: Pebble >= 2.10 (from Debian sid; the test fails, never
# skips, when it cannot be had), BIND primary + secondary holding records written by
# "the administrator" before acmed runs, unbound as the CA's resolver. acmed only
# reads DNS: the primary's UPDATE counter and the zone serials stay unchanged, and
# acmed opens no credentials file. Failing preflights never POST a challenge.
. "$(dirname "$0")/lib/fixture.sh"
. "$(dirname "$0")/lib/dns_fixture.sh"
fixture_init
bind_start persist.test delegated.test
unbound_start
PEBBLE_BIN=$(pebble_sid) CAA_IDENTITIES='["pebble.letsencrypt.org", "ca2.example"]' \
  PEBBLE_DNS="$DNS_RECURSIVE:53" pebble_start
# The test zones hang off no signed root this closed network can reach, so DNSSEC
# validation is off here; dns_persist01_dnssec.sh covers it with a signed zone.
cat > "$CONFIG_DIR/acmed.yaml" <<YAML
dns: {resolvers: ["$DNS_RECURSIVE"], dnssec: off}
account: {agree_tos: true}
YAML
cert() {  # cert NAME "names" [solver lines]
  printf 'names: [%s]\nsolvers:\n  - type: dns-persist-01\n    issuer: pebble.letsencrypt.org\n%s\n' "$2" "${3:-}" \
    > "$CONFIG_DIR/certs.d/$1.yaml"
}
acct=$(acmed_run account register 2>/dev/null) || fail "account registration failed"
value() { acmed_run persist record "$1" --format json | sed -n 's/^      "value": "\(.*\)"$/\1/p' | sed -n "${2:-1}p"; }
publish() { bind_add_record "$@"; }

# --- the administrator publishes records (DNS writes happen only here) ---
cert www 'persist.test, "*.persist.test"'
cert multi 'a.persist.test, b.persist.test, c.persist.test'
cert cname 'cn.persist.test'
cert split 'split.persist.test'
cert two 'two.persist.test'
cert wrongacct 'wrongacct.persist.test'
cert nopolicy 'nopolicy.persist.test, "*.nopolicy.persist.test"'
cert expired 'expired.persist.test'
cert missing 'missing.persist.test'
cert soon 'soon.persist.test' "    persist_until: 10d"

publish persist.test "_validation-persist 3600 TXT \"$(value www)\""
for n in 1 2 3; do
  v=$(value multi "$n"); name=$(acmed_run persist record multi --format json | sed -n 's/^      "name": "\(.*\)",$/\1/p' | sed -n "${n}p")
  publish persist.test "$name. 3600 TXT \"$v\""
done
publish persist.test '_validation-persist.cn 3600 CNAME _validation-persist.cn.delegated.test.'
publish delegated.test "_validation-persist.cn 3600 TXT \"$(value cname)\""
v=$(value split); publish persist.test "_validation-persist.split 3600 TXT \"${v:0:30}\" \"${v:30}\""
publish persist.test "_validation-persist.two 3600 TXT \"ca2.example; accounturi=https://other.example/acct/7\"" \
  "_validation-persist.two 3600 TXT \"$(value two)\""
publish persist.test "_validation-persist.wrongacct 3600 TXT \"pebble.letsencrypt.org; accounturi=${acct%/*}/999999\""
publish persist.test "_validation-persist.nopolicy 3600 TXT \"pebble.letsencrypt.org; accounturi=$acct\""
publish persist.test "_validation-persist.expired 3600 TXT \"pebble.letsencrypt.org; accounturi=$acct; persistUntil=1700000000\""
publish persist.test "_validation-persist.soon 3600 TXT \"$(value soon)\""
bind_wait_synced

# --- from here on nothing may write DNS ---
updates=$(bind_update_count)
serial=$(bind_zone_serial "$DNS_PRIMARY" persist.test)
# A TSIG key exists on this machine; acmed must never open it in this mode.
secrets="$TSIG_KEY_FILE $TSIG_SECRET_FILE"

issue_ok() {  # issue_ok NAME: issue twice (issue + renewal), under strace
  local t0 ms
  for round in issue renew; do
    t0=$(date +%s%N)
    traced -f -qq -e trace=open,openat -o "$FIXTURE_DIR/$1.$round.strace" \
      "$ACMED" --config-dir "$CONFIG_DIR" --state-dir "$STATE_DIR" --server "$ACME_DIR" --ca-bundle "$CA_BUNDLE" \
      issue "$1" > "$FIXTURE_DIR/$1.$round.log" 2>&1 || { cat "$FIXTURE_DIR/$1.$round.log"; fail "$1: $round failed"; }
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    for s in $secrets; do grep -q "$s" "$FIXTURE_DIR/$1.$round.strace" && fail "$1: acmed opened credentials file $s"; done
  done
  echo "# $1: dns-persist-01 issuance ${ms} ms (renewal, under strace)"
}
issue_fails() {  # issue_fails NAME PATTERN: preflight refuses, and no challenge POST reaches Pebble
  local before out rc
  before=$(count_challenge_posts)
  set +e; out=$(acmed_run issue "$1" 2>&1); rc=$?; set -e
  [ "$rc" = 1 ] || fail "$1: exit $rc, want 1: $out"
  grep -qE "$2" <<<"$(tr '\n' ' ' <<<"$out")" || fail "$1: message does not match '$2': $out"
  grep -q "Publish (through your DNS change process): _validation-persist" <<<"$out" || fail "$1: no fix shown: $out"
  [ "$(count_challenge_posts)" = "$before" ] || fail "$1: a challenge was POSTed despite the failed preflight"
  [ ! -e "$STATE_DIR/live/$1" ] || fail "$1: a certificate was stored"
}

issue_ok www
sans=$(openssl x509 -in "$STATE_DIR/live/www/cert.pem" -noout -ext subjectAltName | tail -n +2 | tr -d ' ')
[ "$sans" = "DNS:persist.test,DNS:*.persist.test" ] || fail "www SANs: $sans"
[ "$(readlink "$STATE_DIR/live/www/cert.pem")" = "../../archive/www/cert2.pem" ] || fail "renewal did not store version 2"
pass "base name + wildcard from one policy=wildcard record, issued and renewed"
issue_ok multi;  pass "three names, one record each"
issue_ok cname;  pass "CNAME'd record in another zone"
acmed_run persist check cname | grep -q "CNAME -> _validation-persist.cn.delegated.test" || fail "check does not show the CNAME"
issue_ok split;  pass "record split into two strings"
issue_ok two;    pass "two issuers' records at one name"

issue_fails wrongacct "wrong-account: .*accounturi is ${acct%/*}/999999 but this account is $acct"
pass "wrong account: refused before answering"
issue_fails nopolicy "policy-missing"
pass "wildcard without policy=wildcard: refused before answering"
orders=$(grep -c 'POST /order-plz' "$FIXTURE_DIR/pebble.log" || [ $? = 1 ])
issue_fails expired "no order was placed for 'expired'.*expired: .*persistUntil=1700000000 \(2023-11-14"
[ "$(grep -c 'POST /order-plz' "$FIXTURE_DIR/pebble.log" || [ $? = 1 ])" = "$orders" ] || fail "expired: an order was placed"
pass "expired persistUntil: refused before the order is placed"
issue_fails missing "missing: .*no TXT record"
pass "missing record: refused before answering"

before=$(count_challenge_posts)
set +e; out=$(acmed_run issue missing --force 2>&1); rc=$?; set -e
[ "$rc" = 1 ] || fail "--force with a missing record: exit $rc"
[ "$(count_challenge_posts)" -gt "$before" ] || fail "--force did not answer the challenge"
grep -qi "unauthorized.*No TXT record" <<<"$out" || fail "the CA's refusal is not shown: $out"
pass "--force answers anyway and shows the CA's refusal"

set +e; acmed_run persist check soon > "$FIXTURE_DIR/soon.txt" 2>&1; rc0=$?
acmed_run persist check soon --warn-exit > /dev/null 2>&1; rc3=$?; set -e
[ "$rc0" = 0 ] && [ "$rc3" = 3 ] || fail "persistUntil within the warning window: exit $rc0 / $rc3, want 0 / 3"
grep -q "expiring: .*within 30 days" "$FIXTURE_DIR/soon.txt" || fail "no expiry warning: $(cat "$FIXTURE_DIR/soon.txt")"
issue_ok soon
grep -q "warn.*within 30 days" "$FIXTURE_DIR/soon.renew.log" || fail "issuance did not warn about persistUntil"
pass "persistUntil within 30 days: warned (exit 3 with --warn-exit), still issued"

[ "$(bind_update_count)" = "$updates" ] || fail "DNS UPDATEs were sent during dns-persist-01 runs"
[ "$(bind_zone_serial "$DNS_PRIMARY" persist.test)" = "$serial" ] || fail "the zone serial changed"
pass "zero DNS writes: UPDATE counter $updates and serial $serial unchanged"

printf 'names: [x.persist.test]\nsolvers:\n  - type: dns-persist-01\n    rfc2136: {server: 127.0.0.1}\n' > "$CONFIG_DIR/certs.d/creds.yaml"
set +e; out=$(acmed_run issue creds 2>&1); rc=$?; set -e
[ "$rc" = 2 ] && grep -q "creds.yaml:4:5: 'rfc2136' does not belong in a dns-persist-01 solver: this mode never writes DNS" <<<"$out" \
  || fail "credentials on a dns-persist-01 solver: exit $rc: $out"
pass "DNS credentials on a dns-persist-01 solver are rejected with the reason"

info=$(acmed_run ca info 2>&1) || fail "ca info failed: $info"
grep -q "caaIdentities (dns-persist-01 issuer names, a hint): pebble.letsencrypt.org, ca2.example" <<<"$info" || fail "ca info: $info"
grep -q "dns-persist-01: offered (as of the last order)" <<<"$info" || fail "ca info does not remember dns-persist-01: $info"
pass "ca info shows the directory hints and remembers that dns-persist-01 was offered"
