# SPDX-License-Identifier: Apache-2.0
# Fleet mode end to end: three acmed "nodes" (separate config and state directories)
# share one PostgreSQL store (tests/support/with_postgres.sh runs this script), one
# ACME account and one dns-persist-01 record per name, against Pebble 2.10 and BIND.
#   1. Concurrent `renew --all` on all three: Pebble sees each certificate ordered
#      exactly once; every node's live/ holds the same version; every node ran its
#      deploy hook once per certificate.
#   2. SIGKILL of a node mid-renewal: its lock dies with its session, another node
#      takes over, and every version in the store is complete.
#   3. Zero DNS UPDATEs throughout; private keys in the database are sealed.
. "$(dirname "$0")/lib/fixture.sh"
. "$(dirname "$0")/lib/dns_fixture.sh"
[ -n "${ACMED_TEST_PG_DSN:-}" ] || fail "ACMED_TEST_PG_DSN is not set: run under tests/support/with_postgres.sh (ctest does)"
fixture_init
bind_start fleet.test
unbound_start
PEBBLE_BIN=$(pebble_sid) CAA_IDENTITIES='["pebble.letsencrypt.org"]' PEBBLE_DNS="$DNS_RECURSIVE:53" pebble_start
Z=fleet.test
sql() { psql -X -A -t -q -d "$ACMED_TEST_PG_DSN" -c "$1"; }
orders() { grep -c 'POST /order-plz' "$FIXTURE_DIR/pebble.log" || [ $? = 1 ]; }

( umask 077
  printf '%s\n' "$ACMED_TEST_PG_DSN" > "$FIXTURE_DIR/pg.dsn"
  openssl rand -base64 32 > "$FIXTURE_DIR/state.key" )
CERTS="c1 c2 c3"
for n in 1 2 3; do
  printf '#!/bin/sh\necho "node%s $ACMED_NAME" >> "%s/hooks.log"\n' "$n" "$FIXTURE_DIR" > "$FIXTURE_DIR/hook$n.sh"
  chmod 755 "$FIXTURE_DIR/hook$n.sh"
  mkdir -p "$FIXTURE_DIR/etc$n/certs.d"
  cat > "$FIXTURE_DIR/etc$n/acmed.yaml" <<YAML
dns: {resolvers: ["$DNS_RECURSIVE"], dnssec: off}
account: {agree_tos: true}
state: {backend: postgresql, dsn_file: "$FIXTURE_DIR/pg.dsn", key_file: "$FIXTURE_DIR/state.key", node: node$n}
hooks: {deploy: ["$FIXTURE_DIR/hook$n.sh"]}
YAML
  for c in $CERTS; do printf 'names: [%s.%s]\nsolvers:\n  - type: dns-persist-01\n' "$c" "$Z" > "$FIXTURE_DIR/etc$n/certs.d/$c.yaml"; done
done
node_run() {  # node_run N ARGS...
  local n=$1; shift
  "$ACMED" --config-dir "$FIXTURE_DIR/etc$n" --state-dir "$FIXTURE_DIR/state$n" --server "$ACME_DIR" \
    --ca-bundle "$CA_BUNDLE" "$@"
}

# One account for the fleet, registered once; every node reads it from the store.
acct=$(node_run 1 account register 2> "$FIXTURE_DIR/register.log") || { cat "$FIXTURE_DIR/register.log"; fail "register"; }
[ "$(node_run 3 account show --json 2>/dev/null | sed -n 's/^  "url": "\(.*\)",\{0,1\}$/\1/p')" = "$acct" ] ||
  fail "node3 does not see the fleet account $acct"
for c in $CERTS; do
  v=$(node_run 2 persist record "$c" --format json | sed -n 's/^      "value": "\(.*\)"$/\1/p')
  [ -n "$v" ] || fail "no record value for $c"
  bind_add_record "$Z" "_validation-persist.$c 3600 TXT \"$v\""
done
bind_wait_synced
updates0=$(bind_update_count)
pass "three nodes share account $acct; the administrator published one record per name"

