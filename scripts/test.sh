#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite: installs missing Debian packages, builds, and runs every
# unit, boundary, CLI and end-to-end test (real Pebble on 127.0.0.1) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# The suite's build has no compiler warnings: any is an error here (as in CI).
WERROR=ON bash scripts/build.sh
start=$(date +%s)
ctest --test-dir "${BUILD_DIR:-build}" -j"${JOBS:-2}" --output-on-failure --timeout 600 "$@"
echo "test.sh: suite finished in $(( $(date +%s) - start )) s"
