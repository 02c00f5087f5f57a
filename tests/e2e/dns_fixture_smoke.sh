# SPDX-License-Identifier: Apache-2.0
# Smoke test of tests/e2e/lib/dns_fixture.sh: two BIND9 servers (primary + secondary
# with NOTIFY/IXFR and TSIG-only UPDATE) and PowerDNS with its HTTP API, on a random
# loopback /24. The outer run starts the real test as a child and then checks that
# every server process, loopback address and temp file it made is gone.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ -z "${DNS_SMOKE_INNER:-}" ]; then
  state=$(mktemp /tmp/acmed-dns-smoke.XXXXXX)
  trap 'rm -f "$state"' EXIT
  t0=$(date +%s%N)
  for mode in main no-notify; do
    DNS_SMOKE_INNER=$mode DNS_SMOKE_STATE="$state" bash "$0" || { echo "FAIL: inner run ($mode) failed" >&2; exit 1; }
    . "$state"   # PIDS, NET, DIR
    for pid in $PIDS; do
      ! kill -0 "$pid" 2>/dev/null || { echo "FAIL: server pid $pid still running" >&2; exit 1; }
    done
    ! grep -q " ${NET//./\\.}\." <<<"$(ip -4 -o addr show dev lo)" || { echo "FAIL: loopback addresses of $NET.0/24 left behind" >&2; exit 1; }
    [ ! -e "$DIR" ] || { echo "FAIL: $DIR left behind" >&2; exit 1; }
    echo "ok - $mode: no process, loopback address or temp dir left behind"
  done
  echo "dns_fixture_smoke: total $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  exit 0
fi

. "$here/lib/fixture.sh"
. "$here/lib/dns_fixture.sh"
ms() { echo $(( $(date +%s%N) / 1000000 )); }

if [ "$DNS_SMOKE_INNER" = no-notify ]; then
  # BIND_NOTIFY=no: the secondary stays stale until the test sends the NOTIFY itself.
  BIND_NOTIFY=no bind_start
  printf 'PIDS="%s"\nNET=%s\nDIR=%s\n' "${FIXTURE_PIDS[*]}" "${DNS_PRIMARY%.*}" "$FIXTURE_DIR" > "$DNS_SMOKE_STATE"
  bind_add_record acme.test '_acme-challenge 60 TXT "held"'
  sleep 1.5
  [ -z "$(dns_txt "$DNS_SECONDARY" _acme-challenge.acme.test)" ] || fail "secondary got the update without NOTIFY"
  [ "$(bind_zone_serial "$DNS_SECONDARY")" -lt "$(bind_zone_serial)" ] || fail "secondary serial not behind"
  bind_notify_secondary
  bind_wait_synced 5
  [ "$(dns_txt "$DNS_SECONDARY" _acme-challenge.acme.test)" = '"held"' ] || fail "secondary did not catch up"
  pass "BIND_NOTIFY=no: secondary stale for 1.5 s, in sync after bind_notify_secondary"
  exit 0
fi

t=$(ms)
bind_start acme.test delegated.test
pass "bind_start: primary $DNS_PRIMARY, secondary $DNS_SECONDARY in $(( $(ms) - t )) ms"
t=$(ms)
pdns_start
pass "pdns_start: $PDNS_ADDR, API $PDNS_API_URL in $(( $(ms) - t )) ms"
printf 'PIDS="%s"\nNET=%s\nDIR=%s\n' "${FIXTURE_PIDS[*]}" "${DNS_PRIMARY%.*}" "$FIXTURE_DIR" > "$DNS_SMOKE_STATE"

