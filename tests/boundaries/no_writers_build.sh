#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# no_writers_build.sh SOURCE_DIR WORK_DIR ACMED_NOWRITERS
# What -DACMED_DNS_WRITERS=OFF ships, proven without a second full build:
#  1. configuring with -DACMED_DNS_WRITERS=OFF leaves out solvers/dns01 and the write
#     providers, and generates a solver registration without dns-01;
#  2. ACMED_NOWRITERS, linked in the main build from the same objects and that
#     registration, has no DNS write code (check_no_writer.sh), refuses a dns-01
#     configuration and still offers dns-persist-01.
set -euo pipefail
src=$1; work=$2; acmed=$3
rm -rf "$work"
cmake -S "$src" -B "$work" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DACMED_DNS_WRITERS=OFF \
  -DACMED_BUILD_TESTS=OFF -DACMED_BUILD_EXAMPLES=OFF > "$work.configure.log" 2>&1 \
  || { cat "$work.configure.log"; exit 1; }
[ ! -e "$work/solvers/dns01" ] || { echo "FAIL: solvers/dns01 was configured" >&2; exit 1; }
gen="$work/src/cli/builtin_solvers.cpp"
[ -f "$gen" ] || { echo "FAIL: no generated $gen" >&2; exit 1; }
grep -q 'make_dns_persist01_factory' "$gen" || { echo "FAIL: $gen registers no dns-persist-01" >&2; exit 1; }
if grep -nE 'dns01|provider' "$gen" | grep -vE 'dns_persist01|builtin_dns_provider_settings|^[0-9]+: *//|ProviderFactory|DeclaredSettings|declared|dns_providers\(\)'; then
  echo "FAIL: the OFF registration still mentions dns-01 or a write provider (above)" >&2; exit 1
fi
# The variant must be built from this OFF registration's template, not an older one.
cmp -s <(sed 1d "$gen") <(sed 1d "$(dirname "$acmed")/builtin_solvers_nowriters.cpp") \
  || { echo "FAIL: acmed_nowriters' registration differs from what -DACMED_DNS_WRITERS=OFF generates" >&2; exit 1; }
bash "$src/tests/boundaries/check_no_writer.sh" "$acmed"
tmp=$(mktemp -d); trap 'rm -rf "$tmp" "$work"' EXIT
mkdir -p "$tmp/etc/certs.d"
printf 'names: [a.example.com]\nsolvers:\n  - type: dns-01\n    provider: rfc2136\n' > "$tmp/etc/certs.d/w.yaml"
set +e
out=$("$acmed" --config-dir "$tmp/etc" --state-dir "$tmp/state" --server https://127.0.0.1:1/dir issue w 2>&1); rc=$?
set -e
[ "$rc" = 2 ] || { echo "FAIL: dns-01 config: exit $rc: $out" >&2; exit 1; }
grep -q "solver type 'dns-01' is not available in this build (available: http-01, tls-alpn-01, external, dns-persist-01)" <<<"$out" \
  || { echo "FAIL: unexpected message: $out" >&2; exit 1; }
echo "ok - ACMED_DNS_WRITERS=OFF: configures without dns-01; its acmed has no write symbols, refuses dns-01, offers dns-persist-01"
