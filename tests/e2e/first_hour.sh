# SPDX-License-Identifier: Apache-2.0
# An operator's first hour (issue 23), against a real Pebble:
#  1. `issue NAME -d` that disagrees with certs.d/NAME.yaml refuses before asking the CA;
#     --force issues and replaces the file.
#  2. names added to certs.d/NAME.yaml make the certificate due; list shows both sets.
#  3. the README's `issue -d` command saves a setup that a plain `renew` renews with; a
#     configuration directory the user cannot write stops the issuance before ordering.
#  5. a mistyped --server leaves no account key and no renewal-state change behind.
#  8. `renew --dry-run` against a CA without a staging directory checks up to the order
#     and says "would renew"; nothing is stored.
#  9. a failed `issue` is recorded in the renewal state like a failed renewal.
. "$(dirname "$0")/lib/fixture.sh"
fixture_start

LISTEN="127.0.0.1:$HTTP01_PORT"
live="$STATE_DIR/live/www"
plain() { "$ACMED" --config-dir "$CONFIG_DIR" --state-dir "$STATE_DIR" "$@"; }
json_get() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
sans() { openssl x509 -in "$live/cert.pem" -noout -ext subjectAltName | tail -n +2 | tr -d ' ' | tr ',' '\n' | sort | paste -sd,; }
orders() { grep -c 'POST /order-plz' "$FIXTURE_DIR/pebble.log" || [ $? = 1 ]; }

# --- 3. The README's "Using it" command, then a plain renew (what the timer runs) ---
"$ACMED" --config-dir "$CONFIG_DIR" --state-dir "$STATE_DIR" --server "$ACME_DIR" --ca-bundle "$CA_BUNDLE" \
  --agree-tos --contact admin@test.example issue www -d www.test.example -d test.example --http-01-listen "$LISTEN" \
  2> "$FIXTURE_DIR/issue.log" || { cat "$FIXTURE_DIR/issue.log"; fail "the README's issue command failed"; }
[ -s "$CONFIG_DIR/acmed.yaml" ] || fail "issue -d did not save acmed.yaml"
plain config check > /dev/null 2>&1 || fail "the saved acmed.yaml does not pass config check: $(cat "$CONFIG_DIR/acmed.yaml")"
for want in "$ACME_DIR" "$CA_BUNDLE" "agree_tos: true" "admin@test.example"; do
  grep -qF "$want" "$CONFIG_DIR/acmed.yaml" || fail "acmed.yaml lacks '$want': $(cat "$CONFIG_DIR/acmed.yaml")"
done
plain renew --force 2> "$FIXTURE_DIR/renew.log" || { cat "$FIXTURE_DIR/renew.log"; fail "plain 'acmed renew --force' failed"; }
[ "$(readlink "$live/cert.pem")" = "../../archive/www/cert2.pem" ] || fail "plain renew did not store version 2"
pass "3. issue -d saved the CA, trust bundle, terms and contact; a plain renew with no CA flags renews"

# A setting acmed.yaml already gives differently is never changed.
cp "$CONFIG_DIR/acmed.yaml" "$FIXTURE_DIR/acmed.yaml.saved"
acmed_run --contact other@test.example issue www -d www.test.example -d test.example --http-01-listen "$LISTEN" \
  2> "$FIXTURE_DIR/contact.log" || { cat "$FIXTURE_DIR/contact.log"; fail "issue with another --contact failed"; }
cmp -s "$CONFIG_DIR/acmed.yaml" "$FIXTURE_DIR/acmed.yaml.saved" || fail "a differing --contact changed acmed.yaml"
grep -q "account.contact: kept" "$FIXTURE_DIR/contact.log" || fail "no word that the differing contact was kept: $(cat "$FIXTURE_DIR/contact.log")"
pass "3. a setting acmed.yaml already gives differently is kept, and the run says so"

# A configuration directory this user cannot write: exit 1 before any order, the fix named.
ro="$FIXTURE_DIR/ro"
mkdir -p "$ro/etc/certs.d" "$ro/state"
cp "$CA_BUNDLE" "$ro/ca.pem"
if [ "$(id -u)" = 0 ]; then
  chmod 711 "$FIXTURE_DIR"; chmod 755 "$ro" "$ro/etc" "$ro/etc/certs.d"; chmod 644 "$ro/ca.pem"
  chown nobody "$ro/state"
  as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
