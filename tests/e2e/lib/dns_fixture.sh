# SPDX-License-Identifier: Apache-2.0
# Test fixture: real authoritative DNS servers on loopback for dns-01 tests.
# Source it AFTER fixture.sh (it uses fail, free_port, FIXTURE_DIR, FIXTURE_PIDS and
# the fixture_cleanup trap, which kills every server started here).
#
#   . tests/e2e/lib/fixture.sh; . tests/e2e/lib/dns_fixture.sh
#   fixture_start                       # optional; if used, call it BEFORE bind_start/pdns_start
#   bind_start acme.test delegated.test # two BIND9 servers, primary + secondary (NOTIFY/IXFR)
#   pdns_start                          # one PowerDNS with its HTTP API
#   bind_add_record acme.test '_acme-challenge.www 60 CNAME _acme-challenge.www.delegated.test.'
#   bind_wait_synced; before=$(bind_update_count); ...run acmed...; after=$(bind_update_count)
#
# Needs root (port 53, and `ip addr add` on lo: named only listens on addresses that are
# configured on an interface, and 127.0.0.1/8 does not count for 127.X.Y.2).
# Every run takes its own random 127.X.Y.0/24: .2 = BIND primary, .3 = BIND secondary,
# .4 = PowerDNS, all on port 53, so parallel tests never collide. Nothing here sends a
# packet beyond that /24 (no recursion, no root hints, no pdns security polling). The
# added addresses are removed by the EXIT trap (this file chains it in front of fixture_cleanup).
#
# BIND exports: DNS_PRIMARY DNS_SECONDARY DNS_ZONE TSIG_NAME TSIG_ALG TSIG_SECRET
#   TSIG_KEY_FILE (BIND key{} format) TSIG_SECRET_FILE (base64 only) BIND_STATS_URL
#   BIND_STATS_URL_SECONDARY; shell array BIND_ZONES (all zones served, not exported).
# PowerDNS exports: PDNS_ADDR PDNS_API_URL PDNS_API_KEY PDNS_API_KEY_FILE PDNS_ZONE

DNS_NET=""          # "127.X.Y" once chosen
DNS_LO_ADDRS=()     # addresses this run added to lo; removed on exit

# dns_fixture_init: makes FIXTURE_DIR (unless fixture_start did) and chains address removal in front of fixture_cleanup.
dns_fixture_init() {
  if [ -z "${FIXTURE_DIR:-}" ]; then
    FIXTURE_DIR=$(mktemp -d /tmp/acmed-e2e.XXXXXX)
    export FIXTURE_DIR
  fi
  trap dns_fixture_cleanup EXIT
}

# dns_fixture_cleanup: EXIT trap; removes this run's loopback addresses, then runs fixture_cleanup (kills servers, exits).
dns_fixture_cleanup() {
  local rc=$? a
  set +e
  for a in "${DNS_LO_ADDRS[@]:-}"; do
    [ -n "$a" ] && ip addr del "$a/32" dev lo 2>/dev/null
  done
  if [ "$rc" -ne 0 ] && [ -n "${FIXTURE_DIR:-}" ]; then
    for a in "$FIXTURE_DIR"/named-*.log "$FIXTURE_DIR"/pdns.log; do
      [ -f "$a" ] && { echo "--- $(basename "$a") (tail) ---" >&2; tail -n 15 "$a" >&2; }
    done
  fi
  _dns_status "$rc"
  fixture_cleanup
}
_dns_status() { return "$1"; }

# dns_lo_addr ADDR: adds ADDR/32 to lo (named only listens on configured addresses); fails if it already exists.
dns_lo_addr() {
  ip addr add "$1/32" dev lo label lo:acmed 2>/dev/null || return 1
  DNS_LO_ADDRS+=("$1")
}

