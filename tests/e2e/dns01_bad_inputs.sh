# SPDX-License-Identifier: Apache-2.0
# dns-01 bad inputs: each gets a specific message and leaves nothing half-done
# (no certificate, no record, no journal entry; UPDATEs only where one was tried).
. "$(dirname "$0")/lib/fixture.sh"
. "$(dirname "$0")/lib/dns_fixture.sh"
fixture_init
bind_start acme.test
unbound_start
PEBBLE_DNS="$DNS_RECURSIVE:53" pebble_start
cat > "$CONFIG_DIR/acmed.yaml" <<YAML
dns: {resolvers: ["$DNS_PRIMARY"]}
account: {agree_tos: true}
YAML
( umask 077; echo "c2VjcmV0LXRoYXQtaXMtd3Jvbmc=" > "$FIXTURE_DIR/wrong.secret" )
cp "$TSIG_SECRET_FILE" "$FIXTURE_DIR/open.secret"; chmod 644 "$FIXTURE_DIR/open.secret"

cert() {  # cert NAME DOMAIN RFC2136-SETTINGS [EXTRA-SOLVER-LINES]
  cat > "$CONFIG_DIR/certs.d/$1.yaml" <<YAML
names: [$2]
solvers:
  - type: dns-01
    provider: rfc2136
    rfc2136: {$3}
    propagation: {interval: 200ms, timeout: 10s}
${4:-}
YAML
}
check() {  # check NAME CODE PATTERN UPDATES_EXPECTED
  local before after out rc
  before=$(bind_update_count)
  set +e; out=$(acmed_run issue "$1" 2>&1); rc=$?; set -e
  after=$(bind_update_count)
  [ "$rc" = "$2" ] || fail "$1: exit $rc, want $2: $out"
  grep -qE "$3" <<<"$out" || fail "$1: message does not match '$3': $out"
  [ $((after - before)) = "$4" ] || fail "$1: $((after - before)) UPDATE messages, want $4"
  [ ! -e "$STATE_DIR/live/$1" ] || fail "$1: a certificate was written"
  [ ! -s "$STATE_DIR/solvers/$1/dns01-journal" ] || fail "$1: journal entry left"
  [ -z "$(dig +short @"$DNS_PRIMARY" AXFR acme.test -y "$TSIG_ALG:$TSIG_NAME:$TSIG_SECRET" | grep -i _acme-challenge)" ] \
    || fail "$1: an _acme-challenge record is left in the zone"
  pass "$1: $(grep -m1 -oE "$3" <<<"$out")"
}

cert wrongkey wrongkey.acme.test "server: \"$DNS_PRIMARY\", key_name: \"$TSIG_NAME\", secret_file: \"$FIXTURE_DIR/wrong.secret\""
check wrongkey 1 "TSIG verification failed.*wrong secret for key" 1

cert unserved www.unserved.test "server: \"$DNS_PRIMARY\", key_file: \"$TSIG_KEY_FILE\""
check unserved 1 "looking up _acme-challenge.www.unserved.test.*REFUSED" 0

cert openkey open.acme.test "server: \"$DNS_PRIMARY\", key_name: \"$TSIG_NAME\", secret_file: \"$FIXTURE_DIR/open.secret\""
check openkey 2 "readable by group or others .*chmod 600" 0

cert deadserver dead.acme.test "server: \"127.0.0.1:1\", key_file: \"$TSIG_KEY_FILE\""
check deadserver 1 "adding TXT _acme-challenge.dead.acme.test via 127.0.0.1:1: " 0

cert outside outside.acme.test "server: \"$DNS_PRIMARY\", key_file: \"$TSIG_KEY_FILE\"" "    allow: [other.test]"
check outside 2 "refusing to write TXT at _acme-challenge.outside.acme.test: not covered" 0

cert badprovider x.acme.test "server: \"$DNS_PRIMARY\", key_file: \"$TSIG_KEY_FILE\", tsig: x"
check badprovider 2 "unknown rfc2136 setting 'tsig'" 0