# --- 1. concurrent renew --all ---
orders0=$(orders)
for n in 1 2 3; do node_run "$n" renew --all > "$FIXTURE_DIR/renew$n.log" 2>&1 & eval "p$n=$!"; done
for n in 1 2 3; do eval "wait \$p$n" || { cat "$FIXTURE_DIR/renew$n.log"; fail "node$n renew failed"; }; done
[ "$(orders)" = $((orders0 + 3)) ] || fail "want 3 orders for 3 certificates, Pebble saw $(( $(orders) - orders0 ))"
[ "$(sql 'SELECT count(*) FROM acmed_cert_versions')" = 3 ] || fail "the store holds $(sql 'SELECT count(*) FROM acmed_cert_versions') versions"
# Nodes that skipped a certificate another node was renewing deploy it on their next run.
for n in 1 2 3; do node_run "$n" sync > "$FIXTURE_DIR/sync$n.log" 2>&1 || { cat "$FIXTURE_DIR/sync$n.log"; fail "node$n sync"; }; done
for c in $CERTS; do
  for n in 2 3; do
    cmp -s "$FIXTURE_DIR/state1/live/$c/fullchain.pem" "$FIXTURE_DIR/state$n/live/$c/fullchain.pem" ||
      fail "node$n's live/$c differs from node1's"
  done
done
[ "$(sort "$FIXTURE_DIR/hooks.log" | uniq -d | wc -l)" = 0 ] || fail "a hook ran twice on one node: $(sort "$FIXTURE_DIR/hooks.log" | uniq -d)"
[ "$(wc -l < "$FIXTURE_DIR/hooks.log")" = 9 ] || fail "want 9 hook runs (3 nodes x 3 certificates): $(cat "$FIXTURE_DIR/hooks.log")"
renewers=$(sql "SELECT string_agg(name || '@' || node, ' ' ORDER BY name) FROM acmed_cert_versions")
pass "concurrent renew --all on 3 nodes: 3 orders, one version each ($renewers), every live/ equal, 9 hook runs"

# --- 2. SIGKILL mid-renewal, then takeover ---
# Deterministically mid-run: Pebble is frozen (SIGSTOP) once node1's order reached it,
# so node1 holds c1's lock and waits on the CA when it is killed.
pebble_pid=$(pgrep -f -- "-config $FIXTURE_DIR/pebble.json") || fail "Pebble's pid not found"
versions_before=$(sql "SELECT count(*) FROM acmed_cert_versions WHERE name = 'c1'")
mark=$(wc -l < "$FIXTURE_DIR/pebble.log")
# acmed itself in the background (not through node_run, whose subshell would be the pid).
"$ACMED" --config-dir "$FIXTURE_DIR/etc1" --state-dir "$FIXTURE_DIR/state1" --server "$ACME_DIR" --ca-bundle "$CA_BUNDLE" \
  renew --force c1 > "$FIXTURE_DIR/killed.log" 2>&1 &
victim=$!
for _ in $(seq 1 200); do
  tail -n +"$((mark + 1))" "$FIXTURE_DIR/pebble.log" | grep -q 'POST /order-plz' && break
  sleep 0.05
done
kill -STOP "$pebble_pid"
sleep 0.3
grep -q "renewed" "$FIXTURE_DIR/killed.log" && { kill -CONT "$pebble_pid"; fail "node1 finished before it could be killed"; }
kill -9 "$victim"; wait "$victim" 2>/dev/null || true
kill -CONT "$pebble_pid"
[ "$(sql "SELECT count(*) FROM acmed_cert_versions WHERE name = 'c1'")" = "$versions_before" ] ||
  fail "the killed node left a version behind"