# dns_net: picks and reserves (once per run) a random free 127.X.Y.0/24 and sets DNS_NET="127.X.Y".
# The reservation is 127.X.Y.1 on lo: adding an existing address fails, so two runs never share a /24.
dns_net() {
  if [ -z "$DNS_NET" ]; then
    local x y addrs listeners
    # A system named (started by installing bind9) binds every address added to lo, ours
    # included; a wildcard :53 listener blocks ours. Refuse early with the fix.
    listeners=$(ss -Hlnup 'sport = :53' 2>/dev/null || true)
    if grep -qE '(0\.0\.0\.0|\*):53 |127\.0\.0\.1:53 .*"named"' <<<"$listeners"; then
      fail "a DNS server already listens on port 53 (stop the system one: systemctl disable --now named pdns): $listeners"
    fi
    for _ in $(seq 1 50); do
      x=$((1 + RANDOM % 250)); y=$((1 + RANDOM % 250))
      # (captured first: `cmd | grep -q` can fail with SIGPIPE under pipefail)
      addrs=$(ip -4 -o addr show); listeners=$(ss -Hlntu | awk '{print $5}')
      grep -q " 127\.$x\.$y\." <<<"$addrs" && continue
      grep -qE "^127\.$x\.$y\.[0-9]+:" <<<"$listeners" && continue
      if dns_lo_addr "127.$x.$y.1"; then DNS_NET="127.$x.$y"; break; fi
    done
    [ -n "$DNS_NET" ] || fail "could not reserve a 127.X.Y.0/24 for DNS servers (need root / CAP_NET_ADMIN for ip addr add)"
  fi
}

# dns_wait_soa ADDR ZONE [TRIES]: waits until ADDR answers SOA for ZONE authoritatively.
dns_wait_soa() {
  local addr=$1 zone=$2 tries=${3:-100} out
  for _ in $(seq 1 "$tries"); do
    out=$(dig +norec +time=1 +tries=1 @"$addr" "$zone" SOA 2>/dev/null) || true
    if grep -qE 'flags:[^;]* aa[ ;].*ANSWER: 1,' <<<"$out"; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# dns_txt ADDR NAME: prints the TXT rdata at NAME served by ADDR, as `dig +short` shows it.
dns_txt() {
  dig +short +norec +time=1 +tries=2 @"$1" "$2" TXT
}

# dns_fqdn ZONE NAME: NAME made absolute; "@" is the apex, names without ZONE are relative to it.
dns_fqdn() {
  local zone=${1%.} name=$2
  case "$name" in
    @) echo "$zone." ;;
    *.) echo "$name" ;;
    "$zone"|*."$zone") echo "$name." ;;
    *) echo "$name.$zone." ;;
  esac
}

# bind_zone_file ZONE NS1_ADDR NS2_ADDR: prints the initial zone (SOA, in-zone NS with glue, apex and wildcard A).
bind_zone_file() {
  local zone=$1 a1=$2 a2=$3
  cat <<ZONE
\$ORIGIN $zone.
\$TTL 60
@       SOA   ns1.$zone. hostmaster.$zone. 1 3600 600 86400 60
@       NS    ns1.$zone.
@       NS    ns2.$zone.
ns1     A     $a1
ns2     A     $a2
@       A     127.0.0.1
*       A     127.0.0.1
ZONE
}

# bind_conf ROLE ADDR STATS_PORT: prints a named.conf for ROLE (primary|secondary) serving BIND_ZONES.
bind_conf() {
  local role=$1 addr=$2 sport=$3 dir="$FIXTURE_DIR/named-$1" z
  cat <<CONF
include "$TSIG_KEY_FILE";
options {
  directory "$dir";
  pid-file "$dir/named.pid";
  lock-file "$dir/named.lock";
  session-keyfile "$dir/session.key";
  managed-keys-directory "$dir";
  dump-file "$dir/cache.db";
  statistics-file "$dir/named.stats";
  listen-on port 53 { $addr; };
  listen-on-v6 { none; };
  query-source address $addr;
  notify-source $addr;
  transfer-source $addr;
  recursion no;
  dnssec-validation no;
  empty-zones-enable no;
  allow-query { 127.0.0.0/8; };
  notify $([ "${BIND_NOTIFY:-yes}" = no ] && echo no || echo explicit);
  notify-delay ${BIND_NOTIFY_DELAY:-1};
  version none;
};
controls { };
statistics-channels { inet $addr port $sport allow { 127.0.0.0/8; }; };
CONF
  for z in "${BIND_ZONES[@]}"; do
    if [ "$role" = primary ]; then
      cat <<CONF
zone "$z" {
  type primary;
  file "$dir/$z.db";
  allow-update { key "$TSIG_NAME"; };
  allow-transfer { key "$TSIG_NAME"; $DNS_SECONDARY; };
  $([ "${BIND_NOTIFY:-yes}" = no ] || echo "also-notify { $DNS_SECONDARY; };")
  $(case " ${BIND_DNSSEC_ZONES:-} " in *" $z "*) echo "dnssec-policy default;" ;; esac)
};
CONF
    else
      cat <<CONF
