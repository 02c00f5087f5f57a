# acmed renew from cron/systemd: not due -> nothing; --force -> a new archive version
# with live/ switched atomically; --json parsed; ARI window honoured (Pebble 2.10
# serves ARI); two parallel `renew --all` runs do not corrupt anything; a run killed
# at random points leaves a consistent certificate; failures back off across runs;
# deploy hooks get their environment and their failure does not roll back.
. "$(dirname "$0")/lib/fixture.sh"
fixture_init
# Pebble skips validation here and the certificates answer through an external solver
# that binds no port, so parallel runs can really overlap. Real validation is covered
# by the http-01/dns-01/dns-persist-01 tests.
export PEBBLE_VA_ALWAYS_VALID=1
PEBBLE_BIN=$(pebble_sid) pebble_start
cat > "$CONFIG_DIR/acmed.yaml" <<YAML
ca: {directory: "$ACME_DIR", trust_bundle: "$CA_BUNDLE"}
account: {agree_tos: true}
YAML
cat > "$FIXTURE_DIR/hook.sh" <<HOOK
#!/bin/sh
echo "\$ACMED_NAME|\$ACMED_DOMAINS|\$ACMED_FULLCHAIN_PATH|\$RENEWED_LINEAGE|\$ACMED_VERSION" >> "$FIXTURE_DIR/hook.calls"
HOOK
chmod 755 "$FIXTURE_DIR/hook.sh"
printf '#!/bin/sh\ncat > /dev/null\nexit 0\n' > "$FIXTURE_DIR/ok-solver.sh"; chmod 755 "$FIXTURE_DIR/ok-solver.sh"
for n in a b c; do
  printf 'names: [%s.renew.example]\nsolvers:\n  - type: external\n    challenge: http-01\n    command: %s\ndeploy_hooks: [%s]\n' \
    "$n" "$FIXTURE_DIR/ok-solver.sh" "$FIXTURE_DIR/hook.sh" > "$CONFIG_DIR/certs.d/$n.yaml"
done
run() { "$ACMED" --config-dir "$CONFIG_DIR" --state-dir "$STATE_DIR" "$@"; }
json_get() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
consistent() {  # live cert matches live key and verifies
  local live="$STATE_DIR/live/$1"
  cmp -s <(openssl pkey -in "$live/privkey.pem" -pubout 2>/dev/null) <(openssl x509 -in "$live/cert.pem" -noout -pubkey 2>/dev/null) \
    && openssl verify -CAfile "$FIXTURE_DIR/root.pem" -untrusted "$live/chain.pem" "$live/cert.pem" > /dev/null 2>&1
}
pebble_root > "$FIXTURE_DIR/root.pem"

# First run: nothing stored, so all three are due; renewed in parallel.
out=$(run renew --all --json -j 3 2>"$FIXTURE_DIR/r1.log") || { cat "$FIXTURE_DIR/r1.log"; fail "first renew failed"; }
[ "$(json_get 'd["renewed"]' <<<"$out")" = 3 ] || fail "first run: $out"
[ "$(wc -l < "$FIXTURE_DIR/hook.calls")" = 3 ] || fail "deploy hook not run once per certificate"
grep -q "^a|a.renew.example|$STATE_DIR/live/a/fullchain.pem|$STATE_DIR/live/a|1$" "$FIXTURE_DIR/hook.calls" \
  || fail "deploy hook environment: $(cat "$FIXTURE_DIR/hook.calls")"
pass "renew --all issues what has no certificate; deploy hooks get ACMED_* and RENEWED_* variables"

# Second run: nothing due; the ARI window is what decides.
before=$(count_pebble_requests)
out=$(run renew --json 2>/dev/null) || fail "second renew failed"
[ "$(json_get 'd["not_due"]' <<<"$out")" = 3 ] && [ "$(json_get 'd["renewed"]' <<<"$out")" = 0 ] || fail "second run: $out"
json_get 'd["certificates"][0]["detail"]' <<<"$out" | grep -q "^ARI window .* chosen " || fail "not decided by ARI: $out"
status=$(run status a --json 2>/dev/null)
json_get 'd["certificates"][0]["why"]' <<<"$status" | grep -q "^ARI window" || fail "status does not explain ARI: $status"
out2=$(run renew --json 2>/dev/null)
[ "$(count_pebble_requests)" -le $((before + 8)) ] || fail "not-due runs talk too much to the CA"
pass "not due: nothing renewed; the ARI window and chosen time are reported"

