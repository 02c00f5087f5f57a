# SPDX-License-Identifier: Apache-2.0
# A CA that speaks draft-ietf-acme-dns-persist-02 (or -01): lib/persist_ca.py, an HTTPS
# proxy in front of Pebble that validates dns-persist-01 records itself, against real DNS
# through unbound. Source it AFTER fixture.sh and dns_fixture.sh.
#
#   fixture_init; bind_start persist.test; unbound_start
#   # Pebble must mark valid whatever the proxy lets through, so the caller starts it with
#   # PEBBLE_VA_ALWAYS_VALID=1 (pebble_start runs Pebble with the caller's environment):
#   PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_BIN=$(pebble_sid) CAA_IDENTITIES='["pebble.letsencrypt.org"]' \
#     PEBBLE_DNS="$DNS_RECURSIVE:53" pebble_start
#   persist_ca_start 02          # ACME_DIR now points at the proxy, so acmed_run goes through it
#   ... persist_ca_mode 01 ...; persist_ca_posts; persist_ca_refused; pebble_restart
#
# Files: $FIXTURE_DIR/persist_ca.mode (the mode, re-read on every request),
#   persist_ca.log (CHALLENGE <url> <identifier> ok|refused <reason>, plus ACCOUNT, KEYCHANGE
#   and DEACTIVATED lines), persist_ca.state.json (accounts and keys it learned),
#   persist_ca.stderr (its request log). Exports PERSIST_CA_PORT and ACME_DIR.

PERSIST_CA_PID=""

# persist_ca_start [MODE [ARGS...]]: starts the proxy in MODE (01 or 02, default 02) on a free port
# in front of the running Pebble. ARGS go to persist_ca.py: --issuers a,b (directory
# issuerDomainNames, default Pebble's caaIdentities), --challenge-issuers x,y (every -02
# challenge's issuerDomainNames, to make it malformed on purpose; "" gives []),
# --with-accounturi (mode 01: add the -01 challenge field accounturi, which Pebble 2.10.0 lacks),
# --account-uri-prefix P (mode 01: challenges name the account P<id> and records must too, as
# Boulder's accountURIPrefixes), --key-cache N [--key-cache-skip-account] (POSTs signed for an
# account fail JWS verification for N s after its keyChange, as Boulder's account cache; logs JWSREJECT).
persist_ca_start() {
  local mode=${1:-02}
  [ $# -gt 0 ] && shift
  [ -n "${PEBBLE_PORT:-}" ] || fail "persist_ca_start needs pebble_start first"
  [ -n "${DNS_RECURSIVE:-}" ] || fail "persist_ca_start needs unbound_start first"
  PERSIST_CA_PORT=$(free_port)
  : > "$FIXTURE_DIR/persist_ca.log"
  rm -f "$FIXTURE_DIR/persist_ca.state.json"
  persist_ca_mode "$mode"
  _persist_ca_run "$@"
  export PERSIST_CA_PORT
}

# persist_ca_restart [ARGS...]: stops the proxy and starts it again on the same port (account
# URLs embed it) with new ARGS; the mode, the log and what it learned (accounts, keys,
# challenges) are kept.
persist_ca_restart() {
  [ -n "$PERSIST_CA_PID" ] || fail "persist_ca_restart: the proxy is not running"
  persist_ca_stop
  _persist_ca_run "$@"
}

# persist_ca_stop: stops the proxy (ACME_DIR still points at it).
persist_ca_stop() {
  [ -n "$PERSIST_CA_PID" ] || return 0
  _fixture_stop_pid "$PERSIST_CA_PID"
  _fixture_forget_pid "$PERSIST_CA_PID"
  PERSIST_CA_PID=""
}

_persist_ca_run() {
  local here
  here=$(dirname "${BASH_SOURCE[0]}")
  /usr/bin/python3 "$here/persist_ca.py" --listen "127.0.0.1:$PERSIST_CA_PORT" --upstream "127.0.0.1:$PEBBLE_PORT" \
    --cert "$FIXTURE_DIR/server.pem" --key "$FIXTURE_DIR/server.key" --dns "$DNS_RECURSIVE:53" \
    --mode-file "$FIXTURE_DIR/persist_ca.mode" --log "$FIXTURE_DIR/persist_ca.log" \
    --state "$FIXTURE_DIR/persist_ca.state.json" "$@" >> "$FIXTURE_DIR/persist_ca.stderr" 2>&1 &
  PERSIST_CA_PID=$!
  FIXTURE_PIDS+=("$PERSIST_CA_PID")
  ACME_DIR="https://127.0.0.1:$PERSIST_CA_PORT/dir"
  export ACME_DIR
  for _ in $(seq 1 100); do
    curl -fsS --cacert "$FIXTURE_DIR/ca.pem" -o /dev/null "$ACME_DIR" 2>/dev/null && return 0
    kill -0 "$PERSIST_CA_PID" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$FIXTURE_DIR/persist_ca.stderr" >&2
  fail "persist_ca.py did not come up on port $PERSIST_CA_PORT"
}

# persist_ca_mode 01|02: which draft the CA speaks from the next request on.
persist_ca_mode() {
  case "$1" in 01|02) ;; *) fail "persist_ca_mode: want 01 or 02, got '$1'" ;; esac
  printf '%s\n' "$1" > "$FIXTURE_DIR/persist_ca.mode"
}