zone "$z" {
  type secondary;
  file "$dir/$z.db";
  primaries { $DNS_PRIMARY key "$TSIG_NAME"; };
  allow-notify { $DNS_PRIMARY; };
  allow-transfer { none; };
  notify no;
};
CONF
    fi
  done
}

# Knobs: BIND_NOTIFY_DELAY (s, default 1: the secondary lags 0..1 s behind each update);
#   BIND_NOTIFY=no (the primary sends no NOTIFY: the secondary stays stale until bind_notify_secondary).
# bind_start [ZONE [EXTRA_ZONE...]]: starts a BIND9 primary (.2) and secondary (.3) for ZONE (default acme.test) and any extra zones (e.g. delegated.test).
bind_start() {
  dns_fixture_init
  local net z
  dns_net; net=$DNS_NET
  dns_lo_addr "$net.2" && dns_lo_addr "$net.3" || fail "cannot add $net.2 and $net.3 to lo"
  DNS_ZONE=${1:-acme.test}
  BIND_ZONES=("$DNS_ZONE" "${@:2}")
  DNS_PRIMARY="$net.2"; DNS_SECONDARY="$net.3"
  TSIG_NAME="acmed-test-key"; TSIG_ALG="hmac-sha256"
  TSIG_KEY_FILE="$FIXTURE_DIR/tsig.key"; TSIG_SECRET_FILE="$FIXTURE_DIR/tsig.secret"
  ( umask 077; tsig-keygen -a "$TSIG_ALG" "$TSIG_NAME" > "$TSIG_KEY_FILE" )
  TSIG_SECRET=$(sed -n 's/.*secret "\([^"]*\)".*/\1/p' "$TSIG_KEY_FILE")
  [ -n "$TSIG_SECRET" ] || fail "tsig-keygen produced no secret"
  ( umask 077; printf '%s\n' "$TSIG_SECRET" > "$TSIG_SECRET_FILE" )
  mkdir -p "$FIXTURE_DIR/named-primary" "$FIXTURE_DIR/named-secondary"
  for z in "${BIND_ZONES[@]}"; do
    bind_zone_file "$z" "$DNS_PRIMARY" "$DNS_SECONDARY" > "$FIXTURE_DIR/named-primary/$z.db"
  done
  local p1 p2
  p1=$(free_port); p2=$(free_port)
  while [ "$p2" = "$p1" ]; do p2=$(free_port); done
  bind_conf primary "$DNS_PRIMARY" "$p1" > "$FIXTURE_DIR/named-primary/named.conf"
  bind_conf secondary "$DNS_SECONDARY" "$p2" > "$FIXTURE_DIR/named-secondary/named.conf"
  named-checkconf "$FIXTURE_DIR/named-primary/named.conf" || fail "bad primary named.conf"
  named -4 -f -g -n 1 -c "$FIXTURE_DIR/named-primary/named.conf" > "$FIXTURE_DIR/named-primary.log" 2>&1 &
  FIXTURE_PIDS+=($!)
  named -4 -f -g -n 1 -c "$FIXTURE_DIR/named-secondary/named.conf" > "$FIXTURE_DIR/named-secondary.log" 2>&1 &
  FIXTURE_PIDS+=($!)
  BIND_STATS_URL="http://$DNS_PRIMARY:$p1"
  BIND_STATS_URL_SECONDARY="http://$DNS_SECONDARY:$p2"
  for z in "${BIND_ZONES[@]}"; do
    dns_wait_soa "$DNS_PRIMARY" "$z" || { tail -n 30 "$FIXTURE_DIR/named-primary.log" >&2; fail "BIND primary does not serve $z"; }
    dns_wait_soa "$DNS_SECONDARY" "$z" || { tail -n 30 "$FIXTURE_DIR/named-secondary.log" >&2; fail "BIND secondary does not serve $z"; }
  done
  export DNS_PRIMARY DNS_SECONDARY DNS_ZONE TSIG_NAME TSIG_ALG TSIG_SECRET TSIG_KEY_FILE TSIG_SECRET_FILE \
    BIND_STATS_URL BIND_STATS_URL_SECONDARY
}