# Both BIND servers are authoritative for both zones, with in-zone NS and glue.
for addr in "$DNS_PRIMARY" "$DNS_SECONDARY"; do
  for z in acme.test delegated.test; do
    out=$(dig +norec +time=1 +tries=2 @"$addr" "$z" SOA)
    grep -qE 'flags:[^;]* aa[ ;]' <<<"$out" || fail "$addr is not authoritative for $z: $out"
    grep -q 'status: NOERROR' <<<"$out" || fail "$addr SOA $z: $out"
  done
  [ "$(dig +short +norec @"$addr" ns2.acme.test A)" = "$DNS_SECONDARY" ] || fail "glue for ns2.acme.test at $addr"
  [ "$(dig +short +norec @"$addr" anything.acme.test A)" = 127.0.0.1 ] || fail "wildcard A at $addr"
  # No recursion: a name outside the zones is refused, never looked up.
  grep -q 'status: REFUSED' <<<"$(dig +norec +time=1 +tries=1 @"$addr" example.com A)" || fail "$addr does not refuse example.com"
done
[ "$(dig +short +norec @"$DNS_PRIMARY" acme.test NS | sort | tr '\n' ' ')" = "ns1.acme.test. ns2.acme.test. " ] || fail "NS set"
pass "both BIND servers answer SOA with AA for acme.test and delegated.test, refuse other names"

# Secret files for acmed.
for f in "$TSIG_KEY_FILE" "$TSIG_SECRET_FILE" "$PDNS_API_KEY_FILE"; do
  [ "$(stat -c %a "$f")" = 600 ] || fail "$f is not mode 0600"
done
[ "$(cat "$TSIG_SECRET_FILE")" = "$TSIG_SECRET" ] || fail "tsig.secret content"
grep -q "algorithm $TSIG_ALG;" "$TSIG_KEY_FILE" && grep -q "\"$TSIG_SECRET\"" "$TSIG_KEY_FILE" || fail "tsig.key content"
pass "TSIG and API key files are mode 0600"

updates0=$(bind_update_count)
sent=0

# A TSIG-signed UPDATE reaches the primary, then the secondary via NOTIFY + IXFR.
serial0=$(bind_zone_serial)
t=$(ms)
bind_add_record acme.test '_acme-challenge.www 60 TXT "first string" "second"'
sent=$((sent + 1))
[ "$(dns_txt "$DNS_PRIMARY" _acme-challenge.www.acme.test)" = '"first string" "second"' ] || fail "TXT not at primary"
until [ -n "$(dns_txt "$DNS_SECONDARY" _acme-challenge.www.acme.test)" ]; do
  [ $(( $(ms) - t )) -lt 10000 ] || fail "TXT did not reach the secondary within 10 s"
  sleep 0.02
done
lag=$(( $(ms) - t ))
[ "$(bind_zone_serial)" -gt "$serial0" ] || fail "serial did not increase"
[ "$(bind_zone_serial "$DNS_SECONDARY")" = "$(bind_zone_serial)" ] || fail "secondary serial differs"
pass "nsupdate with TSIG: TXT at primary, at secondary after ${lag} ms"

# A second update shortly after is held back by notify-delay: the secondary lags.
t=$(ms)
bind_add_record acme.test '_acme-challenge.lag 60 TXT "x"'
sent=$((sent + 1))
stale=$(dns_txt "$DNS_SECONDARY" _acme-challenge.lag.acme.test)
bind_wait_synced
lag2=$(( $(ms) - t ))
[ "$(dns_txt "$DNS_SECONDARY" _acme-challenge.lag.acme.test)" = '"x"' ] || fail "bind_wait_synced returned before the record arrived"
pass "back-to-back update reached the secondary after ${lag2} ms (stale answer right after the update: '${stale}')"

# A wrong TSIG secret is refused and changes nothing.
bad=$(head -c 32 /dev/urandom | base64)
set +e
bad_out=$(printf 'server %s 53\nzone acme.test.\nupdate add evil.acme.test. 60 TXT "evil"\nsend\n' "$DNS_PRIMARY" |
  nsupdate -t 5 -y "$TSIG_ALG:$TSIG_NAME:$bad" 2>&1)
