# SPDX-License-Identifier: Apache-2.0
# acmed import: real certbot and lego (Debian packages) issue on the local Pebble (2.10
# from sid, through unbound to BIND), then acmed adopts their trees and renews with the
# SAME account: Pebble sees no new account, and the account URL acmed stores is the one
# certbot/lego registered. The source trees are byte-for-byte unchanged afterwards.
#   certbot: an http-01 standalone lineage with two versions, and a dns-rfc2136 lineage
#            (its TSIG credentials carried over; acmed renews through BIND with them).
#   lego:    an http-01 certificate; after import with --solver dns-persist-01, a
#            _validation-persist record naming lego's account keeps validating: persist
#            check is ok and the renewal makes no DNS UPDATE.
. "$(dirname "$0")/lib/fixture.sh"
. "$(dirname "$0")/lib/dns_fixture.sh"
for tool in certbot lego; do
  command -v "$tool" > /dev/null || fail "$tool is required (scripts/install-deps.sh installs it)"
done
[ -d /usr/lib/python3/dist-packages/certbot_dns_rfc2136 ] || fail "python3-certbot-dns-rfc2136 is required"
fixture_init
bind_start imp.test   # "* A 127.0.0.1": every http-01 name is loopback
unbound_start
PEBBLE_BIN=$(pebble_sid) CAA_IDENTITIES='["pebble.letsencrypt.org"]' PEBBLE_DNS="$DNS_RECURSIVE:53" pebble_start
Z=imp.test
new_accounts() { grep -c 'POST /sign-me-up' "$FIXTURE_DIR/pebble.log" || [ $? = 1 ]; }
orders() { grep -c 'POST /order-plz' "$FIXTURE_DIR/pebble.log" || [ $? = 1 ]; }
# snap DIR: every entry with type, mode, size, link target and content hash.
snap() { (cd "$1" && find . -printf '%p %y %m %s %l\n' | sort && find . -type f -exec sha256sum {} + | sort); }
mode() { stat -c %a "$1"; }
log_mark() { wc -l < "$FIXTURE_DIR/pebble.log"; }
# va_accounts MARK: the AccountURL of every validation Pebble ran after MARK, one a line.
va_accounts() { tail -n +"$(($1 + 1))" "$FIXTURE_DIR/pebble.log" | grep 'Pulled a task' | sed -n 's/.*AccountURL:"\([^"]*\)".*/\1/p'; }

# --- certbot issues: one http-01 lineage renewed once (two versions), one dns-01 lineage ---
LE=$FIXTURE_DIR/letsencrypt
INI=$FIXTURE_DIR/certbot-rfc2136.ini
( umask 077; printf 'dns_rfc2136_server = %s\ndns_rfc2136_port = 53\ndns_rfc2136_name = %s\ndns_rfc2136_secret = %s\ndns_rfc2136_algorithm = %s\n' \
    "$DNS_PRIMARY" "$TSIG_NAME" "$TSIG_SECRET" "${TSIG_ALG^^}" > "$INI" )
certbot_run() {
  REQUESTS_CA_BUNDLE="$CA_BUNDLE" certbot certonly --non-interactive --agree-tos --register-unsafely-without-email \
    --server "$ACME_DIR" --config-dir "$LE" --work-dir "$FIXTURE_DIR/le-work" --logs-dir "$FIXTURE_DIR/le-logs" "$@" \
    > "$FIXTURE_DIR/certbot.log" 2>&1 || { cat "$FIXTURE_DIR/certbot.log"; fail "certbot $*"; }
}
certbot_run --standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT" -d "www.$Z" -d "api.$Z"
certbot_run --standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT" -d "www.$Z" -d "api.$Z" --force-renewal
certbot_run --authenticator dns-rfc2136 --dns-rfc2136-credentials "$INI" --dns-rfc2136-propagation-seconds 0 -d "dns.$Z"
certbot_url=$(sed -n 's/.*"uri": "\([^"]*\)".*/\1/p' "$LE"/accounts/*/dir/*/regr.json)
[ -n "$certbot_url" ] || fail "no account URL in certbot's regr.json"
before_src=$(snap "$LE")
pass "certbot issued www.$Z (2 versions) and dns.$Z; account $certbot_url"