# bind_nsupdate ZONE LINE...: sends one TSIG-signed UPDATE for ZONE to the primary with raw nsupdate LINEs ("update add ...").
bind_nsupdate() {
  local zone=$1; shift
  { echo "server $DNS_PRIMARY 53"; echo "local $DNS_PRIMARY"; echo "zone $zone."
    printf '%s\n' "$@"; echo send; } |
    nsupdate -t 5 -y "$TSIG_ALG:$TSIG_NAME:$TSIG_SECRET"
}

# bind_add_record ZONE "NAME TTL TYPE RDATA"...: adds the records in one UPDATE (NAME relative to ZONE unless it ends in ZONE or ".").
bind_add_record() {
  local zone=$1 rec name lines=(); shift
  for rec in "$@"; do
    name=${rec%% *}
    lines+=("update add $(dns_fqdn "$zone" "$name") ${rec#* }")
  done
  bind_nsupdate "$zone" "${lines[@]}"
}

# bind_delete_record ZONE NAME [TYPE]: deletes the RRset (or every record) at NAME in one UPDATE.
bind_delete_record() {
  bind_nsupdate "$1" "update delete $(dns_fqdn "$1" "$2") ${3:-}"
}

# bind_notify_secondary [ZONE...]: sends NOTIFY for ZONEs (default all) to the secondary, as the primary would (use with BIND_NOTIFY=no).
bind_notify_secondary() {
  local z
  for z in "${@:-${BIND_ZONES[@]}}"; do
    dig +opcode=notify +norec +time=1 +tries=2 -b "$DNS_PRIMARY" @"$DNS_SECONDARY" "$z" SOA > /dev/null ||
      fail "NOTIFY for $z to $DNS_SECONDARY failed"
  done
}

# bind_zone_serial [ADDR [ZONE]]: prints the SOA serial of ZONE (default DNS_ZONE) served by ADDR (default primary).
bind_zone_serial() {
  dig +short +norec +time=1 +tries=2 @"${1:-$DNS_PRIMARY}" "${2:-$DNS_ZONE}" SOA | awk '{print $3}'
}

# bind_wait_synced [TIMEOUT_S]: waits (default 10 s) until the secondary serves the primary's serial for every zone.
bind_wait_synced() {
  local deadline=$(( $(date +%s%N) + ${1:-10} * 1000000000 )) z want
  for z in "${BIND_ZONES[@]}"; do
    want=$(bind_zone_serial "$DNS_PRIMARY" "$z")
    until [ "$(bind_zone_serial "$DNS_SECONDARY" "$z")" = "$want" ]; do
      [ "$(date +%s%N)" -lt "$deadline" ] || fail "secondary did not reach serial $want of $z"
      sleep 0.05
    done
  done
}

