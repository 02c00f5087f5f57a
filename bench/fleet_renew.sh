#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A fleet renewal: N (default 100) dns-persist-01 certificates, none issued yet, and
# three acmed nodes sharing one PostgreSQL store (Debian's postgresql on a Unix socket,
# tests/support/with_postgres.sh), one account and one record per name, against Pebble
# 2.10, BIND and unbound. All three run `acmed renew --all -j JOBS` at the same moment.
# Reports: wall time until all three finished; ACME requests (Pebble's count, and each
# node's); orders (must be N: each certificate exactly once); lock waits, i.e.
# certificates a node found locked by another and skipped; then the time for every
# node to deploy (acmed sync) and the versions each node made.
#
#   bash bench/fleet_renew.sh [N=100] [JOBS=8]     # SKIP_BUILD=1: use build-release/ as it is
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
JOBS=${2:-8}
bash scripts/install-deps.sh >/dev/null
. bench/acmed_release.sh
if [ -z "${ACMED_TEST_PG_DSN:-}" ]; then
  ACMED=$ACMED exec bash tests/support/with_postgres.sh bash "$0" "$@"
fi
. tests/e2e/lib/fixture.sh
. tests/e2e/lib/dns_fixture.sh
fixture_init
bind_start bench.test
unbound_start
PEBBLE_BIN=$(pebble_sid) CAA_IDENTITIES='["pebble.letsencrypt.org"]' PEBBLE_DNS="$DNS_RECURSIVE:53" pebble_start
sql() { psql -X -A -t -q -d "$ACMED_TEST_PG_DSN" -c "$1"; }
( umask 077; printf '%s\n' "$ACMED_TEST_PG_DSN" > "$FIXTURE_DIR/pg.dsn"; openssl rand -base64 32 > "$FIXTURE_DIR/state.key" )
for n in 1 2 3; do
  mkdir -p "$FIXTURE_DIR/etc$n/certs.d"
  cat > "$FIXTURE_DIR/etc$n/acmed.yaml" <<YAML
dns: {resolvers: ["$DNS_RECURSIVE"], dnssec: off}
account: {agree_tos: true}
state: {backend: postgresql, dsn_file: "$FIXTURE_DIR/pg.dsn", key_file: "$FIXTURE_DIR/state.key", node: node$n}
YAML
  for i in $(seq 1 "$N"); do printf 'names: [p%s.bench.test]\nsolvers:\n  - type: dns-persist-01\n' "$i" > "$FIXTURE_DIR/etc$n/certs.d/p$i.yaml"; done
done
node_run() {
  local n=$1; shift
  "$ACMED" --config-dir "$FIXTURE_DIR/etc$n" --state-dir "$FIXTURE_DIR/state$n" --server "$ACME_DIR" --ca-bundle "$CA_BUNDLE" "$@"
}
node_run 1 account register > /dev/null 2>&1 || fail "account registration failed"
v=$(node_run 1 persist record p1 --format json | sed -n 's/^      "value": "\(.*\)"$/\1/p')
[ -n "$v" ] || fail "no record value"
records=()
for i in $(seq 1 "$N"); do records+=("_validation-persist.p$i 3600 TXT \"$v\""); done
bind_add_record bench.test "${records[@]}"
bind_wait_synced 30
orders() { grep -c 'POST /order-plz' "$FIXTURE_DIR/pebble.log" || [ $? = 1 ]; }

b=$(count_pebble_requests); o=$(orders)
s=$(date +%s%N)
for n in 1 2 3; do
  /usr/bin/time -f "%U %S" -o "$FIXTURE_DIR/cpu$n" "$ACMED" --config-dir "$FIXTURE_DIR/etc$n" --state-dir "$FIXTURE_DIR/state$n" \
    --server "$ACME_DIR" --ca-bundle "$CA_BUNDLE" -q renew --all -j "$JOBS" --json > "$FIXTURE_DIR/out$n.json" 2> "$FIXTURE_DIR/renew$n.log" &
  eval "p$n=$!"
done
for n in 1 2 3; do eval "wait \$p$n" || { tail -20 "$FIXTURE_DIR/renew$n.log" >&2; fail "node$n renew failed"; }; done
ms=$(( ($(date +%s%N) - s) / 1000000 ))
[ "$(orders)" = $((o + N)) ] || fail "want $N orders, Pebble saw $(( $(orders) - o ))"
read -r renewed locked reqs < <(/usr/bin/python3 - "$FIXTURE_DIR" <<'PY'
import json, sys
r = l = q = 0
for n in (1, 2, 3):
    d = json.load(open(f"{sys.argv[1]}/out{n}.json"))
    r += d["renewed"]; q += d["http_requests"]
    l += sum(1 for c in d["certificates"] if c["action"] == "locked")
print(r, l, q)
PY
)
[ "$renewed" = "$N" ] || fail "the nodes renewed $renewed certificates in all, want $N"
s=$(date +%s%N)
for n in 1 2 3; do node_run "$n" -q sync > /dev/null 2>&1 || fail "node$n sync"; done
sync_ms=$(( ($(date +%s%N) - s) / 1000000 ))
echo "fleet of 3 nodes, $N certificates, renew --all -j $JOBS on all three at once ($("$ACMED" --version | head -n 1), HEAD $(git rev-parse --short HEAD)):"
echo "  wall time $ms ms; $N orders (each certificate once); ACME requests: Pebble saw $(( $(count_pebble_requests) - b )), the nodes counted $reqs"
echo "  lock waits: $locked certificate(s) found locked by another node and skipped"
cpu=$(cat "$FIXTURE_DIR"/cpu1 "$FIXTURE_DIR"/cpu2 "$FIXTURE_DIR"/cpu3 | awk '{u += $1; s += $2} END {printf "%.2f s (%.2f user + %.2f sys)", u + s, u, s}')
echo "  CPU of the three renew processes together: $cpu"
polls() { grep -c "POST /$1" "$FIXTURE_DIR/pebble.log" || [ $? = 1 ]; }
echo "  polls: $(( $(polls authZ) - N )) authorization polls, $(polls my-order) order polls for $N orders"
echo "  versions made per node: $(sql "SELECT string_agg(node || '=' || c, ' ' ORDER BY node) FROM (SELECT node, count(*) c FROM acmed_cert_versions GROUP BY node) x")"
echo "  every node deployed every certificate (acmed sync, 3 nodes one after another): $sync_ms ms"
[ "$(sql "SELECT count(*) FROM acmed_node_versions")" = $((3 * N)) ] || fail "not every node deployed every certificate"
