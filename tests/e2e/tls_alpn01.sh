# SPDX-License-Identifier: Apache-2.0
# tls-alpn-01 (RFC 8737) issuance with the real acmed and Pebble, driven by a certs.d
# file: two DNS names plus an IP identifier (RFC 8738 §6, reverse-DNS SNI), all
# validated by Pebble's VA connecting to acmed's responder on $TLSALPN_PORT.
# Checks: the chain verifies against Pebble's root, the SANs are the requested ones,
# Pebble validated tls-alpn-01 (not another type), and the responder port is freed.
. "$(dirname "$0")/lib/fixture.sh"
fixture_start

cat > "$CONFIG_DIR/acmed.yaml" <<YAML
ca:
  directory: $ACME_DIR
  trust_bundle: $CA_BUNDLE
account:
  contact: [ops@test.example]
  agree_tos: true
YAML
cat > "$CONFIG_DIR/certs.d/alpn.yaml" <<YAML
names: [a.alpn.test.example, b.alpn.test.example, 127.0.0.1]
solvers:
  - type: tls-alpn-01
    listen: 127.0.0.1:$TLSALPN_PORT
YAML
run() { "$ACMED" --config-dir "$CONFIG_DIR" --state-dir "$STATE_DIR" "$@"; }

run -v issue alpn 2> "$FIXTURE_DIR/issue.log" || { cat "$FIXTURE_DIR/issue.log"; fail "tls-alpn-01 issuance failed"; }
live="$STATE_DIR/live/alpn"
for f in cert chain fullchain privkey; do [ -s "$live/$f.pem" ] || fail "$f.pem missing"; done

pebble_root > "$FIXTURE_DIR/root.pem"
openssl verify -CAfile "$FIXTURE_DIR/root.pem" -untrusted "$live/chain.pem" "$live/cert.pem" >/dev/null \
  || fail "openssl verify rejected the chain"
pass "chain verifies against Pebble's root"

sans=$(openssl x509 -in "$live/cert.pem" -noout -ext subjectAltName | tail -n +2 | tr -d ' ')
[ "$sans" = "DNS:a.alpn.test.example,DNS:b.alpn.test.example,IPAddress:127.0.0.1" ] || fail "unexpected SANs: $sans"
pass "SANs are the requested ones ($sans)"

# Every authorization was answered through tls-alpn-01 (the only solver configured), and
# Pebble's VA reached the responder with the SNI RFC 8737 §3 / RFC 8738 §6 prescribe:
# the name itself, or the reverse-DNS name for the IP address.
for id in a.alpn.test.example b.alpn.test.example 127.0.0.1; do
  grep -q "$id: answered tls-alpn-01" "$FIXTURE_DIR/issue.log" || { cat "$FIXTURE_DIR/issue.log"; fail "$id was not answered with tls-alpn-01"; }
done
for sni in a.alpn.test.example b.alpn.test.example 1.0.0.127.in-addr.arpa; do
  grep -q "served the validation certificate for '$sni'" "$FIXTURE_DIR/issue.log" \
    || { cat "$FIXTURE_DIR/issue.log"; fail "no handshake with SNI $sni reached the responder"; }
done
pass "all three identifiers (two names, one IP) validated over tls-alpn-01"

if ss -Hltn "sport = :$TLSALPN_PORT" | grep -q .; then fail "port $TLSALPN_PORT still listening after issuance"; fi
pass "responder port freed after cleanup"

# A busy port is reported clearly and does not hang: hold it with openssl s_server.
openssl s_server -accept "127.0.0.1:$TLSALPN_PORT" -cert "$FIXTURE_DIR/server.pem" \
  -key "$FIXTURE_DIR/server.key" < /dev/null > "$FIXTURE_DIR/holder.out" 2>&1 &
holder=$!
FIXTURE_PIDS+=("$holder")
for _ in $(seq 1 50); do grep -q ACCEPT "$FIXTURE_DIR/holder.out" 2>/dev/null && break; sleep 0.1; done
grep -q ACCEPT "$FIXTURE_DIR/holder.out" || fail "could not occupy port $TLSALPN_PORT for the busy-port check"
if run issue alpn 2> "$FIXTURE_DIR/busy.log"; then fail "issuance succeeded although the tls-alpn-01 port was taken"; fi
grep -q "cannot listen on 127.0.0.1:$TLSALPN_PORT" "$FIXTURE_DIR/busy.log" || { cat "$FIXTURE_DIR/busy.log"; fail "no clear error for a busy port"; }
kill "$holder" 2>/dev/null || true
pass "a busy responder port gives a clear error"