rc=$?
set -e
sent=$((sent + 1))
[ "$rc" -ne 0 ] || fail "update with a wrong TSIG secret succeeded"
grep -qE 'NOTAUTH|BADSIG|BADKEY|REFUSED' <<<"$bad_out" || fail "unexpected nsupdate output: $bad_out"
[ -z "$(dns_txt "$DNS_PRIMARY" evil.acme.test)" ] || fail "record from a wrong key was added"
# An unsigned update is refused as well.
set +e
out=$(printf 'server %s 53\nzone acme.test.\nupdate add evil.acme.test. 60 TXT "evil"\nsend\n' "$DNS_PRIMARY" | nsupdate -t 5 2>&1)
rc=$?
set -e
sent=$((sent + 1))
[ "$rc" -ne 0 ] && grep -q REFUSED <<<"$out" || fail "unsigned update was not refused: $out"
pass "updates with a wrong TSIG secret ($(echo "$bad_out" | tail -1)) and without TSIG ($(echo "$out" | tail -1)) are refused"

# CNAME delegation into the second zone; TXT with several strings there.
bind_add_record delegated.test '_acme-challenge.www.delegated.test. 60 TXT "delegated" "two"'
bind_add_record acme.test '_acme-challenge.alias 60 CNAME _acme-challenge.www.delegated.test.'
sent=$((sent + 2))
bind_wait_synced
for addr in "$DNS_PRIMARY" "$DNS_SECONDARY"; do
  [ "$(dig +short +norec @"$addr" _acme-challenge.alias.acme.test CNAME)" = "_acme-challenge.www.delegated.test." ] || fail "CNAME at $addr"
  [ "$(dns_txt "$addr" _acme-challenge.www.delegated.test)" = '"delegated" "two"' ] || fail "delegated TXT at $addr"
done
pass "CNAME _acme-challenge.alias.acme.test -> delegated.test served by both servers"

bind_delete_record acme.test _acme-challenge.lag TXT
sent=$((sent + 1))
[ -z "$(dns_txt "$DNS_PRIMARY" _acme-challenge.lag.acme.test)" ] || fail "bind_delete_record"

updates1=$(bind_update_count)
[ $((updates1 - updates0)) = "$sent" ] || fail "UPDATE counter went $updates0 -> $updates1, sent $sent"
[ "$(bind_update_count "$BIND_STATS_URL_SECONDARY")" = 0 ] || fail "secondary received UPDATEs"
pass "statistics channel counted exactly the $sent UPDATE messages sent (refused ones included)"

# PowerDNS: authoritative, API with key, PATCH rrsets then served.
grep -qE 'flags:[^;]* aa[ ;]' <<<"$(dig +norec +time=1 +tries=2 @"$PDNS_ADDR" "$PDNS_ZONE" SOA)" || fail "PowerDNS not authoritative"
[ "$(dig +short +norec @"$PDNS_ADDR" "ns1.$PDNS_ZONE" A)" = "$PDNS_ADDR" ] || fail "PowerDNS glue"
[ "$(dig +short +norec @"$PDNS_ADDR" "foo.$PDNS_ZONE" A)" = 127.0.0.1 ] || fail "PowerDNS wildcard"
zone_json=$(pdns_api GET "/servers/localhost/zones/$PDNS_ZONE.")
grep -q "\"name\": *\"$PDNS_ZONE.\"" <<<"$zone_json" || fail "zone GET: $zone_json"
code=$(curl -s -o /dev/null -w '%{http_code}' "$PDNS_API_URL/api/v1/servers/localhost/zones/$PDNS_ZONE.")
[ "$code" = 401 ] || fail "API without key answered $code"
pdns_api PATCH "/servers/localhost/zones/$PDNS_ZONE." \
  "{\"rrsets\":[{\"name\":\"_acme-challenge.$PDNS_ZONE.\",\"type\":\"TXT\",\"ttl\":60,\"changetype\":\"REPLACE\",
    \"records\":[{\"content\":\"\\\"via api\\\"\",\"disabled\":false}]}]}" > /dev/null
[ "$(dns_txt "$PDNS_ADDR" "_acme-challenge.$PDNS_ZONE")" = '"via api"' ] || fail "PowerDNS does not serve the PATCHed TXT"
pass "PowerDNS API (key required) GET zone and PATCH rrsets; record served at once"