# bind_update_count [STATS_URL]: prints how many UPDATE messages the server (default primary) received, from /json/v1/server.
bind_update_count() {
  local json n
  json=$(curl -fsS --max-time 5 "${1:-$BIND_STATS_URL}/json/v1/server") || fail "statistics channel unreachable"
  # "opcodes":{"QUERY":12,...,"UPDATE":3,...}; refused UPDATEs (bad/no TSIG) count too.
  n=$(printf '%s' "$json" | tr -d ' \n' | grep -o '"opcodes":{[^}]*}' | grep -o '"UPDATE":[0-9]*' | cut -d: -f2)
  echo "${n:-0}"
}

# pdns_start [ZONE]: starts PowerDNS (gsqlite3 backend, HTTP API) on 127.X.Y.4:53 serving ZONE (default pdns.test).
pdns_start() {
  dns_fixture_init
  local net dir="$FIXTURE_DIR/pdns" schema
  dns_net; net=$DNS_NET
  PDNS_ZONE=${1:-pdns.test}
  PDNS_ADDR="$net.4"
  local wport; wport=$(free_port)
  PDNS_API_URL="http://$PDNS_ADDR:$wport"
  PDNS_API_KEY=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
  PDNS_API_KEY_FILE="$FIXTURE_DIR/pdns-api.key"
  ( umask 077; printf '%s\n' "$PDNS_API_KEY" > "$PDNS_API_KEY_FILE" )
  mkdir -p "$dir/sock"
  for schema in /usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql \
                /usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql; do
    [ -f "$schema" ] && break
  done
  [ -f "$schema" ] || fail "pdns sqlite3 schema not found (install pdns-backend-sqlite3)"
  sqlite3 "$dir/pdns.sqlite3" < "$schema"
  cat > "$dir/pdns.conf" <<CONF
launch=gsqlite3
gsqlite3-database=$dir/pdns.sqlite3
local-address=$PDNS_ADDR
local-port=53
query-local-address=$PDNS_ADDR
socket-dir=$dir/sock
api=yes
api-key=$PDNS_API_KEY
webserver=yes
webserver-address=$PDNS_ADDR
webserver-port=$wport
webserver-allow-from=127.0.0.0/8
security-poll-suffix=
primary=no
secondary=no
disable-axfr=yes
cache-ttl=0
query-cache-ttl=0
negquery-cache-ttl=0
distributor-threads=1
receiver-threads=1
reuseport=no
loglevel=4
CONF
  cat > "$dir/zone.db" <<ZONE
\$ORIGIN $PDNS_ZONE.
\$TTL 60
@       SOA   ns1.$PDNS_ZONE. hostmaster.$PDNS_ZONE. 1 3600 600 86400 60
@       NS    ns1.$PDNS_ZONE.
ns1     A     $PDNS_ADDR
@       A     127.0.0.1
*       A     127.0.0.1
ZONE
  pdnsutil --config-dir="$dir" load-zone "$PDNS_ZONE" "$dir/zone.db" > "$FIXTURE_DIR/pdnsutil.log" 2>&1 ||
    { cat "$FIXTURE_DIR/pdnsutil.log" >&2; fail "pdnsutil load-zone failed"; }
  pdns_server --config-dir="$dir" --daemon=no --guardian=no --disable-syslog --write-pid=no \
    --socket-dir="$dir/sock" > "$FIXTURE_DIR/pdns.log" 2>&1 &
  FIXTURE_PIDS+=($!)
  dns_wait_soa "$PDNS_ADDR" "$PDNS_ZONE" || { tail -n 30 "$FIXTURE_DIR/pdns.log" >&2; fail "PowerDNS does not serve $PDNS_ZONE"; }
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null -H "X-API-Key: $PDNS_API_KEY" "$PDNS_API_URL/api/v1/servers/localhost" 2>/dev/null && break
    sleep 0.1
  done
  curl -fsS -o /dev/null -H "X-API-Key: $PDNS_API_KEY" "$PDNS_API_URL/api/v1/servers/localhost" ||
    { tail -n 30 "$FIXTURE_DIR/pdns.log" >&2; fail "PowerDNS API does not answer"; }
  export PDNS_ADDR PDNS_API_URL PDNS_API_KEY PDNS_API_KEY_FILE PDNS_ZONE
}

