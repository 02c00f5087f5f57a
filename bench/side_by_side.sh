#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# acmed, certbot and lego (Debian bookworm packages) side by side in one run, on the
# same Pebble (2.10 from Debian sid, for dns-persist-01), the same BIND primary +
# secondary and the same unbound in front of Pebble, all on loopback. Three jobs, one
# name each, clients interleaved within every run:
#   http-01         a NEW account every run (fresh state/config dir per client and run)
#   dns-01          RFC 2136 + TSIG to the BIND primary, cached accounts (warm-up run)
#   dns-persist-01  acmed only, cached account, the record published once up front
# Per cell: median wall ms over RUNS runs and the median number of requests Pebble's
# WFE logged per issuance (count_pebble_requests before/after). Fails (non-zero, with
# the client's log) when any issuance fails.
#
#   bash bench/side_by_side.sh [RUNS=5]        # SKIP_BUILD=1: use build-release/ as it is
#
# Peer flags that matter:
# - certbot dns-rfc2136 sleeps --dns-rfc2136-propagation-seconds (default 60) and checks
#   nothing; it runs with 0 (the plugin's int option accepts 0). lego runs with
#   --dns.disable-cp (its authoritative check resolves NS names through the system
#   resolver, which would leave loopback) and --dns.resolvers unbound; so neither peer
#   waits for propagation. That is safe only because unbound (Pebble's resolver) asks
#   the PRIMARY here and the secondary gets NOTIFY at once (BIND_NOTIFY_DELAY=0); acmed
#   still polls both authoritative servers (propagation interval 100ms).
# - certbot: certonly --standalone --http-01-address 127.0.0.1, REQUESTS_CA_BUNDLE for the
#   test CA, --force-renewal for the cached dns-01 lineage. lego: LEGO_CA_CERTIFICATES,
#   --http.port 127.0.0.1:PORT, RFC2136_SEQUENCE_INTERVAL=1 (unused with one name).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
bash scripts/install-deps.sh >/dev/null
command -v certbot >/dev/null && command -v lego >/dev/null && [ -d /usr/lib/python3/dist-packages/certbot_dns_rfc2136 ] ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq certbot python3-certbot-dns-rfc2136 lego >/dev/null
. bench/acmed_release.sh
. tests/e2e/lib/fixture.sh
. tests/e2e/lib/dns_fixture.sh
fixture_init
cp -p "$ACMED" "$FIXTURE_DIR/acmed"; ACMED="$FIXTURE_DIR/acmed"   # a concurrent rebuild cannot change it mid-run
BIND_NOTIFY_DELAY=0 bind_start bench.test   # zone has "* A 127.0.0.1": every http-01 name is loopback
unbound_start "$DNS_PRIMARY"
PEBBLE_BIN=$(pebble_sid)
CAA_IDENTITIES='["pebble.letsencrypt.org"]' PEBBLE_DNS="$DNS_RECURSIVE:53" pebble_start
Z=bench.test

# acmed: one config dir; http-01 runs get a fresh state dir, dns jobs share $STATE_DIR.
cat > "$CONFIG_DIR/acmed.yaml" <<YAML
dns: {resolvers: ["$DNS_RECURSIVE"], dnssec: off}
account: {agree_tos: true}
YAML
printf 'names: [h-acmed.%s]\nsolvers:\n  - type: http-01\n    listen: 127.0.0.1:%s\n' "$Z" "$HTTP01_PORT" \
  > "$CONFIG_DIR/certs.d/http.yaml"
cat > "$CONFIG_DIR/certs.d/dns.yaml" <<YAML
names: [d-acmed.$Z]
solvers:
  - type: dns-01
    provider: rfc2136
    rfc2136: {server: "$DNS_PRIMARY", key_file: "$TSIG_KEY_FILE"}
    propagation: {interval: 100ms, timeout: 60s}
YAML
printf 'names: [p-acmed.%s]\nsolvers:\n  - type: dns-persist-01\n' "$Z" > "$CONFIG_DIR/certs.d/persist.yaml"
acmed_in() { local s=$1; shift; "$ACMED" --config-dir "$CONFIG_DIR" --state-dir "$s" --server "$ACME_DIR" --ca-bundle "$CA_BUNDLE" "$@"; }

# certbot: its own config/work/logs dirs under DIR.
INI="$FIXTURE_DIR/certbot-rfc2136.ini"
( umask 077; cat > "$INI" <<INI
dns_rfc2136_server = $DNS_PRIMARY
dns_rfc2136_port = 53
dns_rfc2136_name = $TSIG_NAME
dns_rfc2136_secret = $TSIG_SECRET
dns_rfc2136_algorithm = ${TSIG_ALG^^}
INI
)
certbot_in() {
  local d=$1; shift
  REQUESTS_CA_BUNDLE="$CA_BUNDLE" certbot certonly --non-interactive --agree-tos --register-unsafely-without-email \
    --server "$ACME_DIR" --config-dir "$d/etc" --work-dir "$d/work" --logs-dir "$d/logs" "$@"
}
CERTBOT_DNS=(--authenticator dns-rfc2136 --dns-rfc2136-credentials "$INI" --dns-rfc2136-propagation-seconds 0
             --force-renewal -d "d-certbot.$Z")

# lego: its own --path DIR.
export LEGO_CA_CERTIFICATES="$CA_BUNDLE" RFC2136_NAMESERVER="$DNS_PRIMARY:53" RFC2136_TSIG_KEY="$TSIG_NAME" \
  RFC2136_TSIG_SECRET="$TSIG_SECRET" RFC2136_TSIG_ALGORITHM="$TSIG_ALG." RFC2136_POLLING_INTERVAL=1 \
  RFC2136_PROPAGATION_TIMEOUT=60 RFC2136_TTL=60 RFC2136_SEQUENCE_INTERVAL=1
