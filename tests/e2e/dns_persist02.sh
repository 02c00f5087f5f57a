# SPDX-License-Identifier: Apache-2.0
# DNS-PERSIST-01 draft -02 end to end: the real acmed against Pebble >= 2.10 (Debian sid;
# the test fails, never skips, when it cannot be had) run with PEBBLE_VA_ALWAYS_VALID=1
# behind lib/persist_ca.py, which makes it a -02 CA (or -01, persist_ca_mode) and
# validates the records itself through unbound; BIND primary + secondary hold the records
# "the administrator" publishes. acmed only reads DNS: the primary's UPDATE counter only
# ever moves by the administrator's own UPDATEs.
#
#   1  ca info: revision 02, the hash prefix and issuer names
#   2  issue + renew from records published beforehand, the proxy judging every challenge
#   3  bind: any: two names, one identical "*"-hash value
#   4  a plain-URL (-01) record on the -02 CA: stale-format, no order, no challenge POST
#   5  account rollover: republish notice, earlier-key records still ok and still accepted
#   6  a CA that switched from -01 to -02 between runs (own state and config dirs)
#   7  an account the CA forgot (Pebble restarted): issue stops, register --new recovers
# Scenario 6 starts first (the CA must speak -01 then), 5 and 7 change the account and run last.
. "$(dirname "$0")/lib/fixture.sh"
. "$(dirname "$0")/lib/dns_fixture.sh"
. "$(dirname "$0")/lib/persist_ca.sh"
LIB=$(cd "$(dirname "$0")/lib" && pwd)
[ -x "${ACMED:-}" ] || fail "ACMED must name the acmed binary (got '${ACMED:-}')"
T0=$(date +%s)
fixture_init
bind_start persist.test
unbound_start
PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_BIN=$(pebble_sid) CAA_IDENTITIES='["pebble.letsencrypt.org"]' \
  PEBBLE_DNS="$DNS_RECURSIVE:53" pebble_start
persist_ca_start 01          # ACME_DIR is the proxy from here on, for every acmed run
case "$ACME_DIR" in "https://127.0.0.1:$PERSIST_CA_PORT/dir") ;; *) fail "ACME_DIR is not the proxy: $ACME_DIR" ;; esac
PREFIX="https://127.0.0.1:$PERSIST_CA_PORT/account-hash/"
ISSUER=pebble.letsencrypt.org
SWITCH="switched from dns-persist-01 draft -01 to draft -02"

