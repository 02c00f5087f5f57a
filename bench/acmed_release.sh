# SPDX-License-Identifier: Apache-2.0
# Sourced by the benches: builds the acmed that ships (CMake Release, fully optimised) in
# ${BUILD_DIR:-build-release} and sets ACMED to it, unless ACMED is already set or
# SKIP_BUILD=1 (then the binary already in that directory is used). The development build
# (build/, scripts/build.sh) is optimised for compile time and is not what the numbers
# should describe.
if [ -z "${ACMED:-}" ]; then
  bench_build_dir=${BUILD_DIR:-build-release}
  if [ -z "${SKIP_BUILD:-}" ]; then
    BUILD_DIR=$bench_build_dir BUILD_TYPE=Release TARGETS=acmed bash scripts/build.sh >/dev/null
  fi
  ACMED="$PWD/$bench_build_dir/src/cli/acmed"
fi
[ -x "$ACMED" ] || { echo "FAIL: no acmed binary at $ACMED" >&2; exit 1; }
