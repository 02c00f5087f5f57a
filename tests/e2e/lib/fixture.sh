# SPDX-License-Identifier: Apache-2.0
# Test fixture: a real Pebble CA (Debian package) with pebble-challtestsrv as its
# DNS resolver, all on 127.0.0.1 with free ports, torn down on exit even when a
# test fails. Source it, then call fixture_start.
#
#   . tests/e2e/lib/fixture.sh
#   fixture_start            # exports ACME_DIR, CA_BUNDLE, HTTP01_PORT, PEBBLE_MGMT ...
#   acmed_run issue -d a.test ...
set -euo pipefail

FIXTURE_PIDS=()
FIXTURE_DIR=""

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

# Tools the fixtures and tests rely on (scripts/install-deps.sh installs them). Checked up
# front: e.g. without ss, `ss ... | grep -q .` is simply false, so a port check would pass.
for tool in ss strace openssl curl pebble pebble-challtestsrv; do
  command -v "$tool" > /dev/null || fail "$tool is required (scripts/install-deps.sh installs it)"
done

# strace around acmed. LeakSanitizer (scripts/sanitize.sh's build) cannot run under
# ptrace, so leak checking is off for traced runs; every other check stays on.
traced() { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace "$@"; }

# A TCP port nothing listens on now. Ports come from a range Linux does not hand out
# as ephemeral ports, so a fresh listener rarely collides.
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 12000))
    local tcp udp
    tcp=$(ss -Hltn "sport = :$p") && udp=$(ss -Hlun "sport = :$p") || fail "ss failed"
    if [ -z "$tcp" ] && [ -z "$udp" ]; then
      echo "$p"; return 0
    fi
  done
  echo "no free port found" >&2; return 1
}

# The pids of PID and of everything below it (children first), from /proc.
_fixture_tree() {
  local p=$1 c
  for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do _fixture_tree "$c"; done
  echo "$p"
}