# pdns_api METHOD PATH [JSON]: calls the PowerDNS API (PATH after /api/v1) with the key; prints the body, fails on HTTP errors.
pdns_api() {
  local data=()
  [ $# -ge 3 ] && data=(--data "$3")
  curl -fsS --max-time 5 -X "$1" -H "X-API-Key: $PDNS_API_KEY" -H 'Content-Type: application/json' \
    "${data[@]}" "$PDNS_API_URL/api/v1$2"
}

# unbound_start [AUTH_ADDR]: a recursive resolver (Debian unbound) on $DNS_NET.5:53
# that reaches BIND_ZONES through stub zones at AUTH_ADDR (default: the secondary,
# which lags like a real one). It follows CNAMEs across zones as the CA's resolver
# would, caches nothing, and sends nothing beyond loopback. Exports DNS_RECURSIVE.
unbound_start() {
  local auth=${1:-$DNS_SECONDARY} z dir="$FIXTURE_DIR/unbound"
  [ -n "${DNS_NET:-}" ] || fail "unbound_start needs bind_start first"
  dns_lo_addr "$DNS_NET.5" || fail "cannot add $DNS_NET.5 to lo"
  DNS_RECURSIVE="$DNS_NET.5"
  mkdir -p "$dir"
  {
    cat <<CONF
server:
  interface: $DNS_RECURSIVE
  port: 53
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  username: ""
  chroot: ""
  directory: "$dir"
  pidfile: "$dir/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 1
  module-config: "iterator"
  cache-max-ttl: 1
  cache-max-negative-ttl: 0
  msg-cache-size: 1k
  rrset-cache-size: 1k
  num-threads: 1
remote-control:
  control-enable: no
# Everything outside the test zones goes to a closed loopback port: never the Internet.
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@1
CONF
    for z in "${BIND_ZONES[@]}"; do
      printf 'stub-zone:\n  name: "%s"\n  stub-addr: %s\n' "$z" "$auth"
      printf 'server:\n  domain-insecure: "%s"\n  local-zone: "%s" transparent\n' "$z" "$z"
    done
  } > "$dir/unbound.conf"
  unbound-checkconf "$dir/unbound.conf" >/dev/null || fail "bad unbound.conf"
  unbound -d -c "$dir/unbound.conf" > "$FIXTURE_DIR/unbound.log" 2>&1 &
  FIXTURE_PIDS+=($!)
  local ok=""
  for _ in $(seq 1 100); do
    if [ -n "$(dig +short +time=1 +tries=1 @"$DNS_RECURSIVE" "${BIND_ZONES[0]}" SOA 2>/dev/null)" ]; then ok=1; break; fi
    sleep 0.1
  done
  [ -n "$ok" ] || { tail -n 20 "$FIXTURE_DIR/unbound.log" >&2; fail "unbound does not answer"; }
  export DNS_RECURSIVE
}

# bind_wait_signed ZONE: waits until both servers serve ZONE's DNSKEY and a signed SOA
# (zones listed in BIND_DNSSEC_ZONES are signed by the primary with dnssec-policy default).
bind_wait_signed() {
  local zone=$1 ns
  for ns in "$DNS_PRIMARY" "$DNS_SECONDARY"; do
    for _ in $(seq 1 100); do
      if dig +dnssec +norec +time=1 +tries=1 @"$ns" "$zone" SOA 2>/dev/null | grep -q "RRSIG.*SOA"; then continue 2; fi
      bind_notify_secondary "$zone" >/dev/null 2>&1 || true
      sleep 0.1
    done
    fail "$zone is not served signed by $ns"
  done
}

# bind_trust_anchor ZONE FILE: writes ZONE's key-signing DNSKEY (flags 257) as a trust anchor file.
bind_trust_anchor() {
  dig +norec +noall +answer @"$DNS_PRIMARY" "$1" DNSKEY | awk '$5 == 257' > "$2"
  [ -s "$2" ] || fail "no KSK DNSKEY for $1"
}