next=$(run next-due --json 2>/dev/null)
json_get 'd["name"] in ("a","b","c") and d["in_seconds"] > 86400' <<<"$next" | grep -q True || fail "next-due: $next"
pass "next-due: $(json_get 'd["next_due"]' <<<"$next") ($(json_get 'd["name"]' <<<"$next"))"

# --force: a new version; live/ points at it; the old one stays in archive/.
run renew a --force > /dev/null 2>&1 || fail "forced renewal failed"
[ "$(readlink "$STATE_DIR/live/a/cert.pem")" = "../../archive/a/cert2.pem" ] && [ -s "$STATE_DIR/archive/a/cert1.pem" ] \
  || fail "forced renewal did not add version 2"
consistent a || fail "live/a is inconsistent after renewal"
pass "--force: version 2 in archive/, live/ switched, version 1 kept"

# Two parallel runs: each certificate is renewed by exactly one of them; nothing breaks.
run renew --all --force --json -j 2 > "$FIXTURE_DIR/p1.json" 2>/dev/null &
p1=$!
run renew --all --force --json -j 2 > "$FIXTURE_DIR/p2.json" 2>/dev/null &
p2=$!
wait $p1; wait $p2
r1=$(json_get 'd["renewed"]' < "$FIXTURE_DIR/p1.json"); r2=$(json_get 'd["renewed"]' < "$FIXTURE_DIR/p2.json")
locked=$(cat "$FIXTURE_DIR/p1.json" "$FIXTURE_DIR/p2.json" | grep -c '"action": "locked"' || true)
[ $((r1 + r2)) -ge 3 ] || fail "parallel runs renewed $r1 + $r2"
for n in a b c; do consistent "$n" || fail "live/$n inconsistent after parallel runs"; done
pass "two parallel renew --all: $r1 + $r2 renewed, $locked skipped as locked, all consistent"

# Kill at random moments during forced renewals: the live certificate stays usable.
for i in 1 2 3 4 5; do
  "$ACMED" --config-dir "$CONFIG_DIR" --state-dir "$STATE_DIR" renew b --force > /dev/null 2>&1 &
  pid=$!
  sleep "0.$((RANDOM % 9 + 1))"
  kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  consistent b || fail "live/b inconsistent after kill #$i"
done
[ -z "$(find "$STATE_DIR" -name '*.tmp-*')" ] || echo "# note: temp files from killed runs: $(find "$STATE_DIR" -name '*.tmp-*' | wc -l)"
pass "5 runs killed at random points: live/b always consistent"

# Failure and back-off: the solver program fails.
printf '#!/bin/sh\necho "no route to the web tier" >&2\nexit 1\n' > "$FIXTURE_DIR/bad-solver.sh"; chmod 755 "$FIXTURE_DIR/bad-solver.sh"
# A name never validated before, so no earlier authorization can be reused.
sed -i "s|command: .*|command: $FIXTURE_DIR/bad-solver.sh|; s|names: \[c.renew.example\]|names: [c-new.renew.example]|" "$CONFIG_DIR/certs.d/c.yaml"
set +e; out=$(run renew c --force --json 2>/dev/null); rc=$?; set -e
[ "$rc" = 1 ] && [ "$(json_get 'd["certificates"][0]["action"]' <<<"$out")" = failed ] || fail "failure not reported: $rc $out"
out=$(run renew c --json 2>/dev/null) || fail "a backing-off run must exit 0"
# c is still not due by ARI, so force the due path by removing its stored certificate.
mv "$STATE_DIR/live/c" "$FIXTURE_DIR/live-c"
out=$(run renew c --json 2>/dev/null) || fail "backoff run failed"
[ "$(json_get 'd["certificates"][0]["action"]' <<<"$out")" = backoff ] || fail "no back-off: $out"
json_get 'd["certificates"][0]["detail"]' <<<"$out" | grep -q "backing off after 1 failure" || fail "$out"
pass "after a failure the next run backs off (1 min), with the last error"