# PostgreSQL ends the killed node's sessions as soon as it sees their sockets close;
# "the next run anywhere" is node2 trying again within a few seconds.
killed_at=$(date +%s%N); took=""
for attempt in $(seq 1 20); do
  set +e; out=$(node_run 2 renew --force c1 2>&1); rc=$?; set -e
  [ "$rc" = 0 ] || fail "node2 renew failed after node1 was killed (rc $rc): $out"
  if grep -q "c1: renewed" <<<"$out"; then took=$(( ($(date +%s%N) - killed_at) / 1000000 )); break; fi
  grep -q "c1: locked" <<<"$out" || fail "node2 neither renewed nor found c1 locked: $out"
  sleep 0.5
done
[ -n "$took" ] || fail "node2 could not take over c1 within 20 attempts: $out"
max=$(sql "SELECT max(version) FROM acmed_cert_versions WHERE name = 'c1'")
echo "# c1 versions: $(sql "SELECT string_agg(version || '@' || node, ' ' ORDER BY version) FROM acmed_cert_versions WHERE name = 'c1'")"
[ "$(sql "SELECT count(*) FROM acmed_cert_versions WHERE name = 'c1'")" = "$max" ] || fail "c1's versions have a gap"
[ "$(sql "SELECT count(*) FROM acmed_cert_versions WHERE fullchain NOT LIKE '-----BEGIN CERTIFICATE-----%' OR key_sealed = ''")" = 0 ] ||
  fail "a version in the store is incomplete"
# status shows who renewed and who is behind (nodes 1 and 3 have not synced yet).
node_run 3 status c1 --json > "$FIXTURE_DIR/status.json" 2> /dev/null || true
/usr/bin/python3 - "$FIXTURE_DIR/status.json" "$max" <<'PY' || fail "status --json does not show the fleet: $(cat "$FIXTURE_DIR/status.json")"
import json, sys
f = json.load(open(sys.argv[1]))["certificates"][0]["fleet"]
assert f["version"] == int(sys.argv[2]) and f["renewed_by"] == "node2", f
behind = sorted(n["node"] for n in f["nodes"] if n["behind"])
assert behind == ["node1", "node3"], behind
PY
node_run 3 renew c3 --metrics-file "$FIXTURE_DIR/metrics.prom" > /dev/null 2>&1 || fail "renew with metrics"
grep -q '^acmed_fleet_node_behind{name="c1",node="node1"} 1$' "$FIXTURE_DIR/metrics.prom" &&
  grep -q '^acmed_fleet_node_behind{name="c1",node="node2"} 0$' "$FIXTURE_DIR/metrics.prom" ||
  fail "metrics do not show who is behind: $(grep acmed_fleet "$FIXTURE_DIR/metrics.prom")"
# serve's page and API say the same.
port=$(free_port)
"$ACMED" --config-dir "$FIXTURE_DIR/etc2" --state-dir "$FIXTURE_DIR/state2" serve --listen "127.0.0.1:$port" \
  > "$FIXTURE_DIR/serve.log" 2>&1 &
FIXTURE_PIDS+=($!)
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$port/api/v1/health" > /dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$port/" > "$FIXTURE_DIR/page.html" || fail "serve's page: $(tail -3 "$FIXTURE_DIR/serve.log")"
grep -q "fleet: version $max, made by node2 at .*; behind: node1 (v1), node3 (v1)" "$FIXTURE_DIR/page.html" ||
  fail "serve's page does not show the fleet: $(grep -o 'fleet:[^<]*' "$FIXTURE_DIR/page.html")"
curl -fsS "http://127.0.0.1:$port/api/v1/certificates/c1" | grep -q '"renewed_by": *"node2"' || fail "serve's API lacks the fleet"
for n in 1 3; do node_run "$n" sync > /dev/null 2>&1 || fail "node$n sync after takeover"; done
for n in 1 3; do
  cmp -s "$FIXTURE_DIR/state2/live/c1/fullchain.pem" "$FIXTURE_DIR/state$n/live/c1/fullchain.pem" || fail "node$n did not deploy c1 v$max"
done
pass "SIGKILL of node1 mid-renewal: node2 took over after ${took} ms (attempt $attempt), c1 is at version $max with no gap, every node deployed it"

