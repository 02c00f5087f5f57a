#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Demo: installs missing packages, builds acmed, starts a local Pebble CA on
# 127.0.0.1 and issues a real two-name certificate over http-01 with acmed.
# Only what the demo needs: the build packages and Pebble (not the test suite's
# servers and tools: scripts/test.sh installs those), and only the acmed binary, in its
# own build directory (no tests, no examples, -O1 without debug information).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh build demo
export BUILD_DIR=${BUILD_DIR:-build-demo}
TARGETS=acmed JOBS=${JOBS:-$(nproc)} bash scripts/build.sh -DACMED_BUILD_TESTS=OFF -DACMED_BUILD_EXAMPLES=OFF \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -DNDEBUG"
ACMED="$PWD/$BUILD_DIR/src/cli/acmed"
. tests/e2e/lib/fixture.sh
fixture_start
echo "== local CA: $ACME_DIR"
"$ACMED" --config-dir "$CONFIG_DIR" --state-dir "$STATE_DIR" --server "$ACME_DIR" --ca-bundle "$CA_BUNDLE" \
  --agree-tos --contact admin@demo.example \
  issue demo -d demo.example -d www.demo.example --http-01-listen "127.0.0.1:$HTTP01_PORT"
pebble_root > "$FIXTURE_DIR/root.pem"
echo "== issued certificate"
openssl x509 -in "$STATE_DIR/live/demo/cert.pem" -noout -subject -issuer -enddate -ext subjectAltName
openssl verify -CAfile "$FIXTURE_DIR/root.pem" -untrusted "$STATE_DIR/live/demo/chain.pem" "$STATE_DIR/live/demo/cert.pem"
echo "== files"
ls -l "$STATE_DIR/live/demo"
echo "demo: done (the CA and its state are removed on exit)"
