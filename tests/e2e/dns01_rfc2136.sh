# SPDX-License-Identifier: Apache-2.0
# dns-01 end to end: real BIND primary + secondary (NOTIFY/IXFR), RFC 2136 + TSIG
# writes, Pebble validating through the secondary. Base name + wildcard, an
# unrelated TXT value that must survive, a CNAME-delegated record, the exec hook,
# and no secret in even the most verbose log.
. "$(dirname "$0")/lib/fixture.sh"
. "$(dirname "$0")/lib/dns_fixture.sh"
fixture_init
bind_start acme.test delegated.test
unbound_start   # the CA's recursive resolver: follows CNAMEs across zones, reaches the secondary
PEBBLE_DNS="$DNS_RECURSIVE:53" pebble_start

cat > "$CONFIG_DIR/acmed.yaml" <<YAML
dns: {resolvers: ["$DNS_PRIMARY"]}
account: {agree_tos: true}
YAML
cat > "$CONFIG_DIR/certs.d/wild.yaml" <<YAML
names: [acme.test, "*.acme.test"]
solvers:
  - type: dns-01
    provider: rfc2136
    rfc2136: {server: "$DNS_PRIMARY", key_file: "$TSIG_KEY_FILE"}
    allow: [acme.test]
    propagation: {interval: 250ms, timeout: 30s}
YAML
# The administrator's own value at the same name must survive our cleanup.
bind_add_record acme.test '_acme-challenge 300 TXT "admin-owned-value"'
bind_wait_synced

start=$(date +%s%N)
acmed_run -vv issue wild > "$FIXTURE_DIR/wild.log" 2>&1 || { cat "$FIXTURE_DIR/wild.log"; fail "dns-01 issuance failed"; }
ms=$(( ($(date +%s%N) - start) / 1000000 ))
sans=$(openssl x509 -in "$STATE_DIR/live/wild/cert.pem" -noout -ext subjectAltName | tail -n +2 | tr -d ' ')
[ "$sans" = "DNS:acme.test,DNS:*.acme.test" ] || fail "unexpected SANs $sans"
prop=$(sed -n 's/.*all \([0-9]*\) nameserver checks pass after \([0-9]*\) ms.*/\2/p' "$FIXTURE_DIR/wild.log")
echo "# dns-01 base+wildcard issuance: ${ms} ms total, propagation to both authoritative servers: ${prop} ms"
bind_wait_synced
for ns in "$DNS_PRIMARY" "$DNS_SECONDARY"; do
  left=$(dns_txt "$ns" _acme-challenge.acme.test)
  [ "$left" = '"admin-owned-value"' ] || fail "after cleanup $ns serves: $left (want only the admin's value)"
done
pass "base name + wildcard via RFC 2136; only our records removed"
grep -q "$TSIG_SECRET" "$FIXTURE_DIR/wild.log" && fail "TSIG secret appeared in the trace log"
grep -q "$TSIG_SECRET" "$STATE_DIR" -r && fail "TSIG secret written to the state directory"
pass "TSIG secret never logged (trace level) nor stored"

# CNAME delegation: the record is written at the target, in another zone.
bind_add_record acme.test '_acme-challenge.www 60 CNAME _acme-challenge.www.delegated.test.'
bind_wait_synced
cat > "$CONFIG_DIR/certs.d/www.yaml" <<YAML
names: [www.acme.test]
solvers:
  - type: dns-01
    provider: rfc2136
    rfc2136: {server: "$DNS_PRIMARY", key_name: "$TSIG_NAME", secret_file: "$TSIG_SECRET_FILE"}
    allow: [delegated.test]
    propagation: {interval: 250ms, timeout: 30s}
YAML
acmed_run issue www > "$FIXTURE_DIR/www.log" 2>&1 || { cat "$FIXTURE_DIR/www.log"; fail "CNAME-delegated issuance failed"; }
grep -q "writing the record at _acme-challenge.www.delegated.test" "$FIXTURE_DIR/www.log" || fail "CNAME was not followed"
grep -q "added in zone delegated.test" "$FIXTURE_DIR/www.log" || fail "record not written in the delegated zone"
pass "CNAME on _acme-challenge followed into delegated.test"

