# SPDX-License-Identifier: Apache-2.0
# Interop with the ways of Boulder (the CA behind Let's Encrypt) that Pebble lacks, through
# lib/persist_ca.py in front of Pebble (PEBBLE_VA_ALWAYS_VALID=1; the proxy judges every
# dns-persist-01 challenge itself against real DNS):
#   a  draft -01 challenges name the account by an alias (Boulder's accountURIPrefixes):
#      acmed says so once, remembers it, shows the exact record before answering anything,
#      and issues once the alias is published; persist record|check use the alias.
#   b  an account cache: after keyChange the new key fails JWS verification for a few
#      seconds; `account rollover && renew --force` still works (the rollover waits, and
#      a renew in another process retries).
. "$(dirname "$0")/lib/fixture.sh"
. "$(dirname "$0")/lib/dns_fixture.sh"
. "$(dirname "$0")/lib/persist_ca.sh"
fixture_init
bind_start persist.test
unbound_start
PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_BIN=$(pebble_sid) CAA_IDENTITIES='["pebble.letsencrypt.org"]' \
  PEBBLE_DNS="$DNS_RECURSIVE:53" pebble_start
ALIAS_PREFIX=http://boulder.service.consul:4001/acme/acct/
persist_ca_start 01 --account-uri-prefix "$ALIAS_PREFIX"
cat > "$CONFIG_DIR/acmed.yaml" <<YAML
dns: {resolvers: ["$DNS_RECURSIVE"], dnssec: off}
account: {agree_tos: true}
YAML
printf 'names: [alias.persist.test]\nsolvers:\n  - type: dns-persist-01\n    issuer: pebble.letsencrypt.org\n' \
  > "$CONFIG_DIR/certs.d/alias.yaml"
run() {  # run LABEL ARGS...: stdout/stderr in $FIXTURE_DIR/LABEL.{out,err}, exit status in RC
  local label=$1; shift
  RC=0
  acmed_run "$@" > "$FIXTURE_DIR/$label.out" 2> "$FIXTURE_DIR/$label.err" || RC=$?
  OUT="$FIXTURE_DIR/$label.out"; ERR="$FIXTURE_DIR/$label.err"
}
show() { echo "--- stdout ---"; cat "$OUT"; echo "--- stderr ---"; cat "$ERR"; }
want_rc() { [ "$RC" = "$1" ] || { show >&2; fail "$2: exit $RC, want $1"; }; }
has() { grep -qF -- "$2" "$1" || { show >&2; fail "$3: '$2' not in $(basename "$1")"; }; }
json_field() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
wait_served() {  # wait_served VALUE: unbound and both BIND servers serve VALUE at _validation-persist.alias
  local ns
  for _ in $(seq 1 100); do
    for ns in "$DNS_PRIMARY" "$DNS_SECONDARY" "$DNS_RECURSIVE"; do
      [ "$(dig +short +time=1 +tries=2 @"$ns" _validation-persist.alias.persist.test TXT | sed 's/^"//; s/"$//')" = "$1" ] ||
        { sleep 0.1; continue 2; }
    done
    return 0
  done
  fail "_validation-persist.alias.persist.test does not serve '$1' everywhere"
}
publish() {  # publish VALUE: the administrator replaces the record
  bind_nsupdate persist.test "update delete _validation-persist.alias.persist.test. TXT" \
    "update add _validation-persist.alias.persist.test. 3600 TXT \"$1\""
  wait_served "$1"
}

# --- a: the CA names the account by an alias ---------------------------------------------------
ACCT=$(acmed_run account register 2>/dev/null) || fail "account registration failed"
ALIAS="$ALIAS_PREFIX${ACCT##*/}"
run rec0 persist record alias --format json
want_rc 0 "persist record before any order"
[ "$(json_field "$OUT" account_uri)" = "$ACCT" ] || fail "persist record before any order: $(cat "$OUT")"
run rec0z persist record alias
has "$ERR" "accounturi $ACCT is the account URL; a CA may name the account otherwise in its first dns-persist-01 challenge" \
  "persist record says which URI it used"
publish "pebble.letsencrypt.org; accounturi=$ACCT"
posts=$(persist_ca_posts)
run issue1 issue alias
want_rc 1 "issue with the account URL in the record"
has "$ERR" "this CA names the account $ALIAS rather than $ACCT (its URL): dns-persist-01 records must use accounturi=$ALIAS" \
  "the alias is announced"
has "$ERR" "wrong-account" "the preflight reports the record naming the URL"
has "$ERR" "Publish (through your DNS change process): _validation-persist.alias.persist.test. 3600 IN TXT \"pebble.letsencrypt.org; accounturi=$ALIAS\"" \
  "the exact record to publish"
[ "$(persist_ca_posts)" = "$posts" ] || fail "a challenge was answered although the record cannot pass"
pass "a1. the CA's alias $ALIAS announced; the URL record refused before answering, with the record to publish"

run rec1 persist record alias --format json
want_rc 0 "persist record after the first challenge"
[ "$(json_field "$OUT" account_uri)" = "$ALIAS" ] && [ "$(json_field "$OUT" account_uri_from_ca)" = True ] ||
  fail "persist record does not use the alias: $(cat "$OUT")"
run check1 persist check alias
want_rc 1 "persist check with the URL record"
has "$OUT" "fix: publish _validation-persist.alias.persist.test. 3600 IN TXT \"pebble.letsencrypt.org; accounturi=$ALIAS\"" \
  "persist check shows the alias record"
pass "a2. persist record and persist check name the alias from then on"

publish "pebble.letsencrypt.org; accounturi=$ALIAS"
run check2 persist check alias
want_rc 0 "persist check with the alias record"
run issue2 issue alias
want_rc 0 "issue with the alias record"
grep -qE "^CHALLENGE \S+ alias.persist.test ok$" "$FIXTURE_DIR/persist_ca.log" || fail "the proxy did not validate the alias record"
[ "$(grep -c "names the account $ALIAS" "$ERR" || true)" = 0 ] || fail "the alias was announced again"
pass "a3. alias record published: checked ok, validated by the CA, issued (announced once)"

# --- b: the account cache rejects the new key for a few seconds after keyChange -----------------
persist_ca_restart --account-uri-prefix "$ALIAS_PREFIX" --key-cache 3
rejects() { grep -c "^JWSREJECT $1" "$FIXTURE_DIR/persist_ca.log" || [ $? = 1 ]; }
run roll1 account rollover
want_rc 0 "account rollover with an account cache"
[ "$(rejects /my-account/)" -ge 1 ] || fail "the rollover did not check the new key against the CA: $(cat "$FIXTURE_DIR/persist_ca.log")"
run renew1 renew --force alias
want_rc 0 "renew right after the rollover"
pass "b1. account rollover returns once the CA accepts the new key ($(rejects /my-account/) refused checks); renew right after works"

# Another WFE already knows the key (the account URL answers) while the cache still refuses orders.
persist_ca_restart --account-uri-prefix "$ALIAS_PREFIX" --key-cache 3 --key-cache-skip-account
orders_refused=$(rejects /order-plz)
run roll2 account rollover
want_rc 0 "account rollover (account URL not cached)"
run renew2 renew --force alias
want_rc 0 "renew while newOrder still fails JWS verification"
[ "$(rejects /order-plz)" -gt "$orders_refused" ] || fail "newOrder was never refused: the case was not exercised"
grep -q "JWS verification" "$ERR" || { show >&2; fail "the retry is not logged"; }
pass "b2. a renew in another process retries requests refused with a JWS verification error after the rollover"
