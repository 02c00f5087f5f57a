#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# acmed persist record --json shows persistUntil in UTC too. A persist_until past 2262
# (9999-12-31) is shown saturated at the last time a time point can hold, never wrapped
# into the past (src/cli/cmd_persist.cpp converts through acmed::time_from_unix).
# Offline: the CA is unreachable and --account-uri names the account.
# Usage: persist_until_far.sh /path/to/acmed
set -u
ACMED=${1:?usage: persist_until_far.sh ACMED}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/etc/certs.d" "$dir/state"
printf 'ca:\n  directory: https://127.0.0.1:9/dir\n' > "$dir/etc/acmed.yaml"
cat > "$dir/etc/certs.d/www.yaml" <<'YAML'
names: [www.example.com]
solvers:
  - type: dns-persist-01
    issuer: letsencrypt.org
    persist_until: 9999-12-31
YAML
out=$("$ACMED" --config-dir "$dir/etc" --state-dir "$dir/state" persist record www --json \
      --account-uri https://ca.test/acct/1 2>/dev/null)
rc=$?
fails=0
[ "$rc" = 0 ] || { echo "FAIL: exit $rc: $out"; fails=1; }
grep -q '"persist_until": 253402214400,' <<<"$out" || { echo "FAIL: persist_until is not 9999-12-31: $out"; fails=1; }
grep -q '"persist_until_utc": "2262-04-11T23:47:16Z"' <<<"$out" ||
  { echo "FAIL: persist_until_utc not saturated: $(grep persist_until_utc <<<"$out")"; fails=1; }
[ "$fails" = 0 ] && echo "PASS: persistUntil 9999-12-31 shown as 2262-04-11T23:47:16Z, not wrapped into the past"
exit "$fails"