# --- dry run: nothing written ---
out=$(acmed_run import certbot --from "$LE" --dry-run 2>&1) || fail "dry run failed: $out"
grep -q "would store $STATE_DIR/live/www.$Z: 2 version(s)" <<<"$out" || fail "dry run does not list the lineage: $out"
[ ! -e "$STATE_DIR" ] && [ -z "$(ls -A "$CONFIG_DIR/certs.d")" ] || fail "--dry-run wrote something"
pass "import --dry-run lists the work and writes nothing"

# --- import ---
out=$(acmed_run import certbot --from "$LE" 2>&1) || fail "import failed: $out"
[ "$(cat "$STATE_DIR"/accounts/*/account_url)" = "$certbot_url" ] || fail "stored account URL differs from certbot's"
cmp -s "$STATE_DIR/live/www.$Z/fullchain.pem" "$LE/live/www.$Z/fullchain.pem" || fail "live fullchain differs from certbot's"
cmp -s "$STATE_DIR/live/www.$Z/privkey.pem" "$LE/live/www.$Z/privkey.pem" ||
  openssl pkey -in "$STATE_DIR/live/www.$Z/privkey.pem" -pubout | cmp -s - <(openssl pkey -in "$LE/live/www.$Z/privkey.pem" -pubout) ||
  fail "live key differs from certbot's"
[ -e "$STATE_DIR/archive/www.$Z/fullchain2.pem" ] || fail "the older version was not carried over"
for k in "$STATE_DIR"/accounts/*/private_key.pem "$STATE_DIR"/archive/*/privkey*.pem "$CONFIG_DIR"/certbot-*.tsig; do
  [ "$(mode "$k")" = 600 ] || fail "$k has mode $(mode "$k"), want 600"
done
grep -q "listen: 127.0.0.1:$HTTP01_PORT" "$CONFIG_DIR/certs.d/www.$Z.yaml" || fail "standalone listener not mapped"
grep -q "provider: rfc2136" "$CONFIG_DIR/certs.d/dns.$Z.yaml" || fail "dns-rfc2136 not mapped"
[ "$(cat "$CONFIG_DIR"/certbot-*.tsig)" = "$TSIG_SECRET" ] || fail "TSIG secret not carried over"
grep -q "$TSIG_SECRET" <<<"$out" && fail "the TSIG secret appears in the output"
acmed_run config check > /dev/null 2>&1 || fail "the written configuration does not pass config check"
pass "import: same account URL, same live certificate and key, both lineages configured, keys 0600"

# --- re-running is safe; a different file is replaced only with --force ---
out=$(acmed_run import certbot --from "$LE" 2>&1) || fail "second import failed: $out"
grep -q "Already imported" <<<"$out" || fail "second import changed something: $out"
echo "# edited" >> "$CONFIG_DIR/certs.d/www.$Z.yaml"
set +e; out=$(acmed_run import certbot --from "$LE" 2>&1); rc=$?; set -e
[ "$rc" = 1 ] && grep -q "exist already and differ" <<<"$out" || fail "a changed file was not protected (rc $rc): $out"
grep -q "# edited" "$CONFIG_DIR/certs.d/www.$Z.yaml" || fail "the edited file was overwritten without --force"
acmed_run import certbot --from "$LE" --force > /dev/null 2>&1 || fail "--force import failed"
grep -q "# edited" "$CONFIG_DIR/certs.d/www.$Z.yaml" && fail "--force did not replace the file"
pass "re-import changes nothing; an edited file needs --force"

# --- acmed renews both with certbot's account ---
accounts0=$(new_accounts); orders0=$(orders); updates0=$(bind_update_count); mark=$(log_mark)
acmed_run --dns-resolver "$DNS_RECURSIVE" renew --force "www.$Z" > "$FIXTURE_DIR/renew-www.log" 2>&1 || { cat "$FIXTURE_DIR/renew-www.log"; fail "renew www failed"; }
acmed_run --dns-resolver "$DNS_RECURSIVE" renew --force "dns.$Z" > "$FIXTURE_DIR/renew-dns.log" 2>&1 || { cat "$FIXTURE_DIR/renew-dns.log"; fail "renew dns failed"; }
[ "$(new_accounts)" = "$accounts0" ] || fail "acmed registered a new account"
[ "$(orders)" = $((orders0 + 2)) ] || fail "want 2 new orders, Pebble saw $(( $(orders) - orders0 ))"
[ "$(cat "$STATE_DIR"/accounts/*/account_url)" = "$certbot_url" ] || fail "the account URL changed"
# Pebble logs the account of every validation: all three (www, api, dns) are certbot's.
[ "$(va_accounts "$mark" | sort | uniq -c | awk '{print $1, $2}')" = "3 $certbot_url" ] ||
  fail "Pebble validated for other accounts: $(va_accounts "$mark" | sort | uniq -c)"