else
  chmod 555 "$ro/etc" "$ro/etc/certs.d"
  as_user=()
fi
before=$(orders)
set +e
out=$("${as_user[@]}" "$ACMED" --config-dir "$ro/etc" --state-dir "$ro/state" --server "$ACME_DIR" --ca-bundle "$ro/ca.pem" \
  --agree-tos issue ro -d ro.test.example --http-01-listen "$LISTEN" 2>&1)
rc=$?
set -e
[ "$rc" = 1 ] || fail "issue into a read-only configuration exited $rc, want 1: $out"
grep -q "not writable" <<<"$out" && grep -q -- "--no-save" <<<"$out" || fail "the message does not name the fix: $out"
[ "$(orders)" = "$before" ] || fail "an order was placed although the configuration cannot be saved"
[ ! -e "$ro/state/live/ro" ] || fail "a certificate was stored although its configuration cannot be saved"
chmod 755 "$ro/etc" "$ro/etc/certs.d"  # (removable again)
pass "3. unwritable configuration: exit 1 before ordering, naming the group and --no-save"

# --- 1. issue NAME -d that disagrees with certs.d/NAME.yaml ---
before=$(count_pebble_requests)
current=$(readlink "$live/cert.pem")
set +e; out=$(acmed_run issue www -d other.test.example --http-01-listen "$LISTEN" 2>&1); rc=$?; set -e
[ "$rc" != 0 ] || fail "issue www -d other.test.example succeeded against www.yaml: $out"
grep -q "www.test.example, test.example" <<<"$out" && grep -q "other.test.example" <<<"$out" ||
  fail "the refusal does not name both sets: $out"
[ "$(count_pebble_requests)" = "$before" ] || fail "the refusal still talked to the CA"
[ "$(readlink "$live/cert.pem")" = "$current" ] || fail "the refusal changed live/www"
pass "1. issue www -d other... refuses (exit $rc) before any request, naming both sets"

acmed_run issue www -d other.test.example --http-01-listen "$LISTEN" --force 2> "$FIXTURE_DIR/force.log" ||
  { cat "$FIXTURE_DIR/force.log"; fail "issue --force failed"; }
[ "$(sans)" = "DNS:other.test.example" ] || fail "--force issued $(sans)"
grep -q "other.test.example" "$CONFIG_DIR/certs.d/www.yaml" && ! grep -q "www.test.example" "$CONFIG_DIR/certs.d/www.yaml" ||
  fail "--force did not replace www.yaml: $(cat "$CONFIG_DIR/certs.d/www.yaml")"
[ -s "$CONFIG_DIR/certs.d/www.yaml.replaced" ] || fail "the replaced www.yaml was not kept"
out=$(plain renew www --json 2>/dev/null) || fail "renew after --force: $out"
[ "$(json_get 'd["certificates"][0]["action"]' <<<"$out")" = not-due ] || fail "after --force the certificate is due: $out"
pass "1. --force issues for the flags and replaces www.yaml (kept as www.yaml.replaced); renew agrees"

# --- 2. a name added to certs.d/www.yaml makes the certificate due ---
cat > "$CONFIG_DIR/certs.d/www.yaml" <<YAML
names: [other.test.example, added.test.example]
solvers:
  - type: http-01
    listen: "$LISTEN"
YAML
out=$(plain list --json 2>/dev/null) || fail "list --json: $out"
[ "$(json_get 'd["certificates"][0]["certificate_names"]' <<<"$out")" = "['other.test.example']" ] ||
  fail "list --json lacks the certificate's own names: $out"
json_get 'd["certificates"][0]["why"]' <<<"$out" | grep -q "added.test.example" || fail "list --json does not say why: $out"
[ "$(json_get 'd["certificates"][0]["next_renewal"] <= d["certificates"][0]["not_after"]' <<<"$out")" = True ] || fail "$out"
text=$(plain list 2>/dev/null)
grep -q "in the certificate: other.test.example" <<<"$text" && grep -q "NAMES DIFFER" <<<"$text" ||
  fail "list does not show the names in the certificate: $text"