# --- helpers ---------------------------------------------------------------------------------
# run LABEL ARGS...: acmed (acmed_run, so CONFIG_DIR/STATE_DIR may be overridden per call);
# stdout in $FIXTURE_DIR/LABEL.out, stderr in LABEL.err, exit status in RC. Never fails itself.
run() {
  local label=$1; shift
  RC=0
  acmed_run "$@" > "$FIXTURE_DIR/$label.out" 2> "$FIXTURE_DIR/$label.err" || RC=$?
  OUT="$FIXTURE_DIR/$label.out"; ERR="$FIXTURE_DIR/$label.err"
}
show() { echo "--- stdout ---"; cat "$OUT"; echo "--- stderr ---"; cat "$ERR"; }
# want_rc N WHAT: the last run exited N.
want_rc() { [ "$RC" = "$1" ] || { show >&2; fail "$2: exit $RC, want $1"; }; }
# jv FILE EXPR: EXPR (Python, the JSON document is j) evaluated on FILE; strings bare, the rest as JSON.
jv() {
  /usr/bin/python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2" || { cat "$1" >&2; fail "cannot evaluate $2 on $1"; }
}
# want FILE EXPR VALUE WHAT: jv FILE EXPR is VALUE.
want() {
  local got; got=$(jv "$1" "$2")
  [ "$got" = "$3" ] || { cat "$1" >&2; fail "$4: $2 is '$got', want '$3'"; }
}
# has FILE ERE WHAT / hasnt FILE ERE WHAT: a line of FILE matches (does not match) ERE.
has() { grep -qE -- "$2" "$1" || { cat "$1" >&2; fail "$3: no line matches '$2' in $(basename "$1")"; }; }
hasnt() { ! grep -qE -- "$2" "$1" || { cat "$1" >&2; fail "$3: a line matches '$2' in $(basename "$1")"; }; }
# count_lines FILE ERE: matching lines.
count_lines() { grep -cE -- "$2" "$1" || [ $? = 1 ]; }  # (grep -c: 1 = no match, 2 = error)
rx() { printf '%s' "$1" | sed 's/[][\.*^$?+(){}|/]/\\&/g'; }    # literal text as an ERE
cert() {  # cert NAME "names" [extra solver lines]
  printf 'names: [%s]\nsolvers:\n  - type: dns-persist-01\n    issuer: %s\n%s' "$2" "$ISSUER" "${3:-}" \
    > "$CONFIG_DIR/certs.d/$1.yaml"
}
# records_json NAME: `persist record NAME --format json` (must exit 0) into $FIXTURE_DIR/rec-NAME.json.
# value NAME [I]: the value of its I-th record (default the first).
records_json() {
  run "rec-$1" persist record "$1" --format json
  want_rc 0 "persist record $1"
  cp "$OUT" "$FIXTURE_DIR/rec-$1.json"
}
value() { records_json "$1"; jv "$FIXTURE_DIR/rec-$1.json" "j['records'][${2:-0}]['value']"; }
# Every DNS write of this test goes through publish/replace (one UPDATE each), counted here.
ADMIN_UPDATES=0
publish() { bind_add_record "$@"; ADMIN_UPDATES=$((ADMIN_UPDATES + 1)); }
# publish_cert NAME: the administrator publishes every record `persist record NAME` shows, in one UPDATE.
publish_cert() {
  local lines=() n i name strs
  records_json "$1"
  n=$(jv "$FIXTURE_DIR/rec-$1.json" "len(j['records'])")
  for i in $(seq 0 $((n - 1))); do
    name=$(jv "$FIXTURE_DIR/rec-$1.json" "j['records'][$i]['name']")
    strs=$(jv "$FIXTURE_DIR/rec-$1.json" "' '.join('\"%s\"' % s for s in j['records'][$i]['strings'])")
    lines+=("$name. 3600 TXT $strs")
  done
  publish persist.test "${lines[@]}"
}
# replace NAME "TTL TXT RDATA": deletes the TXT RRset at NAME and adds the new one, in one UPDATE.
replace() {
  bind_nsupdate persist.test "update delete $(dns_fqdn persist.test "$1") TXT" "update add $(dns_fqdn persist.test "$1") $2"
  ADMIN_UPDATES=$((ADMIN_UPDATES + 1))
}
UPDATES0=$(bind_update_count); UPDATES0_2=$(bind_update_count "$BIND_STATS_URL_SECONDARY")
# no_dns_writes WHEN: every UPDATE the primary received was the administrator's; the secondary got none.
no_dns_writes() {
  local n; n=$(bind_update_count)
  [ "$n" = "$((UPDATES0 + ADMIN_UPDATES))" ] ||
    fail "$1: the primary received $n UPDATEs, the administrator sent $ADMIN_UPDATES (from $UPDATES0): acmed wrote DNS"
  [ "$(bind_update_count "$BIND_STATS_URL_SECONDARY")" = "$UPDATES0_2" ] || fail "$1: the secondary received an UPDATE"
}
# served NAME [SERVER]: the TXT value at _validation-persist.NAME.persist.test (one record, strings joined).
served() {
  dig +short +norec +time=1 +tries=2 @"${2:-$DNS_SECONDARY}" "_validation-persist.$1.persist.test" TXT |
    sed 's/^"//; s/"$//; s/" "//g'
}
# wait_served NAME VALUE: until both BIND servers and unbound (which caches for up to 1 s) serve VALUE.
wait_served() {
  local ns
  for _ in $(seq 1 100); do
    for ns in "$DNS_PRIMARY" "$DNS_SECONDARY" "$DNS_RECURSIVE"; do
      [ "$(dig +short +time=1 +tries=2 @"$ns" "_validation-persist.$1.persist.test" TXT | sed 's/^"//; s/"$//')" = "$2" ] || continue 2
    done
    return 0
  done
  fail "_validation-persist.$1.persist.test does not serve '$2' everywhere"
}
pebble_orders() { grep -c 'POST /order-plz' "$FIXTURE_DIR/pebble.log" || [ $? = 1 ]; }
pebble_new_accounts() { grep -c 'POST /sign-me-up' "$FIXTURE_DIR/pebble.log" || [ $? = 1 ]; }
# proxy_ok IDENT: challenges for IDENT the proxy judged ok.
proxy_ok() { count_lines "$FIXTURE_DIR/persist_ca.log" "^CHALLENGE \S+ $(rx "$1") ok$"; }
counters() { echo "$(persist_ca_posts) $(persist_ca_refused) $(count_challenge_posts) $(pebble_orders)"; }
pebble_new_authzs() { grep -c 'There are now [0-9]* authorizations in the db' "$FIXTURE_DIR/pebble.log" || [ $? = 1 ]; }
# issue_ok NAME ROUND IDENT...: `issue NAME` (ROUND=issue) or `renew NAME --force` (ROUND=renew)
# succeeds with one order; each IDENT's challenge was judged ok by the proxy exactly once and
# forwarded to Pebble, nothing was refused, and a certificate is stored. Pebble reuses a valid
# authorization 1% of the time even with PEBBLE_AUTHZREUSE=0 (its test is `rand.Intn(100) > 0`),
# and then nothing is validated: that attempt is checked for consistency and run once more.
issue_ok() {
  local name=$1 round=$2 attempt
  shift 2
  for attempt in 1 2; do
    _issue_once "$name" "$round" "$attempt" "$@" && return 0
    echo "# $name $round: Pebble reused a valid authorization (1% of the time even with PEBBLE_AUTHZREUSE=0); once more"
  done
  fail "$name $round: Pebble reused a valid authorization twice in a row: the proxy never judged the records"
}
_issue_once() {  # _issue_once NAME ROUND ATTEMPT IDENT...: 0 when every IDENT was validated, 1 when Pebble reused authorizations
  local name=$1 round=$2 attempt=$3 posts refused chal orders authzs new id okb=() i=0
  shift 3
  read -r posts refused chal orders <<<"$(counters)"
  authzs=$(pebble_new_authzs)
  for id in "$@"; do okb+=("$(proxy_ok "$id")"); done
  if [ "$round" = issue ]; then run "$name.$round$attempt" issue "$name"; else run "$name.$round$attempt" renew "$name" --force; fi
  if [ "$RC" != 0 ] && grep -q "could not find an order for the given certificate" "$ERR"; then
    show >&2
    fail "$name: $round: Pebble refused the ARI 'replaces' of $(openssl x509 -in "$STATE_DIR/live/$name/cert.pem" -noout -serial):" \
      "Pebble indexes orders by the serial without its DER sign byte, acmed (rightly) sends it with it, and acmed" \
      "retries without 'replaces' only when the CA's message names 'replaces' or 'ARI'"
  fi
  want_rc 0 "$name: $round"
  new=$(( $(pebble_new_authzs) - authzs ))
  [ "$(pebble_orders)" = "$((orders + 1))" ] || fail "$name $round: Pebble got $(( $(pebble_orders) - orders )) orders, want 1"
  [ "$(persist_ca_refused)" = "$refused" ] || { cat "$FIXTURE_DIR/persist_ca.log" >&2; fail "$name $round: the proxy refused a challenge"; }
  [ "$new" -le $# ] || fail "$name $round: Pebble made $new authorizations for $# identifiers"
  [ "$(persist_ca_posts)" = "$((posts + new))" ] ||
    fail "$name $round: the proxy judged $(( $(persist_ca_posts) - posts )) challenges, want $new (one per new authorization)"
  [ "$(count_challenge_posts)" = "$((chal + new))" ] ||
    fail "$name $round: Pebble got $(( $(count_challenge_posts) - chal )) challenge POSTs, want $new"
  [ -s "$STATE_DIR/live/$name/cert.pem" ] || fail "$name $round: no certificate stored"
  [ "$new" = $# ] || return 1
  for id in "$@"; do
    [ "$(proxy_ok "$id")" = "$((okb[i] + 1))" ] || { cat "$FIXTURE_DIR/persist_ca.log" >&2; fail "$name $round: no 'CHALLENGE ... $id ok' in the proxy log"; }
    i=$((i + 1))
  done
}
# refused_before_order NAME: `issue NAME` exits 1 before any order or challenge POST.
refused_before_order() {
  local before; before=$(counters)
  run "$1.refused" issue "$1"
  want_rc 1 "$1: issue with records the CA would refuse"
  [ "$(counters)" = "$before" ] ||
    fail "$1: proxy/Pebble counters (proxy posts, refused, Pebble challenge POSTs, orders) moved: $before -> $(counters)"
  [ ! -e "$STATE_DIR/live/$1" ] || fail "$1: a certificate was stored"
}
sans() { openssl x509 -in "$STATE_DIR/live/$1/cert.pem" -noout -ext subjectAltName | tail -n +2 | tr -d ' '; }
# hash_of DOMAIN ACCOUNT_URL [KEY_INDEX]: the -02 hash the proxy computes (persist_ca.account_hash) from
# the account key thumbprint the proxy learned (KEY_INDEX: 0 first key, -1 current).
hash_of() {
  /usr/bin/python3 -c 'import json,sys
sys.path.insert(0, sys.argv[1])
import persist_ca
st = json.load(open(sys.argv[2]))
tp = st["accounts"][sys.argv[4]]["thumbprints"][int(sys.argv[5])]
print(persist_ca.account_hash(sys.argv[3], tp, sys.argv[4]))' \
    "$LIB" "$FIXTURE_DIR/persist_ca.state.json" "$1" "$2" "${3:--1}" || fail "cannot compute the hash of $1 for $2"
}

ACMED_YAML="dns: {resolvers: [\"$DNS_RECURSIVE\"], dnssec: off}
account: {agree_tos: true}"
printf '%s\n' "$ACMED_YAML" > "$CONFIG_DIR/acmed.yaml"

# === 6a. The CA speaks -01; a certificate issued from a plain-URL record (own dirs) ==========
C6="$FIXTURE_DIR/etc01"; S6="$FIXTURE_DIR/state01"
mkdir -p "$C6/certs.d"
printf '%s\n' "$ACMED_YAML" > "$C6/acmed.yaml"
printf 'names: [old.persist.test]\nsolvers:\n  - type: dns-persist-01\n    issuer: %s\n' "$ISSUER" > "$C6/certs.d/old.yaml"
run6() { CONFIG_DIR=$C6 STATE_DIR=$S6 run "$@"; }
run6 s6-info ca info --json;   want_rc 0 "ca info (-01)"
want "$OUT" "j['dns_persist_revision']" 01 "ca info in mode 01"
want "$OUT" "j['dns_persist_revision_notice']" "" "ca info in mode 01"
run6 s6-reg account register;  want_rc 0 "account register (-01)"
ACCT6=$(head -n 1 "$OUT")
case "$ACCT6" in "https://127.0.0.1:$PERSIST_CA_PORT/my-account/"*) ;; *) show; fail "register printed '$ACCT6'" ;; esac
run6 s6-rec persist record old --format json; want_rc 0 "persist record (-01)"
want "$OUT" "j['revision']" 01 "persist record in mode 01"
want "$OUT" "j['records'][0]['value']" "$ISSUER; accounturi=$ACCT6" "a -01 record names the account URL"
publish persist.test "_validation-persist.old 3600 TXT \"$ISSUER; accounturi=$ACCT6\""
bind_wait_synced
STATE_DIR=$S6 CONFIG_DIR=$C6 issue_ok old issue old.persist.test
run6 s6-check persist check old --json; want_rc 0 "persist check in mode 01"
want "$OUT" "j['records'][0]['status']" ok "the plain-URL record on the -01 CA"
hasnt "$ERR" "$SWITCH" "no switch yet"
pass "6a. -01 CA: plain-URL record generated, published, checked ok, issued"

# === 1. the CA speaks -02 from now on; ca info ===============================================
persist_ca_mode 02
run info ca info --json; want_rc 0 "ca info"
want "$OUT" "j['dns_persist_revision']" 02 "ca info in mode 02"
want "$OUT" "j['account_hash_prefix']" "$PREFIX" "ca info"
want "$OUT" "j['issuer_domain_names']" '["pebble.letsencrypt.org"]' "ca info"
# this state dir never saw the CA speak -01: no switch to report
want "$OUT" "j.get('dns_persist_revision_notice', '')" "" "ca info of a fresh state dir"
hasnt "$ERR" "$SWITCH" "ca info of a fresh state dir"
pass "1. ca info: draft -02, accountHashPrefix $PREFIX, issuerDomainNames [$ISSUER], no switch notice"

# === 6b. the same CA, seen again by the -01 state dir: it switched ============================
run6 s6-check2 persist check old --json
want_rc 1 "persist check of a plain-URL record after the switch"
want "$OUT" "j['revision']" 02 "persist check after the switch"
want "$OUT" "j['records'][0]['status']" stale-format "the plain-URL record after the switch"
want "$OUT" "j['records'][0]['republish']" true "the plain-URL record after the switch"
has "$OUT" "\"expected\": \"$(rx "$ISSUER; accounturi=${PREFIX}sha-256/")[A-Za-z0-9_-]{43}\"" "persist check shows the hashed value"
[ "$(count_lines "$ERR" "$SWITCH")" = 1 ] || { show; fail "persist check: want exactly one switch notice line on stderr"; }
has "$ERR" "^warning: .*$SWITCH" "persist check: the switch notice is a warning"
run6 s6-check3 persist check old; want_rc 1 "persist check (text) after the switch"
has "$OUT" "^_validation-persist\.old\.persist\.test: stale-format$" "persist check text"
[ "$(count_lines "$ERR" "$SWITCH")" = 1 ] || { show; fail "persist check (text): want one switch notice line"; }
run6 s6-info2 ca info --json; want_rc 0 "ca info after the switch"
want "$OUT" "j['dns_persist_revision']" 02 "ca info after the switch"
want "$OUT" "'$SWITCH' in j['dns_persist_revision_notice']" true "ca info --json notice after the switch"
run6 s6-status status old
has "$OUT" "^  persist record _validation-persist\.old\.persist\.test: stale-format REPUBLISH" "status after the switch"
before=$(counters)
run6 s6-issue issue old; want_rc 1 "issue old after the switch"
[ "$(counters)" = "$before" ] || fail "issue old after the switch: counters moved $before -> $(counters)"
has "$ERR" "no order was placed for 'old'" "issue old after the switch"
pass "6b. CA switched -01 -> -02: stale-format (exit 1), one-line switch warning, ca info notice, status REPUBLISH, no order"

# === the -02 account and the administrator's records =========================================
run reg account register; want_rc 0 "account register"
ACCT=$(head -n 1 "$OUT")
case "$ACCT" in "https://127.0.0.1:$PERSIST_CA_PORT/my-account/"*) ;; *) show; fail "register printed '$ACCT'" ;; esac
[ "$ACCT" != "$ACCT6" ] || fail "the two state dirs share an account"
ACCT_URL_FILE=$(ls "$STATE_DIR"/accounts/*/account_url)
[ "$(wc -l <<<"$ACCT_URL_FILE")" = 1 ] && [ "$(cat "$ACCT_URL_FILE")" = "$ACCT" ] || fail "account_url file: $ACCT_URL_FILE"
cert main 'a.persist.test, "*.persist.test"'
cert anyb 'x.persist.test, y.persist.test' "    bind: any"$'\n'
cert xname 'x.persist.test'
cert stale 'stale.persist.test'
cert roll 'roll.persist.test'
cert gone 'gone.persist.test'
publish_cert main
publish_cert anyb
publish_cert roll
publish_cert gone
publish persist.test "_validation-persist.stale 3600 TXT \"$ISSUER; accounturi=$ACCT\""
bind_wait_synced
no_dns_writes "after publishing"

# === 2. issue and renew from published records, zero DNS writes ==============================
f="$FIXTURE_DIR/rec-main.json"
want "$f" "j['revision']" 02 "persist record main"
want "$f" "j['account_hash_prefix']" "$PREFIX" "persist record main"
want "$f" "j['bind']" name "persist record main"
want "$f" "sorted(r['name'] for r in j['records'])" \
  '["_validation-persist.a.persist.test", "_validation-persist.persist.test"]' "persist record main"
want "$f" "[r['value'] for r in j['records'] if r['name'] == '_validation-persist.a.persist.test']" \
  "[\"$ISSUER; accounturi=${PREFIX}sha-256/$(hash_of a.persist.test "$ACCT")\"]" "the a.persist.test hash"
want "$f" "[r['value'] for r in j['records'] if r['name'] == '_validation-persist.persist.test']" \
  "[\"$ISSUER; accounturi=${PREFIX}sha-256/$(hash_of persist.test "$ACCT"); policy=wildcard\"]" "the wildcard record"
run check-main persist check main --json; want_rc 0 "persist check main"
want "$OUT" "[r['status'] for r in j['records']]" '["ok", "ok"]' "persist check main"
want "$OUT" "[r['republish'] for r in j['records']]" '[false, false]' "persist check main"
issue_ok main issue a.persist.test '*.persist.test'
[ "$(sans main)" = "DNS:a.persist.test,DNS:*.persist.test" ] || fail "main SANs: $(sans main)"
[ "$(readlink "$STATE_DIR/live/main/cert.pem")" = "../../archive/main/cert1.pem" ] || fail "main: the issuance did not store version 1"
issue_ok main renew a.persist.test '*.persist.test'
case "$(readlink "$STATE_DIR/live/main/cert.pem")" in ../../archive/main/cert[2-9].pem) ;; *) fail "main: the renewal did not store a new version" ;; esac
hasnt "$ERR" "$SWITCH" "renew main"
no_dns_writes "issue + renew main"
pass "2. a.persist.test + *.persist.test from hashed records published beforehand: issued, renewed, proxy validated 4 challenges, 0 DNS writes"

# === 3. bind: any ===========================================================================
f="$FIXTURE_DIR/rec-anyb.json"
want "$f" "j['bind']" any "persist record anyb"
want "$f" "[r['name'] for r in j['records']]" '["_validation-persist.x.persist.test", "_validation-persist.y.persist.test"]' "anyb"
vx=$(jv "$f" "j['records'][0]['value']"); vy=$(jv "$f" "j['records'][1]['value']")
[ "$vx" = "$vy" ] || fail "bind: any: the two values differ: '$vx' / '$vy'"
[ "$vx" = "$ISSUER; accounturi=${PREFIX}sha-256/$(hash_of '*' "$ACCT")" ] || fail "bind: any value is not the '*' hash: $vx"
vname=$(value xname)
want "$FIXTURE_DIR/rec-xname.json" "j['bind']" name "persist record xname"
[ "$vname" = "$ISSUER; accounturi=${PREFIX}sha-256/$(hash_of x.persist.test "$ACCT")" ] || fail "bind: name value of x: $vname"
[ "$vname" != "$vx" ] || fail "bind: any and bind: name give the same value"
issue_ok anyb issue x.persist.test y.persist.test
[ "$(sans anyb)" = "DNS:x.persist.test,DNS:y.persist.test" ] || fail "anyb SANs: $(sans anyb)"
[ "$(served x)" = "$vx" ] && [ "$(served y)" = "$vx" ] || fail "x and y do not both serve '$vx': '$(served x)' / '$(served y)'"
no_dns_writes "issue anyb"
pass "3. bind: any: x and y carry one identical '*'-hash value (not the bind: name one), issued"

# === 4. a plain-URL record on the -02 CA =====================================================
run check-stale persist check stale --json; want_rc 1 "persist check stale"
want "$OUT" "j['records'][0]['status']" stale-format "persist check stale"
want "$OUT" "j['records'][0]['republish']" true "persist check stale"
vstale=$(value stale)
[ "$vstale" = "$ISSUER; accounturi=${PREFIX}sha-256/$(hash_of stale.persist.test "$ACCT")" ] || fail "stale: value $vstale"
refused_before_order stale
has "$ERR" "no order was placed for 'stale': the CA would refuse these records" "issue stale"
has "$ERR" "_validation-persist\.stale\.persist\.test: stale-format" "issue stale"
has "$ERR" "[Pp]ublish[^\"]*: _validation-persist\.stale\.persist\.test\. 3600 IN TXT \"$(rx "$vstale")\"" "issue stale shows the hashed value"
no_dns_writes "issue stale"
pass "4. plain-URL record on a -02 CA: stale-format, issue exit 1 before any order or challenge POST, hashed value shown"

# === 5. account rollover ====================================================================
vroll_old=$(value roll)
issue_ok roll issue roll.persist.test
run rollover account rollover; want_rc 0 "account rollover"
has "$OUT" "^; The CA speaks dns-persist-01 draft -02" "rollover notice"
has "$OUT" "keep validating until the account is deactivated" "rollover notice"
[ "$(cat "$ACCT_URL_FILE")" = "$ACCT" ] || fail "rollover changed the account URL"
vroll=$(value roll)
[ "$vroll" != "$vroll_old" ] || fail "rollover: the roll record did not change"
[ "$vroll" = "$ISSUER; accounturi=${PREFIX}sha-256/$(hash_of roll.persist.test "$ACCT" -1)" ] || fail "roll: new value $vroll"
[ "$vroll_old" = "$ISSUER; accounturi=${PREFIX}sha-256/$(hash_of roll.persist.test "$ACCT" 0)" ] || fail "roll: old value $vroll_old"
has "$FIXTURE_DIR/rollover.out" "^_validation-persist\.roll\.persist\.test\. 3600 IN TXT \"$(rx "$vroll")\"$" "rollover prints roll's new record"
vx_new=$(value anyb)
[ "$vx_new" = "$ISSUER; accounturi=${PREFIX}sha-256/$(hash_of '*' "$ACCT" -1)" ] || fail "anyb: new value $vx_new"
has "$FIXTURE_DIR/rollover.out" "^_validation-persist\.x\.persist\.test\. 3600 IN TXT \"$(rx "$vx_new")\"$" "rollover prints anyb's new record"
hasnt "$FIXTURE_DIR/rollover.out" "$(rx "$vroll_old")" "rollover must not print the old value"
run check-roll persist check roll --json; want_rc 0 "persist check roll with the earlier key's record"
want "$OUT" "j['records'][0]['status']" ok "earlier-key record"
want "$OUT" "j['records'][0]['earlier_key']" true "earlier-key record"
want "$OUT" "j['records'][0]['republish']" true "earlier-key record"
run check-roll-text persist check roll; want_rc 0 "persist check roll (text)"
has "$OUT" "^  republish \(made with an earlier account key" "persist check roll (text)"
run status-roll status roll
has "$OUT" "^  persist record _validation-persist\.roll\.persist\.test: ok REPUBLISH" "status roll"
[ "$(served roll)" = "$vroll_old" ] || fail "roll: the served record is not the old one: $(served roll)"
issue_ok roll renew roll.persist.test
has "$FIXTURE_DIR/persist_ca.log" "^KEYCHANGE $(rx "$ACCT") " "the proxy saw the key change"
pass "5a. rollover: republish notice with records; old record ok/earlier_key/republish; renewed from the old record"
replace _validation-persist.roll "3600 TXT \"$vroll\""
bind_wait_synced; wait_served roll "$vroll"
run check-roll2 persist check roll --json; want_rc 0 "persist check roll with the new record"
want "$OUT" "j['records'][0]['status']" ok "new-key record"
want "$OUT" "j['records'][0]['earlier_key']" false "new-key record"
want "$OUT" "j['records'][0]['republish']" false "new-key record"
run check-roll2-text persist check roll; want_rc 0 "persist check roll (text, new record)"
hasnt "$OUT" "republish" "persist check roll (text, new record)"
issue_ok roll renew roll.persist.test
no_dns_writes "rollover"
pass "5b. new record published: ok without republish; renewed from it; 0 DNS writes by acmed"

# === 7. an account the CA no longer knows ==================================================
vgone_old=$(value gone)
pebble_restart
accounts=$(pebble_new_accounts); posts=$(persist_ca_posts); chal=$(count_challenge_posts)
run gone issue gone; want_rc 1 "issue with an account Pebble forgot"
has "$ERR" "accountDoesNotExist" "issue gone"
has "$ERR" "account register --new" "issue gone"
[ "$(pebble_new_accounts)" = "$accounts" ] || fail "issue gone: acmed sent newAccount to Pebble"
# (the newOrder POST is how acmed learns the account is gone; no challenge may follow)
[ "$(persist_ca_posts)" = "$posts" ] && [ "$(count_challenge_posts)" = "$chal" ] || fail "issue gone: a challenge was POSTed"
[ "$(cat "$ACCT_URL_FILE")" = "$ACCT" ] || fail "issue gone: the stored account URL changed"
[ ! -e "$STATE_DIR/live/gone" ] || fail "issue gone: a certificate was stored"
pass "7a. account unknown to the CA: issue exit 1 (accountDoesNotExist, register --new), no newAccount"
run regnew account register --new; want_rc 0 "account register --new"
ACCT2=$(head -n 1 "$OUT")
case "$ACCT2" in "https://127.0.0.1:$PERSIST_CA_PORT/my-account/"*) ;; *) show; fail "register --new printed '$ACCT2'" ;; esac
[ "$ACCT2" != "$ACCT" ] || fail "register --new printed the old URL"
[ "$(pebble_new_accounts)" = "$((accounts + 1))" ] || fail "register --new: $(( $(pebble_new_accounts) - accounts )) newAccount POSTs"
[ "$(cat "$ACCT_URL_FILE")" = "$ACCT2" ] || fail "register --new: stored account URL is $(cat "$ACCT_URL_FILE")"
vgone=$(value gone)
[ "$vgone" != "$vgone_old" ] || fail "register --new: the gone record did not change"
[ "$vgone" = "$ISSUER; accounturi=${PREFIX}sha-256/$(hash_of gone.persist.test "$ACCT2")" ] || fail "gone: new value $vgone"
has "$FIXTURE_DIR/regnew.out" "^_validation-persist\.gone\.persist\.test\. 3600 IN TXT \"$(rx "$vgone")\"$" "register --new prints the records"
replace _validation-persist.gone "3600 TXT \"$vgone\""
bind_wait_synced; wait_served gone "$vgone"
issue_ok gone issue gone.persist.test
no_dns_writes "the end"
pass "7b. register --new: new URL $ACCT2, records to republish printed; issued after republishing"

echo "# dns_persist02: $(( $(date +%s) - T0 )) s, $(persist_ca_posts) challenges judged by the proxy, $ADMIN_UPDATES administrator UPDATEs"
