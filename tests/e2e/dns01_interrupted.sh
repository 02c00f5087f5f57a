# SPDX-License-Identifier: Apache-2.0
# Cleanup always happens: SIGTERM during the propagation wait removes the record
# at once; after SIGKILL the journal lets the next run remove the leftover.
# The secondary gets no NOTIFY here, so acmed really is stuck waiting on it.
. "$(dirname "$0")/lib/fixture.sh"
. "$(dirname "$0")/lib/dns_fixture.sh"
BIND_NOTIFY=no
fixture_init
bind_start acme.test
unbound_start
PEBBLE_DNS="$DNS_RECURSIVE:53" pebble_start
cat > "$CONFIG_DIR/acmed.yaml" <<YAML
dns: {resolvers: ["$DNS_PRIMARY"]}
account: {agree_tos: true}
YAML
cat > "$CONFIG_DIR/certs.d/kill.yaml" <<YAML
names: [kill.acme.test]
solvers:
  - type: dns-01
    provider: rfc2136
    rfc2136: {server: "$DNS_PRIMARY", key_file: "$TSIG_KEY_FILE"}
    propagation: {interval: 200ms, timeout: 60s}
YAML
journal="$STATE_DIR/solvers/kill/dns01-journal"
name=_acme-challenge.kill.acme.test

wait_for_record() {
  for _ in $(seq 1 100); do
    [ -n "$(dns_txt "$DNS_PRIMARY" "$name")" ] && [ -s "$journal" ] && return 0
    sleep 0.1
  done
  fail "acmed never wrote $name"
}

# SIGTERM: acmed unwinds and cleans up by itself.
acmed_bg "$FIXTURE_DIR/term.log" issue kill
pid=$!
wait_for_record
kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
# 128 + SIGTERM, as a shell reports it, but only after the clean unwind below.
[ "$rc" = 143 ] || fail "an interrupted run exited $rc, not 143 (SIGTERM)"
grep -q "interrupted" "$FIXTURE_DIR/term.log" || { cat "$FIXTURE_DIR/term.log"; fail "no interruption message"; }
[ -z "$(dns_txt "$DNS_PRIMARY" "$name")" ] || fail "SIGTERM left $name behind"
[ ! -s "$journal" ] || fail "journal not emptied after a clean interruption"
pass "SIGTERM during the propagation wait: record removed, exit $rc"

# SIGKILL: nothing can run, so the record stays, and the journal remembers it.
acmed_bg "$FIXTURE_DIR/kill.log" issue kill
pid=$!
wait_for_record
kill -KILL "$pid"
set +e; wait "$pid" 2>/dev/null; rc=$?; set -e
[ "$rc" = 137 ] || fail "acmed was not killed by SIGKILL (exit $rc): $(tail -3 "$FIXTURE_DIR/kill.log")"
[ -n "$(dns_txt "$DNS_PRIMARY" "$name")" ] || fail "expected a leftover record after SIGKILL"
grep -q "$name" "$journal" || fail "journal does not list the leftover"
pass "SIGKILL leaves a journalled record"

# The next run removes the leftover first, then issues normally (the secondary is
# notified in the background so propagation can complete this time).
( while true; do bind_notify_secondary >/dev/null 2>&1; sleep 0.3; done ) &
notifier=$!
FIXTURE_PIDS+=($notifier)
acmed_run issue kill > "$FIXTURE_DIR/next.log" 2>&1 || { cat "$FIXTURE_DIR/next.log"; fail "next run failed"; }
kill "$notifier" 2>/dev/null || true
grep -q "removing leftover TXT $name" "$FIXTURE_DIR/next.log" || { cat "$FIXTURE_DIR/next.log"; fail "leftover not reported"; }
[ -z "$(dns_txt "$DNS_PRIMARY" "$name")" ] || fail "records remain after the next run: $(dns_txt "$DNS_PRIMARY" "$name")"
[ ! -s "$journal" ] || fail "journal not empty after the next run"
[ -s "$STATE_DIR/live/kill/cert.pem" ] || fail "next run did not issue"
pass "next run removed the leftover and issued"