# --- 3. no DNS writes; sealed keys ---
[ "$(bind_update_count)" = "$updates0" ] || fail "DNS UPDATEs were sent in fleet mode"
[ "$(sql "SELECT count(*) FROM acmed_cert_versions WHERE key_sealed LIKE '%PRIVATE KEY%'")" = 0 ] || fail "a key is stored in clear"
[ "$(sql "SELECT count(*) FROM acmed_accounts WHERE key_sealed LIKE '%PRIVATE KEY%'")" = 0 ] || fail "the account key is stored in clear"
printf 'state: {backend: postgresql, dsn_file: "%s", key_file: "%s", node: intruder}\n' "$FIXTURE_DIR/pg.dsn" "$FIXTURE_DIR/other.key" \
  > "$FIXTURE_DIR/etc1/acmed.yaml.intruder"
( umask 077; openssl rand -base64 32 > "$FIXTURE_DIR/other.key" )
mkdir -p "$FIXTURE_DIR/etc4/certs.d"; cp "$FIXTURE_DIR/etc1/certs.d/c1.yaml" "$FIXTURE_DIR/etc4/certs.d/"
cp "$FIXTURE_DIR/etc1/acmed.yaml.intruder" "$FIXTURE_DIR/etc4/acmed.yaml"
set +e; out=$(node_run 4 sync c1 2>&1); rc=$?; set -e
[ "$rc" != 0 ] && grep -q "state key (state.key_file) is not the one the store was sealed with" <<<"$out" ||
  fail "a wrong key did not fail clearly (rc $rc): $out"
[ ! -e "$FIXTURE_DIR/state4/live/c1" ] || fail "the node with the wrong key deployed something"
pass "zero DNS UPDATEs; keys in the database are sealed, and a node with another key fails clearly"

# --- 4. the way back: export to a state directory, renew from files with the same account ---
node_run 1 state export --to "$FIXTURE_DIR/exported" > "$FIXTURE_DIR/export.log" 2>&1 || { cat "$FIXTURE_DIR/export.log"; fail "export"; }
[ "$(cat "$FIXTURE_DIR"/exported/accounts/*/account_url)" = "$acct" ] || fail "the export lacks the fleet account"
[ "$(stat -c %a "$FIXTURE_DIR"/exported/accounts/*/private_key.pem)" = 600 ] || fail "exported account key not 0600"
mkdir -p "$FIXTURE_DIR/etc-files/certs.d"; cp "$FIXTURE_DIR"/etc1/certs.d/*.yaml "$FIXTURE_DIR/etc-files/certs.d/"
printf 'dns: {resolvers: ["%s"], dnssec: off}\n' "$DNS_RECURSIVE" > "$FIXTURE_DIR/etc-files/acmed.yaml"
cmp -s "$FIXTURE_DIR/exported/live/c1/fullchain.pem" "$FIXTURE_DIR/state2/live/c1/fullchain.pem" || fail "export is not c1's current version"
accounts0=$(grep -c 'POST /sign-me-up' "$FIXTURE_DIR/pebble.log")
"$ACMED" --config-dir "$FIXTURE_DIR/etc-files" --state-dir "$FIXTURE_DIR/exported" --server "$ACME_DIR" --ca-bundle "$CA_BUNDLE" \
  renew --force c2 > "$FIXTURE_DIR/files-renew.log" 2>&1 || { cat "$FIXTURE_DIR/files-renew.log"; fail "renew from the export"; }
[ "$(grep -c 'POST /sign-me-up' "$FIXTURE_DIR/pebble.log")" = "$accounts0" ] || fail "renewing from the export registered a new account"
node_run 1 state import --from "$FIXTURE_DIR/exported" > "$FIXTURE_DIR/import.log" 2>&1 || { cat "$FIXTURE_DIR/import.log"; fail "import back"; }
grep -q "copied certificate c2" "$FIXTURE_DIR/import.log" || fail "the renewed c2 did not go back into the store: $(cat "$FIXTURE_DIR/import.log")"
pass "state export: the file store renews with the fleet account; state import brings its new version back"
