#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The unit, end-to-end and fuzz tests again, built by clang with AddressSanitizer,
# UBSan (every report fatal) and libFuzzer, in ${SANITIZE_BUILD_DIR:-build-asan}.
# scripts/test.sh runs this after the main suite; it takes extra ctest arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
dir=${SANITIZE_BUILD_DIR:-build-asan}
# clang's warnings are errors in CI (CI=true) or with WERROR=ON, as in scripts/build.sh.
werror=${WERROR:-$([ "${CI:-}" = true ] && echo ON || echo OFF)}
if [ ! -f "$dir/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="-O1 -g" \
    -DACMED_BUILD_TESTS=ON -DACMED_SANITIZE=ON -DACMED_FUZZ=ON -DACMED_WARNINGS_AS_ERRORS="$werror"
elif [ "$werror" = ON ] && ! grep -qx "ACMED_WARNINGS_AS_ERRORS:BOOL=ON" "$dir/CMakeCache.txt"; then
  cmake -S . -B "$dir" -DACMED_WARNINGS_AS_ERRORS=ON > /dev/null
fi
cmake --build "$dir" -j"${JOBS:-2}"
start=$(date +%s)
# Leaks are reported (and fail) except under strace, which the e2e fixtures use for
# fault injection and which a leak check at exit would race; those tests set
# detect_leaks=0 themselves. halt_on_error makes any UBSan report fail its test.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
ctest --test-dir "$dir" -j"${JOBS:-2}" -L '^(unit|e2e|fuzz)$' --output-on-failure --timeout 900 "$@"
echo "sanitize.sh: unit, e2e and fuzz tests under ASan+UBSan finished in $(( $(date +%s) - start )) s"
