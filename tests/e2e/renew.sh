# SPDX-License-Identifier: Apache-2.0
# acmed renew from cron/systemd: not due -> nothing; --force -> a new archive version
# with live/ switched atomically; --json parsed; ARI window honoured (Pebble 2.10
# serves ARI); two overlapping `renew --all` runs renew each certificate exactly once; a
# run killed at fixed points of the certificate write (strace fault injection) is
# recovered by the next run; failures back off across runs;
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
echo "hook says: reloaded \$ACMED_NAME"
printf 'hook warns: \\033[31mred\\n' >&2
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

# acmed deploy: the hooks again for the stored certificate, same environment, no CA request.
before=$(count_pebble_requests)
run deploy b > "$FIXTURE_DIR/deploy.out" 2>&1 || { cat "$FIXTURE_DIR/deploy.out"; fail "acmed deploy failed"; }
[ "$(wc -l < "$FIXTURE_DIR/hook.calls")" = 4 ] || fail "acmed deploy did not run the hook once"
[ "$(tail -n 1 "$FIXTURE_DIR/hook.calls")" = "b|b.renew.example|$STATE_DIR/live/b/fullchain.pem|$STATE_DIR/live/b|1" ] \
  || fail "acmed deploy hook environment: $(tail -n 1 "$FIXTURE_DIR/hook.calls")"
[ "$(count_pebble_requests)" = "$before" ] || fail "acmed deploy talked to the CA"
# The hook's output: shown by acmed deploy (escaped), only at -v after a renewal.
grep -q "hook.sh stdout: hook says: reloaded b" "$FIXTURE_DIR/deploy.out" \
  && grep -qF 'hook.sh stderr: hook warns: \x1b[31mred' "$FIXTURE_DIR/deploy.out" \
  && ! grep -q $'\x1b' "$FIXTURE_DIR/deploy.out" || { cat "$FIXTURE_DIR/deploy.out"; fail "acmed deploy did not show the hook's output, escaped"; }
! grep -q "hook says" "$FIXTURE_DIR/r1.log" || fail "renew without -v showed the hook's output"
printf 'names: [d.renew.example]\nsolvers:\n  - type: http-01\n' > "$CONFIG_DIR/certs.d/d.yaml"
set +e; out=$(run deploy d 2>&1); rc=$?; set -e
[ "$rc" = 1 ] && grep -q "no certificate is stored for 'd'" <<<"$out" || fail "deploy without a certificate: $rc $out"
rm "$CONFIG_DIR/certs.d/d.yaml"
pass "acmed deploy runs the hooks for the stored certificate with the same environment, without the CA, and shows their output"

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

# Two overlapping runs: each certificate is renewed by exactly one of them. The solver
# blocks in `present` until the test opens a gate, and both runs use -j 3, so each run
# tries every certificate while the locks the other took are held: with working locks
# there are exactly 3 presents (one per certificate) and 3 "locked" outcomes; without
# them, 6 presents, and each certificate gets two new archive versions.
cat > "$FIXTURE_DIR/gate-solver.sh" <<GATE
#!/bin/sh
cat > /dev/null
[ "\$1" = present ] || exit 0
echo "\$\$" >> "$FIXTURE_DIR/gate.presents"
while [ ! -e "$FIXTURE_DIR/gate.open" ]; do sleep 0.05; done
GATE
chmod 755 "$FIXTURE_DIR/gate-solver.sh"
sed -i "s|command: .*|command: $FIXTURE_DIR/gate-solver.sh|" "$CONFIG_DIR"/certs.d/{a,b,c}.yaml
versions() { ls "$STATE_DIR/archive/$1" | grep -c '^cert[0-9]*\.pem$'; }
declare -A before_v
for n in a b c; do before_v[$n]=$(versions "$n"); done
: > "$FIXTURE_DIR/gate.presents"
run renew --all --force --json -j 3 > "$FIXTURE_DIR/p1.json" 2> "$FIXTURE_DIR/p1.log" &
p1=$!
run renew --all --force --json -j 3 > "$FIXTURE_DIR/p2.json" 2> "$FIXTURE_DIR/p2.log" &
p2=$!
presents=0; locked_logged=0
# Up to 120 s: the loop ends as soon as the outcome is known; a loaded CI machine once
# needed more than 30 s for the third run to reach its solver.
for _ in $(seq 1 1200); do
  presents=$(wc -l < "$FIXTURE_DIR/gate.presents")
  locked_logged=$(cat "$FIXTURE_DIR/p1.log" "$FIXTURE_DIR/p2.log" | grep -c ': locked: ' || [ $? = 1 ])
  [ "$presents" -gt 3 ] && break                        # more than one run is renewing the same certificate
  [ "$presents" = 3 ] && [ "$locked_logged" = 3 ] && break  # every lock attempt has been made
  sleep 0.1
