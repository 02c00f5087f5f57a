#!/usr/bin/env bash
# Configures and builds acmed incrementally in ${BUILD_DIR:-build}; TARGETS limits what is built.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  # -g1: line tables (file:line in backtraces and perf) at a third less compile time than -g.
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" -DACMED_BUILD_TESTS=ON "$@"
fi
# TARGETS="acmed ...": only those (the demo needs only acmed); default: everything.
read -r -a targets <<< "${TARGETS:-}"
cmake --build "$BUILD_DIR" -j"${JOBS:-2}" ${targets[@]+--target "${targets[@]}"}
