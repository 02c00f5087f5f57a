#!/usr/bin/env bash
# `acmed renew --all` with N configured certificates (default 1000) and nothing due:
# wall time, CPU time (user + system) and peak memory (GNU time), first run (fills the ARI cache: one
# renewalInfo lookup per certificate against a local Pebble) and steady state.
# certbot needs about a minute per thousand for this (certbot issue #6027).
#
#   bash bench/renew_1000.sh [N=1000]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
bash scripts/install-deps.sh >/dev/null
command -v /usr/bin/time >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
. bench/acmed_release.sh
. tests/e2e/lib/fixture.sh
fixture_start
cat > "$CONFIG_DIR/acmed.yaml" <<YAML
ca: {directory: "$ACME_DIR", trust_bundle: "$CA_BUNDLE"}
account: {agree_tos: true}
YAML
# One real certificate from Pebble, stored under N names (same content, N configs).
printf 'names: [bench.example]\nsolvers:\n  - type: http-01\n    listen: 127.0.0.1:%s\n' "$HTTP01_PORT" \
  > "$CONFIG_DIR/certs.d/c0.yaml"
"$ACMED" --config-dir "$CONFIG_DIR" --state-dir "$STATE_DIR" issue c0 > /dev/null 2>&1
for i in $(seq 1 $((N - 1))); do
  cp "$CONFIG_DIR/certs.d/c0.yaml" "$CONFIG_DIR/certs.d/c$i.yaml"
  mkdir -p "$STATE_DIR/archive/c$i" "$STATE_DIR/live/c$i"
  for f in cert chain fullchain privkey; do
    cp "$STATE_DIR/archive/c0/${f}1.pem" "$STATE_DIR/archive/c$i/${f}1.pem"
    ln -s "../../archive/c$i/${f}1.pem" "$STATE_DIR/live/c$i/$f.pem"
  done
done
measure() {
  /usr/bin/time -f "%e %U %S %M" -o "$FIXTURE_DIR/time" "$ACMED" --config-dir "$CONFIG_DIR" --state-dir "$STATE_DIR" \
    -q renew --all --json > "$FIXTURE_DIR/out.json"
  read -r secs user sys kb < "$FIXTURE_DIR/time"
  due=$(grep -c '"action": "not-due"' "$FIXTURE_DIR/out.json")
  echo "$1: $secs s wall, $(awk "BEGIN {print $user + $sys}") s CPU ($user user + $sys sys), peak RSS $((kb / 1024)) MiB, $due of $N not due"
}
measure "first run (ARI lookups)"
measure "steady state"
measure "steady state"
