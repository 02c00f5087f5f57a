#!/usr/bin/env bash
# Configures and builds acmed incrementally in ${BUILD_DIR:-build}.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" -DACMED_BUILD_TESTS=ON "$@"
fi
cmake --build "$BUILD_DIR" -j"${JOBS:-2}"