# Deploy hook failure: reported, certificate kept.
mv "$FIXTURE_DIR/live-c" "$STATE_DIR/live/c"
printf '#!/bin/sh\necho "reload failed" >&2\nexit 7\n' > "$FIXTURE_DIR/bad-hook.sh"; chmod 755 "$FIXTURE_DIR/bad-hook.sh"
sed -i "s|deploy_hooks: .*|deploy_hooks: [$FIXTURE_DIR/bad-hook.sh]|" "$CONFIG_DIR/certs.d/a.yaml"
old=$(readlink "$STATE_DIR/live/a/cert.pem")
set +e; out=$(run renew a --force --json 2>/dev/null); rc=$?; set -e
[ "$rc" = 1 ] && [ "$(json_get 'd["certificates"][0]["action"]' <<<"$out")" = hook-failed ] || fail "hook failure: $rc $out"
json_get 'd["certificates"][0]["detail"]' <<<"$out" | grep -q "exited with 7: reload failed" || fail "$out"
[ "$(readlink "$STATE_DIR/live/a/cert.pem")" != "$old" ] && consistent a || fail "certificate rolled back after a hook failure"
pass "a failing deploy hook is reported (exit 1) and the new certificate stays"

# --dry-run: the whole flow against the configured staging CA (here the same Pebble),
# nothing written to live/ or archive/.
sed -i "s|ca: {directory: \"$ACME_DIR\", trust_bundle: \"$CA_BUNDLE\"}|ca: {directory: \"$ACME_DIR\", trust_bundle: \"$CA_BUNDLE\", dry_run_directory: \"$ACME_DIR\"}|" "$CONFIG_DIR/acmed.yaml"
sed -i "s|deploy_hooks: .*|deploy_hooks: [$FIXTURE_DIR/hook.sh]|" "$CONFIG_DIR/certs.d/a.yaml"
before=$(ls "$STATE_DIR/archive/a" | wc -l); link=$(readlink "$STATE_DIR/live/a/cert.pem"); calls=$(wc -l < "$FIXTURE_DIR/hook.calls")
out=$(run renew a --dry-run --json 2>/dev/null) || fail "dry run failed: $out"
[ "$(json_get 'd["certificates"][0]["action"]' <<<"$out")" = dry-run-ok ] || fail "dry run: $out"
[ "$(ls "$STATE_DIR/archive/a" | wc -l)" = "$before" ] && [ "$(readlink "$STATE_DIR/live/a/cert.pem")" = "$link" ] \
  && [ "$(wc -l < "$FIXTURE_DIR/hook.calls")" = "$calls" ] || fail "dry run wrote something or ran hooks"
pass "--dry-run: full flow against the staging CA, nothing stored, no hooks"

# config check reports every error of every file at once, with locations, exit 2.
printf 'names: [x.example]\nsolvers:\n  - type: http-01\n    lisen: 1\n' > "$CONFIG_DIR/certs.d/bad1.yaml"
printf 'names: []\nsolvers: [{type: http-01}]\n' > "$CONFIG_DIR/certs.d/bad2.yaml"
printf 'names: [y.example]\nsolvers:\n  - type: dns-persist-01\n    provider: rfc2136\n' > "$CONFIG_DIR/certs.d/bad3.yaml"
set +e; out=$(run config check 2>&1); rc=$?; set -e
[ "$rc" = 2 ] || fail "config check: exit $rc"
grep -q "bad1.yaml:4:5: unknown http-01 setting 'lisen'" <<<"$out" && grep -q "bad2.yaml:1:1: certificate needs at least one entry in 'names'" <<<"$out" \
  && grep -q "bad3.yaml:4:5: 'provider' does not belong in a dns-persist-01 solver" <<<"$out" && grep -q "3 error(s)" <<<"$out" \
  || fail "config check output: $out"
pass "config check: all three broken files reported with file:line:column, exit 2"
rm "$CONFIG_DIR"/certs.d/bad?.yaml

# --json is accepted globally by every command.
acct=$(run --json account show 2>/dev/null | json_get 'd["status"]') || fail "account show --json"
[ "$acct" = valid ] || fail "account show --json: $acct"
v=$(run --json issue a 2>/dev/null | json_get 'd["version"]') || fail "issue --json"
[ "$v" -ge 2 ] || fail "issue --json version: $v"
run --json list 2>/dev/null | json_get 'len(d["certificates"])' | grep -qx 3 || fail "list --json"
pass "--json everywhere: account show, issue, list"