# fixture_cleanup kills exactly what the test started: each pid in FIXTURE_PIDS and
# whatever runs below it (a function or subshell put in the background is a bash
# process whose child is the real server: killing only $! would orphan the server).
fixture_cleanup() {
  local rc=$? pid tree=()
  for pid in "${FIXTURE_PIDS[@]:-}"; do
    # Only this shell's own children (a pid that exited and was reaped may be reused).
    [ -n "$pid" ] && [ "$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null)" = "$$" ] && tree+=($(_fixture_tree "$pid"))
  done
  for pid in "${tree[@]:-}"; do
    # Not fatal: a pid in the list may have exited (or been stopped) already.
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${FIXTURE_PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  # Grandchildren cannot be waited for: give them a moment, then SIGKILL what is left.
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${tree[@]:-}"; do [ -n "$pid" ] && [ -e "/proc/$pid" ] && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${tree[@]:-}"; do
    if [ -n "$pid" ] && [ -e "/proc/$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi  # (it may just have exited)
  done
  if [ "$rc" -ne 0 ] && [ -n "$FIXTURE_DIR" ]; then
    echo "--- pebble log (tail) ---" >&2; tail -n 40 "$FIXTURE_DIR/pebble.log" >&2 || true
  fi
  if [ -n "$FIXTURE_DIR" ] && [ -z "${KEEP_FIXTURE:-}" ]; then rm -rf "$FIXTURE_DIR"; fi
  exit "$rc"
}

# A throwaway CA and a server certificate for 127.0.0.1 and localhost, for Pebble's own HTTPS API.
make_test_tls() {
  local d=$1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=acmed test root" \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$d/ext.cnf"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
    -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null
}

wait_for_url() {
  local url=$1 tries=${2:-100}
  for _ in $(seq 1 "$tries"); do
    if curl -fsS --cacert "$FIXTURE_DIR/ca.pem" -o /dev/null "$url" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  fail "service at $url did not come up"
}

# fixture_start: starts challtestsrv (DNS) and Pebble. Environment knobs:
#   NONCE_REJECT (percent, default 0), AUTHZ_REUSE (percent, default 0),
#   ALTERNATE_ROOTS (count, default 0), EAB=1 (require external account binding;
#   exports EAB_KID and EAB_HMAC_KEY), PEBBLE_BIN (default: Debian's pebble),
#   CAA_IDENTITIES (JSON array: the dns-persist-01 issuer-domain-names, Pebble >= 2.10),
#   VA_SLEEP (seconds every validation takes: a slow CA; default 0)
fixture_start() {
  fixture_init
  pebble_start
}

# fixture_init: the temp dir and the cleanup trap, for tests that start DNS servers
# before Pebble (then: bind_start ...; PEBBLE_DNS=addr:port pebble_start).
fixture_init() {
  FIXTURE_DIR=$(mktemp -d /tmp/acmed-e2e.XXXXXX)
  trap fixture_cleanup EXIT
}

# pebble_start: challtestsrv plus Pebble. PEBBLE_DNS=host:port makes Pebble resolve
# through that server (e.g. a real authoritative BIND) instead of challtestsrv.
pebble_start() {
  make_test_tls "$FIXTURE_DIR"
  DNS_PORT=$(free_port); CTS_MGMT=$(free_port); PEBBLE_PORT=$(free_port); PEBBLE_MGMT_PORT=$(free_port)
  HTTP01_PORT=$(free_port); TLSALPN_PORT=$(free_port)
  local caa=""
  [ -n "${CAA_IDENTITIES:-}" ] && caa=$',\n  "caaIdentities": '"$CAA_IDENTITIES"
  cat > "$FIXTURE_DIR/pebble.json" <<JSON
{"pebble": {
  "listenAddress": "127.0.0.1:$PEBBLE_PORT",
  "managementListenAddress": "127.0.0.1:$PEBBLE_MGMT_PORT",
  "certificate": "$FIXTURE_DIR/server.pem",
  "privateKey": "$FIXTURE_DIR/server.key",
  "httpPort": $HTTP01_PORT,
  "tlsPort": $TLSALPN_PORT,
  "ocspResponderURL": "",
  "externalAccountBindingRequired": $([ -n "${EAB:-}" ] && echo true || echo false),
  "externalAccountMACKeys": {"kid-acmed": "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"}$caa
}}
JSON
  EAB_KID=kid-acmed
  EAB_HMAC_KEY=zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W
  # Every name resolves to 127.0.0.1 only, so validation never leaves loopback.
  pebble-challtestsrv -dns01 "127.0.0.1:$DNS_PORT" -http01 "" -https01 "" -tlsalpn01 "" \
    -management "127.0.0.1:$CTS_MGMT" -defaultIPv4 127.0.0.1 -defaultIPv6 "" \
    > "$FIXTURE_DIR/challtestsrv.log" 2>&1 &
  FIXTURE_PIDS+=($!)
  local va_env=(PEBBLE_VA_NOSLEEP=1)
  [ -n "${VA_SLEEP:-}" ] && va_env=(PEBBLE_VA_SLEEPTIME="$VA_SLEEP")
  env "${va_env[@]}" PEBBLE_WFE_NONCEREJECT="${NONCE_REJECT:-0}" PEBBLE_AUTHZREUSE="${AUTHZ_REUSE:-0}" \
    PEBBLE_ALTERNATE_ROOTS="${ALTERNATE_ROOTS:-0}" \
    "${PEBBLE_BIN:-pebble}" -config "$FIXTURE_DIR/pebble.json" -dnsserver "${PEBBLE_DNS:-127.0.0.1:$DNS_PORT}" \
    > "$FIXTURE_DIR/pebble.log" 2>&1 &
  FIXTURE_PIDS+=($!)
  ACME_DIR="https://127.0.0.1:$PEBBLE_PORT/dir"
  PEBBLE_MGMT="https://127.0.0.1:$PEBBLE_MGMT_PORT"
  CA_BUNDLE="$FIXTURE_DIR/ca.pem"
  STATE_DIR="$FIXTURE_DIR/state"
  CONFIG_DIR="$FIXTURE_DIR/etc"
  mkdir -p "$CONFIG_DIR/certs.d"
  wait_for_url "$ACME_DIR"
  wait_for_url "$PEBBLE_MGMT/roots/0"
  export EAB_KID EAB_HMAC_KEY ACME_DIR PEBBLE_MGMT CA_BUNDLE STATE_DIR CONFIG_DIR HTTP01_PORT TLSALPN_PORT DNS_PORT FIXTURE_DIR
}

# acmed_run ARGS...: the real binary ($ACMED) against the fixture's CA.
acmed_run() {
  "$ACMED" --config-dir "$CONFIG_DIR" --state-dir "$STATE_DIR" --server "$ACME_DIR" --ca-bundle "$CA_BUNDLE" "$@"
}

# acmed_bg LOG ARGS...: acmed in the background, killed by the cleanup trap; sets ACMED_BG_PID
# (the acmed process itself: the function forks it directly, so it is not a subshell).
acmed_bg() {
  local log=$1; shift
  "$ACMED" --config-dir "$CONFIG_DIR" --state-dir "$STATE_DIR" --server "$ACME_DIR" --ca-bundle "$CA_BUNDLE" "$@" \
    > "$log" 2>&1 &
  ACMED_BG_PID=$!
  FIXTURE_PIDS+=("$ACMED_BG_PID")
}

# jws_log_start: puts lib/jws_log.py (an HTTPS proxy that logs each POST's JWS protected
# header, payload keys and status) in front of the running Pebble; ACME_DIR then names
# the proxy. The log is $JWS_LOG, one JSON object a line.
jws_log_start() {
  local port
  port=$(free_port)
  JWS_LOG="$FIXTURE_DIR/jws.log"
  : > "$JWS_LOG"
  /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/jws_log.py" --listen "127.0.0.1:$port" \
    --upstream "127.0.0.1:$PEBBLE_PORT" --cert "$FIXTURE_DIR/server.pem" --key "$FIXTURE_DIR/server.key" \
    --log "$JWS_LOG" > "$FIXTURE_DIR/jws_log.stderr" 2>&1 &
  FIXTURE_PIDS+=($!)
  ACME_DIR="https://127.0.0.1:$port/dir"
  wait_for_url "$ACME_DIR"
  export ACME_DIR JWS_LOG
}

# jws_count FILTER: how many logged POSTs match the Python expression FILTER over `r`
# (one log record), e.g. jws_count 'r["path"] == "/sign-me-up" and r["status"] == 201'.
jws_count() {
  /usr/bin/python3 -c 'import json,sys
print(sum(1 for l in open(sys.argv[1]) if l.strip() and eval(sys.argv[2], {}, {"r": json.loads(l)})))' "$JWS_LOG" "$1"
}

# pebble_sid: the path of Pebble >= 2.10 (dns-persist-01) from Debian sid, fetched by
# package name; fails loudly when it cannot be had (dns-persist tests never skip).
pebble_sid() {
  local bin
  bin=$(bash "$(dirname "${BASH_SOURCE[0]}")/../../../scripts/fetch-pebble-sid.sh") ||
    fail "Pebble >= 2.10 (dns-persist-01) is required and could not be fetched from Debian sid"
  echo "$bin"
}

# count_challenge_posts: challenge POSTs Pebble received (POST {} to a challenge URL).
count_challenge_posts() {
  grep -c 'POST /chalZ/' "$FIXTURE_DIR/pebble.log" || [ $? = 1 ]  # (grep -c: 1 = no match, 2 = no log)
}

# Requests Pebble's WFE logged, e.g. count_pebble_requests before/after a run.
count_pebble_requests() {
  grep -cE ' (GET|HEAD|POST) \S+ -> calling handler' "$FIXTURE_DIR/pebble.log" || [ $? = 1 ]
}

# pebble_root [N]: root N (default 0) that Pebble's issued chains lead to.
pebble_root() {
  curl -fsS --cacert "$CA_BUNDLE" "$PEBBLE_MGMT/roots/${1:-0}"
}