# persist_ca_posts: challenge POSTs the proxy judged (ok or refused).
persist_ca_posts() {
  grep -c '^CHALLENGE ' "$FIXTURE_DIR/persist_ca.log" || [ $? = 1 ]
}

# persist_ca_refused: challenge POSTs the proxy refused (answered 403, never forwarded).
persist_ca_refused() {
  grep -cE '^CHALLENGE \S+ \S+ refused ' "$FIXTURE_DIR/persist_ca.log" || [ $? = 1 ]
}

# pebble_restart: kills Pebble and starts a fresh one with the same command line and environment
# (same ports, config and PEBBLE_* variables, read from /proc), so it forgets every account,
# order and authorization. It also makes a new root: use pebble_root again afterwards.
# Its log goes on in $FIXTURE_DIR/pebble.log (count_challenge_posts keeps counting).
pebble_restart() {
  local pid="" p argv=() envv=() listeners
  for p in "${FIXTURE_PIDS[@]:-}"; do
    [ -n "$p" ] && [ -r "/proc/$p/cmdline" ] || continue  # (no pid, or not running)
    if tr '\0' '\n' < "/proc/$p/cmdline" | grep -qxF "$FIXTURE_DIR/pebble.json"; then pid=$p; break; fi
  done
  [ -n "$pid" ] || fail "pebble_restart: no running Pebble of this fixture"
  mapfile -d '' argv < "/proc/$pid/cmdline"
  mapfile -d '' envv < "/proc/$pid/environ"
  _fixture_stop_pid "$pid"
  _fixture_forget_pid "$pid"
  for _ in $(seq 1 100); do
    # (captured first: `ss | grep -q` can fail with SIGPIPE under pipefail)
    listeners=$(ss -Hltn "( sport = :$PEBBLE_PORT or sport = :$PEBBLE_MGMT_PORT )")
    [ -z "$listeners" ] && break
    sleep 0.05
  done
  echo "--- pebble_restart ---" >> "$FIXTURE_DIR/pebble.log"
  env -i "${envv[@]}" "${argv[@]}" >> "$FIXTURE_DIR/pebble.log" 2>&1 &
  FIXTURE_PIDS+=($!)
  wait_for_url "https://127.0.0.1:$PEBBLE_PORT/dir"
  wait_for_url "$PEBBLE_MGMT/roots/0"
}

# _fixture_stop_pid PID: TERM, then KILL after 5 s; reaps it when it is this shell's child.
_fixture_stop_pid() {
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    # a dead but unreaped child still passes kill -0; its /proc stat says Z
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# _fixture_forget_pid PID: drops PID from FIXTURE_PIDS (so cleanup never signals a reused pid).
_fixture_forget_pid() {
  local keep=() p
  for p in "${FIXTURE_PIDS[@]:-}"; do
    [ -n "$p" ] && [ "$p" != "$1" ] && keep+=("$p")
  done
  FIXTURE_PIDS=("${keep[@]}")
}