[ "$(bind_update_count)" -gt "$updates0" ] || fail "dns-01 renewal made no UPDATE with the imported TSIG key"
[ -e "$STATE_DIR/archive/www.$Z/fullchain3.pem" ] || fail "renewal did not add a version"
cmp -s "$STATE_DIR/live/www.$Z/fullchain.pem" "$LE/live/www.$Z/fullchain.pem" && fail "live/ still serves the imported version"
[ "$(snap "$LE")" = "$before_src" ] || fail "the certbot tree changed"
pass "renew --force: 2 orders, no new account, Pebble's log names $certbot_url for all 3 validations; certbot's tree unchanged"

# --- lego: http-01 issuance, import with dns-persist-01, the standing record validates ---
LEGO=$FIXTURE_DIR/lego
LEGO_CA_CERTIFICATES="$CA_BUNDLE" lego --server "$ACME_DIR" --accept-tos --email ops@imp.test --path "$LEGO" \
  --http --http.port "127.0.0.1:$HTTP01_PORT" --domains "lego.$Z" run > "$FIXTURE_DIR/lego.log" 2>&1 ||
  { cat "$FIXTURE_DIR/lego.log"; fail "lego run"; }
lego_url=$(sed -n 's/.*"uri": "\([^"]*\)".*/\1/p' "$LEGO"/accounts/*/*/account.json)
[ -n "$lego_url" ] || fail "no account URL in lego's account.json"
# The record a lego v5 user published for its account (draft -01 form, as Pebble 2.10 reads it).
bind_add_record "$Z" "_validation-persist.lego 3600 TXT \"pebble.letsencrypt.org; accounturi=$lego_url\""
bind_wait_synced
before_lego=$(snap "$LEGO")
C2=$FIXTURE_DIR/etc2; S2=$FIXTURE_DIR/state2
mkdir -p "$C2"
printf 'ca: {directory: "%s"}\ndns: {resolvers: ["%s"], dnssec: off}\n' "$ACME_DIR" "$DNS_RECURSIVE" > "$C2/acmed.yaml"
lego_acmed() { "$ACMED" --config-dir "$C2" --state-dir "$S2" --ca-bundle "$CA_BUNDLE" "$@"; }
set +e; out=$(lego_acmed import lego --from "$LEGO" 2>&1); rc=$?; set -e
[ "$rc" = 0 ] && grep -q "lego does not record how it validated" <<<"$out" || fail "lego without --solver: rc $rc: $out"
lego_acmed import lego --from "$LEGO" --solver dns-persist-01 > "$FIXTURE_DIR/lego-import.log" 2>&1 ||
  { cat "$FIXTURE_DIR/lego-import.log"; fail "lego import"; }
[ "$(cat "$S2"/accounts/*/account_url)" = "$lego_url" ] || fail "stored account URL differs from lego's"
out=$(lego_acmed persist check "lego.$Z" 2>&1) || fail "persist check after lego import: $out"
grep -q "^_validation-persist.lego.$Z: ok" <<<"$out" || fail "persist check does not say ok: $out"
updates0=$(bind_update_count); accounts0=$(new_accounts); mark=$(log_mark)
lego_acmed renew --force "lego.$Z" > "$FIXTURE_DIR/renew-lego.log" 2>&1 || { cat "$FIXTURE_DIR/renew-lego.log"; fail "renew lego failed"; }
[ "$(bind_update_count)" = "$updates0" ] || fail "dns-persist-01 renewal wrote DNS"
[ "$(new_accounts)" = "$accounts0" ] || fail "acmed registered a new account for the lego import"
[ "$(va_accounts "$mark" | sort -u)" = "$lego_url" ] || fail "Pebble validated for another account: $(va_accounts "$mark")"
[ "$(snap "$LEGO")" = "$before_lego" ] || fail "the lego tree changed"
pass "lego import: the _validation-persist record naming lego's account ($lego_url) validates; renewal with no DNS write"
