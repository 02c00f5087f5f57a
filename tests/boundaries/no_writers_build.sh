#!/usr/bin/env bash
# no_writers_build.sh SOURCE_DIR BUILD_DIR
# Configures and builds acmed with -DACMED_DNS_WRITERS=OFF, then proves the binary
# has no DNS write code and refuses dns-01 configurations, while dns-persist-01 is
# there. Incremental: a second run only rebuilds what changed.
set -euo pipefail
src=$1; build=$2
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DACMED_DNS_WRITERS=OFF \
  -DACMED_BUILD_TESTS=OFF -DACMED_BUILD_EXAMPLES=OFF > "$build.configure.log" 2>&1 \
  || { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j2 --target acmed > "$build.build.log" 2>&1 || { tail -50 "$build.build.log"; exit 1; }
acmed="$build/src/cli/acmed"
bash "$src/tests/boundaries/check_no_writer.sh" "$acmed"
[ ! -e "$build/solvers/dns01" ] || { echo "FAIL: solvers/dns01 was configured" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/etc/certs.d"
printf 'names: [a.example.com]\nsolvers:\n  - type: dns-01\n    provider: rfc2136\n' > "$tmp/etc/certs.d/w.yaml"
set +e
out=$("$acmed" --config-dir "$tmp/etc" --state-dir "$tmp/state" --server https://127.0.0.1:1/dir issue w 2>&1); rc=$?
set -e
[ "$rc" = 2 ] || { echo "FAIL: dns-01 config: exit $rc: $out" >&2; exit 1; }
grep -q "solver type 'dns-01' is not available in this build (available: http-01, tls-alpn-01, external, dns-persist-01)" <<<"$out" \
  || { echo "FAIL: unexpected message: $out" >&2; exit 1; }
echo "ok - ACMED_DNS_WRITERS=OFF: no write symbols, dns-01 refused, dns-persist-01 available"