done
touch "$FIXTURE_DIR/gate.open"
set +e; wait $p1; rc1=$?; wait $p2; rc2=$?; set -e
[ "$presents" = 3 ] && [ "$locked_logged" = 3 ] \
  || fail "overlapping runs: $presents presents and $locked_logged locked while both held the gate (want 3 and 3); logs: $(cat "$FIXTURE_DIR/p1.log" "$FIXTURE_DIR/p2.log")"
[ "$rc1" = 0 ] && [ "$rc2" = 0 ] || fail "parallel runs exited $rc1 and $rc2: $(cat "$FIXTURE_DIR/p1.log" "$FIXTURE_DIR/p2.log")"
r1=$(json_get 'd["renewed"]' < "$FIXTURE_DIR/p1.json"); r2=$(json_get 'd["renewed"]' < "$FIXTURE_DIR/p2.json")
locked=$(cat "$FIXTURE_DIR/p1.json" "$FIXTURE_DIR/p2.json" | grep -c '"action": "locked"' || [ $? = 1 ])
[ $((r1 + r2)) = 3 ] && [ "$locked" = 3 ] || fail "parallel runs renewed $r1 + $r2, $locked locked (want 3 renewed, 3 locked)"
for n in a b c; do
  by=$(json_get "sum(c['action'] == 'renewed' for c in d['certificates'] if c['name'] == '$n')" < "$FIXTURE_DIR/p1.json")
  by2=$(json_get "sum(c['action'] == 'renewed' for c in d['certificates'] if c['name'] == '$n')" < "$FIXTURE_DIR/p2.json")
  [ $((by + by2)) = 1 ] || fail "$n renewed $by + $by2 times by the two runs"
  [ "$(versions "$n")" = $((before_v[$n] + 1)) ] || fail "$n: $(versions "$n") archive versions, want $((before_v[$n] + 1))"
  consistent "$n" || fail "live/$n inconsistent after parallel runs"
done
sed -i "s|command: .*|command: $FIXTURE_DIR/ok-solver.sh|" "$CONFIG_DIR"/certs.d/{a,b,c}.yaml
pass "two overlapping renew --all: each certificate renewed exactly once ($r1 + $r2), the other run found it locked"

# Kills at fixed points of the certificate write (strace fault injection: SIGKILL on
# the Nth rename(2) of the thread that saves). FileStateStore::save_certificate writes
# archive/b/{privkey,cert,chain,fullchain}N.pem (temp file, fsync, rename), then
# switches live/b/*.pem one link at a time (symlink to a temp name, rename). A
# calibration run under strace finds which rename is which, so each kill lands exactly
# where it is named, and the state right after the kill proves it did.
linkv() { readlink "$STATE_DIR/live/b/$1.pem" | sed 's/.*[a-z]\([0-9]*\)\.pem$/\1/'; }
traced -f -qq -e trace=rename -o "$FIXTURE_DIR/cal.strace" \
  "$ACMED" --config-dir "$CONFIG_DIR" --state-dir "$STATE_DIR" renew b --force > "$FIXTURE_DIR/cal.log" 2>&1 \
  || { cat "$FIXTURE_DIR/cal.log"; fail "calibration run failed"; }
