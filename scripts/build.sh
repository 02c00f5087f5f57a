#!/usr/bin/env bash
# Configures and builds acmed incrementally in ${BUILD_DIR:-build}; TARGETS limits what is built.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  # The development and test build: -O1 -g1. -O1 compiles in about two thirds of the time
  # of -O2 and runs the suite at the same speed (it waits on servers, not on the CPU); -g1
  # keeps line tables (file:line in backtraces and perf) at a third less time than -g.
  # What ships is built at -O2: BUILD_TYPE=Release, or the Debian package (debian/rules).
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" -DACMED_BUILD_TESTS=ON "$@"
fi
# TARGETS="acmed ...": only those (the demo needs only acmed); default: everything.
read -r -a targets <<< "${TARGETS:-}"
cmake --build "$BUILD_DIR" -j"${JOBS:-2}" ${targets[@]+--target "${targets[@]}"}