lego_in() { local d=$1; shift; lego --server "$ACME_DIR" --accept-tos --email bench@test.example --path "$d" "$@" run; }
LEGO_DNS=(--dns rfc2136 --dns.resolvers "$DNS_RECURSIVE:53" --dns.disable-cp --domains "d-lego.$Z")

# One issuance: wall ms and Pebble requests, kept per job/client; a failure ends the bench.
declare -A MS REQ
one() {
  local job=$1 client=$2 log="$FIXTURE_DIR/$1-$2.log" b s ms n; shift 2
  b=$(count_pebble_requests); s=$(date +%s%N)
  if ! "$@" > "$log" 2>&1; then
    echo "FAIL: $client $job issuance failed (run $([ "$run" = 0 ] && echo warm-up || echo "$run")); last lines of its output:" >&2
    tail -n 25 "$log" >&2; exit 1
  fi
  ms=$(( ($(date +%s%N) - s) / 1000000 )); n=$(( $(count_pebble_requests) - b ))
  [ "$run" = 0 ] && return 0
  MS[$job/$client]+="$ms "; REQ[$job/$client]+="$n "
  printf '  %-15s %-8s %6d ms %4d requests\n' "$job" "$client" "$ms" "$n"
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

echo "$("$ACMED" --version 2>&1 | head -n 1) (binary of $(date -r "$ACMED" '+%F %T'), HEAD $(git rev-parse --short HEAD)), certbot $(dpkg-query -W -f '${Version}' certbot)," \
  "lego $(dpkg-query -W -f '${Version}' lego)," \
  "pebble $(dpkg-deb -f "$(ls -t "${PEBBLE_BIN%/root/usr/bin/pebble}"/pebble_*.deb | head -n 1)" Version) (sid), $(named -v)"
echo "DNS: BIND primary $DNS_PRIMARY + secondary $DNS_SECONDARY (NOTIFY delay 0), Pebble resolves via unbound $DNS_RECURSIVE -> primary"
echo "certbot dns-01: --dns-rfc2136-propagation-seconds 0; lego dns-01: --dns.disable-cp; acmed polls both servers every 100ms"

# Warm-up (not timed): cached accounts for the dns jobs, the dns-persist-01 record.
run=0
acmed_in "$STATE_DIR" account register > "$FIXTURE_DIR/register.log" 2>&1 || { cat "$FIXTURE_DIR/register.log" >&2; exit 1; }
v=$(acmed_in "$STATE_DIR" persist record persist --format json | sed -n 's/^      "value": "\(.*\)"$/\1/p')
[ -n "$v" ] && [ "$(wc -l <<<"$v")" = 1 ] || { echo "FAIL: no single dns-persist-01 record value: $v" >&2; exit 1; }
bind_add_record "$Z" "_validation-persist.p-acmed 3600 TXT \"$v\""
bind_wait_synced
one dns-01 acmed acmed_in "$STATE_DIR" issue dns
one dns-01 certbot certbot_in "$FIXTURE_DIR/certbot-dns" "${CERTBOT_DNS[@]}"
one dns-01 lego lego_in "$FIXTURE_DIR/lego-dns" "${LEGO_DNS[@]}"
one dns-persist-01 acmed acmed_in "$STATE_DIR" issue persist

for run in $(seq 1 "$RUNS"); do
  echo "run $run:"
  d="$FIXTURE_DIR/run$run"
  one http-01 acmed acmed_in "$d/acmed" issue http
  one http-01 certbot certbot_in "$d/certbot" --standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT" \
    -d "h-certbot.$Z"
  one http-01 lego lego_in "$d/lego" --http --http.port "127.0.0.1:$HTTP01_PORT" --domains "h-lego.$Z"
  one dns-01 acmed acmed_in "$STATE_DIR" issue dns
  one dns-01 certbot certbot_in "$FIXTURE_DIR/certbot-dns" "${CERTBOT_DNS[@]}"
  one dns-01 lego lego_in "$FIXTURE_DIR/lego-dns" "${LEGO_DNS[@]}"
  one dns-persist-01 acmed acmed_in "$STATE_DIR" issue persist
done

echo
echo "medians over $RUNS runs (wall ms; ACME requests Pebble received per issuance):"
printf '  %-38s %16s %16s %16s\n' job acmed certbot lego
cell() { local k=$1/$2; [ -n "${MS[$k]:-}" ] && echo "$(median <<<"${MS[$k]}") ms, $(median <<<"${REQ[$k]}") req" || echo "-"; }
for job in "http-01:http-01, new account" "dns-01:dns-01 (RFC 2136), cached account" \
           "dns-persist-01:dns-persist-01, cached account"; do
  printf '  %-38s %16s %16s %16s\n' "${job#*:}" "$(cell "${job%%:*}" acmed)" "$(cell "${job%%:*}" certbot)" \
    "$(cell "${job%%:*}" lego)"
done
ratio() { awk -v a="$(median <<<"${MS[$1/acmed]}")" -v b="$(median <<<"${MS[$1/$2]}")" 'BEGIN {printf "%.2f", b/a}'; }
echo "ratios (median wall time): http-01 certbot/acmed = $(ratio http-01 certbot), lego/acmed = $(ratio http-01 lego);" \
  "dns-01 certbot/acmed = $(ratio dns-01 certbot), lego/acmed = $(ratio dns-01 lego)"
echo "acmed dns-persist-01: median $(median <<<"${MS[dns-persist-01/acmed]}") ms," \
  "$(median <<<"${REQ[dns-persist-01/acmed]}") ACME requests per issuance"