nth_rename() {  # nth_rename REGEX: the ordinal, within its thread, of the rename whose target matches
  awk -v re="$1" '$2 ~ /^rename\(/ { n[$1]++; if ($0 ~ re) { print n[$1]; exit } }' "$FIXTURE_DIR/cal.strace"
}
declare -A at
at[archive-privkey]=$(nth_rename '/archive/b/privkey[0-9]+\.pem"\)')
at[archive-cert]=$(nth_rename '/archive/b/cert[0-9]+\.pem"\)')
at[live-privkey]=$(nth_rename '/live/b/privkey\.pem"\)')
at[live-cert]=$(nth_rename '/live/b/cert\.pem"\)')
at[live-fullchain]=$(nth_rename '/live/b/fullchain\.pem"\)')
for k in "${!at[@]}"; do [ -n "${at[$k]}" ] || fail "calibration: no rename for $k in $(cat "$FIXTURE_DIR/cal.strace")"; done
for point in archive-privkey archive-cert live-privkey live-cert live-fullchain; do
  old=$(linkv cert); new=$((old + 1))
  set +e
  traced -f -qq -o /dev/null -e trace=rename -e inject=rename:signal=SIGKILL:when="${at[$point]}" \
    "$ACMED" --config-dir "$CONFIG_DIR" --state-dir "$STATE_DIR" renew b --force > "$FIXTURE_DIR/kill.log" 2>&1
  rc=$?
  set -e
  [ "$rc" = 137 ] || { cat "$FIXTURE_DIR/kill.log"; fail "$point: the run was not killed (exit $rc)"; }
  a="$STATE_DIR/archive/b"; l="$STATE_DIR/live/b"
  case $point in  # what is on disk proves where the kill landed
    archive-privkey)
      ls -A "$a" | grep -q "^\.privkey$new\.pem\.tmp-" && [ ! -e "$a/privkey$new.pem" ] || fail "$point: kill not before the key's rename: $(ls -A "$a")" ;;
    archive-cert)
      [ -e "$a/privkey$new.pem" ] && [ ! -e "$a/cert$new.pem" ] && ls -A "$a" | grep -q "^\.cert$new\.pem\.tmp-" \
        || fail "$point: kill not between the key and the certificate: $(ls -A "$a")" ;;
    live-privkey)
      [ -e "$a/fullchain$new.pem" ] && [ "$(linkv privkey)" = "$old" ] && ls -A "$l" | grep -q '^privkey\.pem\.tmp-' \
        || fail "$point: kill not before the first link moved: $(ls -lA "$l")" ;;
    live-cert)
      [ "$(linkv privkey)" = "$new" ] && [ "$(linkv cert)" = "$old" ] && ls -A "$l" | grep -q '^cert\.pem\.tmp-' \
        || fail "$point: kill not in the middle of the switch: $(ls -lA "$l")" ;;
    live-fullchain)
      [ "$(linkv chain)" = "$new" ] && [ "$(linkv fullchain)" = "$old" ] || fail "$point: kill not before the last link: $(ls -lA "$l")" ;;
  esac
  [ -n "$(find "$STATE_DIR" -name '*.tmp-*')" ] || fail "$point: the kill left no temp file (it landed elsewhere)"
  run renew b --force > "$FIXTURE_DIR/next.log" 2>&1 || { cat "$FIXTURE_DIR/next.log"; fail "$point: the next run failed"; }
  [ -z "$(find "$STATE_DIR" -name '*.tmp-*')" ] || fail "$point: temp files left after the next run: $(find "$STATE_DIR" -name '*.tmp-*')"
  v=$(linkv cert)
  for f in privkey chain fullchain; do [ "$(linkv $f)" = "$v" ] || fail "$point: live/b/$f.pem -> $(linkv $f), cert.pem -> $v"; done
  consistent b || fail "$point: live/b/cert.pem does not match live/b/privkey.pem after the next run"
  pass "killed at $point (rename #${at[$point]}): the next run succeeds, no temp file left, live/b consistent (version $v)"
done
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
# Hooks are checked too: one that does not exist, one that is not executable, a directory.
printf '#!/bin/sh\n' > "$FIXTURE_DIR/not-exec.sh"; chmod 644 "$FIXTURE_DIR/not-exec.sh"
printf 'names: [z.example]\nsolvers: [{type: http-01}]\ndeploy_hooks:\n  - %s\n  - %s/no-such-hook\n  - %s\n  - %s\n' \
  "$FIXTURE_DIR/hook.sh" "$FIXTURE_DIR" "$FIXTURE_DIR/not-exec.sh" "$FIXTURE_DIR" > "$CONFIG_DIR/certs.d/bad4.yaml"