out=$(plain renew www --json 2>/dev/null) || fail "renew after adding a name: $out"
[ "$(json_get 'd["certificates"][0]["action"]' <<<"$out")" = renewed ] || fail "an added name did not make www due: $out"
[ "$(sans)" = "DNS:added.test.example,DNS:other.test.example" ] || fail "renewed with $(sans)"
out=$(plain list --json 2>/dev/null)
[ "$(json_get '"names_differ" in d["certificates"][0]' <<<"$out")" = False ] || fail "names still differ: $out"
pass "2. an added name makes the certificate due (list shows both sets and why); renew covers it"

# --- 5. a mistyped --server: no account key, no renewal-state change ---
closed=$(free_port)
accounts_before=$(ls "$STATE_DIR/accounts" | sort | tr '\n' ' ')
plain renew www 2>/dev/null || fail "renew www (not due) failed"  # (caches the certificate's facts in the state)
cp "$STATE_DIR/renewal/www" "$FIXTURE_DIR/state.before"
for bad in "https://127.0.0.1:$closed/dir" "$ACME_DIR-nope" "$PEBBLE_MGMT/roots/0"; do
  for cmd in "renew www --force" "renew www" "issue www"; do
    set +e; out=$(plain --server "$bad" --ca-bundle "$CA_BUNDLE" $cmd 2>&1); rc=$?; set -e
    [ "$cmd" = "renew www" ] || [ "$rc" != 0 ] || fail "$cmd with --server $bad succeeded: $out"
    [ "$(ls "$STATE_DIR/accounts" | sort | tr '\n' ' ')" = "$accounts_before" ] ||
      fail "$cmd with --server $bad created an account directory: $(ls "$STATE_DIR/accounts")"
    cmp -s "$STATE_DIR/renewal/www" "$FIXTURE_DIR/state.before" ||
      fail "$cmd with --server $bad changed the renewal state: $(cat "$STATE_DIR/renewal/www")"
  done
done
pass "5. a closed port, a 404 and a non-JSON page as --server: no account key, renewal state unchanged"

# --- 8. renew --dry-run against a CA without a staging directory ---
current=$(readlink "$live/cert.pem")
before=$(orders)
out=$(plain renew --dry-run --json 2> "$FIXTURE_DIR/dry.log") || { cat "$FIXTURE_DIR/dry.log"; fail "dry run failed: $out"; }
[ "$(json_get 'd["certificates"][0]["action"]' <<<"$out")" = dry-run-checked ] || fail "dry run: $out"
[ "$(json_get 'd["would_renew"]' <<<"$out")" = 1 ] && [ "$(json_get '"renewed" in d' <<<"$out")" = False ] ||
  fail "the dry run's JSON summary does not say would_renew: $out"
json_get 'd["certificates"][0]["detail"]' <<<"$out" | grep -q "stopped before ordering" || fail "no word why it stopped: $out"
plain renew --dry-run 2> "$FIXTURE_DIR/dry.txt" || { cat "$FIXTURE_DIR/dry.txt"; fail "text dry run failed"; }
grep -q "1 would renew" "$FIXTURE_DIR/dry.txt" && ! grep -q "renewed" "$FIXTURE_DIR/dry.txt" ||
  fail "the dry run's text summary: $(cat "$FIXTURE_DIR/dry.txt")"
[ "$(orders)" = "$before" ] || fail "the dry run placed an order"
[ "$(readlink "$live/cert.pem")" = "$current" ] || fail "the dry run stored a certificate"
cmp -s "$STATE_DIR/renewal/www" "$FIXTURE_DIR/state.before" || fail "the dry run changed the renewal state"
pass "8. --dry-run without a staging CA: checked up to the order, 'would renew', nothing ordered or stored"

# --- 9. a failed issue is recorded like a failed renewal ---
cat > "$CONFIG_DIR/certs.d/broken.yaml" <<YAML
names: [broken.test.example]
solvers:
  - type: http-01
    listen: "127.0.0.1:$closed"
YAML
set +e; out=$(plain issue broken 2>&1); rc=$?; set -e
[ "$rc" = 1 ] || fail "issue broken exited $rc, want 1: $out"
out=$(plain list --json 2>/dev/null || true)
[ "$(json_get '[c for c in d["certificates"] if c["name"] == "broken"][0]["failures"]' <<<"$out")" = 1 ] ||
  fail "the failed issue is not recorded: $out"
json_get '[c for c in d["certificates"] if c["name"] == "broken"][0]["last_error"]' <<<"$out" | grep -q . ||
  fail "the failed issue has no last_error: $out"
pass "9. a failed issue is recorded (failures 1, last error) for list and status"
