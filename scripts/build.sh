#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures and builds acmed incrementally in ${BUILD_DIR:-build}; TARGETS limits what is built.
# Compiler warnings are errors (-DACMED_WARNINGS_AS_ERRORS=ON) when WERROR=ON, and by
# default in CI (CI=true, as GitHub Actions and GitLab set it); scripts/test.sh sets it.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
werror=${WERROR:-$([ "${CI:-}" = true ] && echo ON || echo OFF)}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  # The development and test build: -O1 -g1. -O1 compiles in about two thirds of the time
  # of -O2 and runs the suite at the same speed (it waits on servers, not on the CPU); -g1
  # keeps line tables (file:line in backtraces and perf) at a third less time than -g.
  # What ships is built at -O2: BUILD_TYPE=Release, or the Debian package (debian/rules).
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" -DACMED_BUILD_TESTS=ON \
    -DACMED_WARNINGS_AS_ERRORS="$werror" "$@"
elif [ "$werror" = ON ] && ! grep -qx "ACMED_WARNINGS_AS_ERRORS:BOOL=ON" "$BUILD_DIR/CMakeCache.txt"; then
  # A build directory configured without -Werror gets it (its other settings stay).
  cmake -S . -B "$BUILD_DIR" -DACMED_WARNINGS_AS_ERRORS=ON > /dev/null
fi
# TARGETS="acmed ...": only those (the demo needs only acmed); default: everything.
read -r -a targets <<< "${TARGETS:-}"
cmake --build "$BUILD_DIR" -j"${JOBS:-2}" ${targets[@]+--target "${targets[@]}"}
