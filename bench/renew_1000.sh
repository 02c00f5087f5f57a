#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `acmed renew --all` with N configured certificates (default 1000) and nothing due:
# wall time, CPU time (user + system) and peak memory (GNU time), first run (fills the ARI cache: one
# renewalInfo lookup per certificate against a local Pebble) and steady state.
# certbot needs about a minute per thousand for this (certbot issue #6027).
# Then the status views over the same N: `list --json`, `status --offline --json`, and
# `acmed serve`: the page (first 50, with live CAA checks against Pebble's DNS server),
# one API page (?limit=50) and the whole API list.
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
dns: {resolvers: ["127.0.0.1:$DNS_PORT"], dnssec: off}
YAML
# One real certificate from Pebble, stored under N names (same content, N configs).
printf 'names: [bench.example]\nsolvers:\n  - type: http-01\n    listen: 127.0.0.1:%s\n' "$HTTP01_PORT" \
  > "$CONFIG_DIR/certs.d/c0.yaml"
"$ACMED" --config-dir "$CONFIG_DIR" --state-dir "$STATE_DIR" issue c0 > /dev/null 2>&1
# (In Python: a shell loop spawns 9 processes per certificate, minutes for 10,000.)
/usr/bin/python3 - "$CONFIG_DIR" "$STATE_DIR" "$N" <<'PY'
import os, shutil, sys
config, state, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(1, n):
    shutil.copy(f"{config}/certs.d/c0.yaml", f"{config}/certs.d/c{i}.yaml")
    os.makedirs(f"{state}/archive/c{i}"); os.makedirs(f"{state}/live/c{i}")
    for f in ("cert", "chain", "fullchain", "privkey"):
        shutil.copy2(f"{state}/archive/c0/{f}1.pem", f"{state}/archive/c{i}/{f}1.pem")
        os.symlink(f"../../archive/c{i}/{f}1.pem", f"{state}/live/c{i}/{f}.pem")
PY
timed() {  # timed LABEL ARGS...: one acmed command, its wall and CPU time and peak RSS
  local label=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$FIXTURE_DIR/time" "$ACMED" --config-dir "$CONFIG_DIR" --state-dir "$STATE_DIR" \
    -q "$@" > "$FIXTURE_DIR/out.json"
  read -r secs user sys kb < "$FIXTURE_DIR/time"
  echo "$label: $secs s wall, $(awk "BEGIN {print $user + $sys}") s CPU ($user user + $sys sys), peak RSS $((kb / 1024)) MiB$(extra)"
}
extra() { echo ", $(grep -c '"action": "not-due"' "$FIXTURE_DIR/out.json") of $N not due"; }
timed "first run (ARI lookups)" renew --all --json
timed "steady state" renew --all --json
timed "steady state" renew --all --json
extra() { echo ", $(grep -c '"serial"' "$FIXTURE_DIR/out.json") certificates shown"; }
timed "list --json" list --json
timed "status --offline --json" status --offline --json

port=$(free_port)
"$ACMED" --config-dir "$CONFIG_DIR" --state-dir "$STATE_DIR" -q serve --listen "127.0.0.1:$port" > /dev/null 2>&1 &
FIXTURE_PIDS+=($!)
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/api/v1/health" > /dev/null 2>&1 && break; sleep 0.1; done
serve_cpu() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }
fetch() {  # fetch LABEL PATH: wall time of one request, and the server's CPU for it
  local before after
  before=$(serve_cpu "${FIXTURE_PIDS[-1]}")
  curl -fsS -o "$FIXTURE_DIR/page" -w '%{time_total}' "http://127.0.0.1:$port$2" > "$FIXTURE_DIR/t"
  after=$(serve_cpu "${FIXTURE_PIDS[-1]}")
  echo "serve $1: $(cat "$FIXTURE_DIR/t") s wall, $(awk "BEGIN {print $after - $before}") s CPU, $(wc -c < "$FIXTURE_DIR/page") bytes"
}
fetch "page / (50 shown, live CAA)" /
fetch "page /?filter=c9999" "/?filter=c9999"
fetch "API ?limit=50" "/api/v1/certificates?limit=50"
fetch "API (all $N)" /api/v1/certificates