# The exec hook: an operator script doing the write with nsupdate.
cat > "$FIXTURE_DIR/hook.sh" <<HOOK
#!/bin/bash
set -eu
case "\$1" in
  present) op="update add \$2. \$ACMED_TTL TXT \"\$3\"" ;;
  cleanup) op="update delete \$2. TXT \"\$3\"" ;;
  *) echo "unknown action \$1" >&2; exit 2 ;;
esac
printf 'server $DNS_PRIMARY\nlocal $DNS_PRIMARY\nzone %s\n%s\nsend\n' "\$ACMED_ZONE" "\$op" | nsupdate -t 5 -k "$TSIG_KEY_FILE"
echo "\$1 \$2" >> "$FIXTURE_DIR/hook.calls"
HOOK
chmod 755 "$FIXTURE_DIR/hook.sh"
cat > "$CONFIG_DIR/certs.d/hook.yaml" <<YAML
names: [hook.acme.test]
solvers:
  - type: dns-01
    provider: exec
    exec: {command: "$FIXTURE_DIR/hook.sh", timeout: 20s}
    propagation: {interval: 250ms, timeout: 30s}
YAML
acmed_run issue hook > "$FIXTURE_DIR/hook.log" 2>&1 || { cat "$FIXTURE_DIR/hook.log"; fail "exec-hook issuance failed"; }
[ "$(cat "$FIXTURE_DIR/hook.calls")" = "present _acme-challenge.hook.acme.test
cleanup _acme-challenge.hook.acme.test" ] || fail "hook calls: $(cat "$FIXTURE_DIR/hook.calls")"
[ -z "$(dns_txt "$DNS_PRIMARY" _acme-challenge.hook.acme.test)" ] || fail "hook record left behind"
pass "exec hook present + cleanup"

# The external-solver protocol: a program reading JSON on stdin answers dns-01.
cat > "$FIXTURE_DIR/external.sh" <<EXT
#!/bin/bash
set -eu
input=\$(cat)
echo "\$1" >> "$FIXTURE_DIR/external.calls"
[ "\$1" = wait ] && exit 3
name=\$(sed -n 's/.*"identifier":{[^}]*"value":"\\([^"]*\\)".*/\\1/p' <<<"\$input")
value=\$(sed -n 's/.*"dns01_txt_value":"\\([^"]*\\)".*/\\1/p' <<<"\$input")
[ -n "\$name" ] && [ -n "\$value" ] || { echo "bad input: \$input" >&2; exit 1; }
op=add; [ "\$1" = cleanup ] && op=delete
printf 'server $DNS_PRIMARY\\nlocal $DNS_PRIMARY\\nzone acme.test\\nupdate %s _acme-challenge.%s. 60 TXT "%s"\\nsend\\n' "\$op" "\$name" "\$value" | nsupdate -t 5 -k "$TSIG_KEY_FILE"
sleep 2   # no propagation check of its own: give the secondary time
echo '{"message": "external '"\$1"' done"}'
EXT
chmod 755 "$FIXTURE_DIR/external.sh"
cat > "$CONFIG_DIR/certs.d/ext.yaml" <<YAML
names: [ext.acme.test]
solvers:
  - type: external
    challenge: dns-01
    command: "$FIXTURE_DIR/external.sh"
    timeout: 20s
YAML
acmed_run issue ext > "$FIXTURE_DIR/ext.log" 2>&1 || { cat "$FIXTURE_DIR/ext.log"; fail "external-solver issuance failed"; }
[ "$(tr '\n' ' ' < "$FIXTURE_DIR/external.calls")" = "present wait cleanup " ] || fail "external calls: $(cat "$FIXTURE_DIR/external.calls")"
grep -q "external solver present: external present done" "$FIXTURE_DIR/ext.log" || fail "stdout message not logged"
[ -z "$(dns_txt "$DNS_PRIMARY" _acme-challenge.ext.acme.test)" ] || fail "external cleanup left the record"
pass "external solver program (present, wait=not implemented, cleanup)"

# A resolver that answers NOTIMPL to SOA (Boulder's test DNS, some split-horizon setups):
# the SOA walk cannot find the zone. 'zone:' names it; propagation.check: recursive asks
# that resolver (which relays everything but SOA to unbound) instead of the zone's servers.
NOTIMPL_PORT=$(free_port)
/usr/bin/python3 "$(dirname "$0")/lib/notimpl_dns.py" --listen "127.0.0.1:$NOTIMPL_PORT" \
  --upstream "$DNS_RECURSIVE:53" --log "$FIXTURE_DIR/notimpl.log" 2> "$FIXTURE_DIR/notimpl.stderr" &
FIXTURE_PIDS+=($!)
for _ in $(seq 1 50); do
  dig +short +time=1 +tries=1 -p "$NOTIMPL_PORT" @127.0.0.1 acme.test NS > /dev/null 2>&1 && break
  sleep 0.1
done
[ "$(dig +time=1 +tries=1 -p "$NOTIMPL_PORT" @127.0.0.1 acme.test SOA | grep -c 'status: NOTIMP')" = 1 ] ||
  fail "the NOTIMPL resolver does not answer NOTIMPL to SOA"
CONFIG2="$FIXTURE_DIR/config-notimpl"
mkdir -p "$CONFIG2/certs.d"
cat > "$CONFIG2/acmed.yaml" <<YAML
dns: {resolvers: ["127.0.0.1:$NOTIMPL_PORT"]}
account: {agree_tos: true}
YAML
notimpl_cert() {  # notimpl_cert ZONE_AND_PROPAGATION_LINES
  { printf 'names: [nosoa.acme.test]\nsolvers:\n  - type: dns-01\n    provider: rfc2136\n'
    printf '    rfc2136: {server: "%s", key_file: "%s"}\n' "$DNS_PRIMARY" "$TSIG_KEY_FILE"
    printf '%s' "$1"; } > "$CONFIG2/certs.d/nosoa.yaml"
}
notimpl_cert '    propagation: {interval: 250ms, timeout: 30s}
'
set +e; out=$(CONFIG_DIR=$CONFIG2 acmed_run issue nosoa 2>&1); rc=$?; set -e
[ "$rc" != 0 ] && grep -q "NOTIMP" <<<"$out" && grep -q "set 'zone' in this dns-01 solver" <<<"$out" ||
  fail "without zone: exit $rc: $out"
notimpl_cert '    zone: acme.test
    propagation: {check: recursive, interval: 250ms, timeout: 30s}
'
set +e; out=$(CONFIG_DIR=$CONFIG2 acmed_run config check 2>&1); rc=$?; set -e
[ "$rc" = 0 ] && grep -q "warning: .*nosoa.yaml:7:[0-9]*: propagation.check: recursive" <<<"$out" ||
  fail "config check does not warn about propagation.check: recursive: exit $rc: $out"
soa_before=$(wc -l < "$FIXTURE_DIR/notimpl.log")
CONFIG_DIR=$CONFIG2 acmed_run issue nosoa > "$FIXTURE_DIR/nosoa.log" 2>&1 ||
  { cat "$FIXTURE_DIR/nosoa.log"; fail "dns-01 with zone + propagation.check: recursive failed"; }
grep -q "added in zone acme.test" "$FIXTURE_DIR/nosoa.log" || fail "not written in the configured zone: $(cat "$FIXTURE_DIR/nosoa.log")"
grep -q "all 1 resolver checks pass" "$FIXTURE_DIR/nosoa.log" || fail "propagation not checked through the resolver"
[ "$(wc -l < "$FIXTURE_DIR/notimpl.log")" = "$soa_before" ] || fail "acmed still asked for an SOA"
[ -z "$(dns_txt "$DNS_PRIMARY" _acme-challenge.nosoa.acme.test)" ] || fail "record left behind"
pass "resolver without SOA: zone + propagation.check: recursive issues (RFC 2136 to BIND, Pebble validated), config check warns"