set +e; out=$(run config check 2>&1); rc=$?; set -e
[ "$rc" = 2 ] || fail "config check: exit $rc"
grep -q "bad1.yaml:4:5: unknown http-01 setting 'lisen'" <<<"$out" && grep -q "bad2.yaml:1:1: certificate needs at least one entry in 'names'" <<<"$out" \
  && grep -q "bad3.yaml:4:5: 'provider' does not belong in a dns-persist-01 solver" <<<"$out" \
  && grep -q "bad4.yaml:5:5: deploy hook $FIXTURE_DIR/no-such-hook does not exist" <<<"$out" \
  && grep -q "bad4.yaml:6:5: deploy hook $FIXTURE_DIR/not-exec.sh is not executable by uid $(id -u), the user running this check (mode 0644" <<<"$out" \
  && grep -q "bad4.yaml:7:5: deploy hook $FIXTURE_DIR is not a regular file" <<<"$out" \
  && ! grep -q "hook.sh" <<<"$out" && grep -q "6 error(s)" <<<"$out" \
  || fail "config check output: $out"
pass "config check: every broken file and hook reported with file:line:column, exit 2"
rm "$CONFIG_DIR"/certs.d/bad?.yaml "$FIXTURE_DIR/not-exec.sh"

# --json is accepted globally by every command.
acct=$(run --json account show 2>/dev/null | json_get 'd["status"]') || fail "account show --json"
[ "$acct" = valid ] || fail "account show --json: $acct"
v=$(run --json issue a 2>/dev/null | json_get 'd["version"]') || fail "issue --json"
[ "$v" -ge 2 ] || fail "issue --json version: $v"
run --json list 2>/dev/null | json_get 'len(d["certificates"])' | grep -qx 3 || fail "list --json"
pass "--json everywhere: account show, issue, list"

# hooks.mode: queue (least privilege): the renewal queues, `deploy --queued` (root, in
# acmed-deploy.service) runs the hooks with the same variables on a private copy of the
# stored files, and refuses live files that are not the store's own links.
printf 'hooks: {mode: queue}\n' >> "$CONFIG_DIR/acmed.yaml"
calls=$(wc -l < "$FIXTURE_DIR/hook.calls")
run renew a --force > "$FIXTURE_DIR/q1.log" 2>&1 || { cat "$FIXTURE_DIR/q1.log"; fail "renew with hooks.mode queue failed"; }
[ "$(wc -l < "$FIXTURE_DIR/hook.calls")" = "$calls" ] || fail "hooks.mode queue: the renewal ran the hook itself"
[ -f "$STATE_DIR/deploy-queue/a" ] || fail "hooks.mode queue: nothing queued"
grep -q "queued for 'acmed deploy --queued'" "$FIXTURE_DIR/q1.log" || fail "the renewal did not say it queued the hooks"
version=$(readlink "$STATE_DIR/live/a/cert.pem" | sed 's/.*cert\([0-9]*\)\.pem/\1/')
out=$(run --json deploy --queued 2>/dev/null) || fail "deploy --queued failed: $out"
[ "$(json_get '[(x["name"], x["ok"]) for x in d["deployed"]]' <<<"$out")" = "[('a', True)]" ] || fail "deploy --queued: $out"
# The same variables; the paths name root's private copy of the stored files, gone afterwards.
line=$(tail -n 1 "$FIXTURE_DIR/hook.calls")
[[ $line =~ ^a\|a\.renew\.example\|(/tmp/acmed-deploy-[A-Za-z0-9]{6})/fullchain\.pem\|(/tmp/acmed-deploy-[A-Za-z0-9]{6})\|$version$ ]] \
  && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] || fail "queued hook environment: $line"
[ ! -e "${BASH_REMATCH[1]}" ] || fail "the private copy ${BASH_REMATCH[1]} was left behind"
[ -z "$(ls -A "$STATE_DIR/deploy-queue")" ] || fail "the queue was not emptied"
run renew b --force > /dev/null 2>&1 || fail "renew b failed"
ln -sf /etc/passwd "$STATE_DIR/live/b/privkey.pem"
calls=$(wc -l < "$FIXTURE_DIR/hook.calls")
set +e; out=$(run deploy --queued 2>&1); rc=$?; set -e
[ "$rc" = 1 ] && grep -q "queued deploy of 'b': refusing to deploy" <<<"$out" || fail "tampered live/b: exit $rc: $out"
[ "$(wc -l < "$FIXTURE_DIR/hook.calls")" = "$calls" ] || fail "a hook ran for a tampered live directory"
[ -z "$(ls -A "$STATE_DIR/deploy-queue")" ] || fail "a refused entry stayed queued (the path unit would loop)"
pass "hooks.mode queue: renew queues, deploy --queued runs the hooks on root's private copy, tampered links refused"
