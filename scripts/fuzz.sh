#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/fuzz.sh [SECONDS] [TARGET...]
# Builds the libFuzzer targets (tests/fuzz, clang + ASan + UBSan) in
# ${SANITIZE_BUILD_DIR:-build-asan} and runs each for SECONDS (default 60) from its seed
# corpus; with RUNS=N each stops after N executions (e.g. RUNS=10000000), or after
# SECONDS when that comes first (default then: no time limit).
# FAST=1 builds them in build-fuzz without ASan/UBSan at -O2 (several times the
# executions per second; crashes, traps, hangs and out-of-memory still end the run).
# Prints executions and exec/s per target; exits non-zero on the first finding, whose
# input is left in $dir/fuzz-artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-}
shift || true
bash scripts/install-deps.sh >/dev/null
if [ "${FAST:-0}" = 1 ]; then
  dir=build-fuzz
  config=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-g -DACMED_SANITIZE=OFF)
else
  dir=${SANITIZE_BUILD_DIR:-build-asan}
  config=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS=-O1 -g" -DACMED_SANITIZE=ON)
fi
if [ ! -f "$dir/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja "${config[@]}" -DACMED_BUILD_TESTS=ON -DACMED_FUZZ=ON
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cd tests/fuzz && ls fuzz_*.cpp | sed 's/\.cpp$//')
fi
cmake --build "$dir" -j"${JOBS:-2}" --target "${targets[@]}"
extra=${FUZZ_EXTRA_ARGS:-}
if [ -n "${RUNS:-}" ]; then
  extra="$extra -runs=$RUNS"
  seconds=${seconds:-$((7 * 24 * 3600))}  # the run count ends it
fi
seconds=${seconds:-60}
for t in "${targets[@]}"; do
  start=$(date +%s)
  FUZZ_EXTRA_ARGS="$extra" bash tests/fuzz/run.sh "$dir/tests/fuzz/$t" "tests/fuzz/corpus/$t" "$seconds" "$dir/fuzz-artifacts"
  echo "fuzz.sh: $t took $(( $(date +%s) - start )) s"
done
