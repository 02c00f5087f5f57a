#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# check_example_config.sh ACMED SOURCE_DIR FILE: a shipped example configuration passes
# `acmed config check`. The examples name the deploy hooks the package installs in
# /usr/lib/acmed/hooks (from examples/hooks). Where they are not installed (a build
# machine), the only errors accepted are those hooks missing, each one examples/hooks ships.
set -uo pipefail
acmed=$1 src=$2 file=$3
out=$("$acmed" config check "$src/$file" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" = 0 ]; then
  grep -q "1 file(s) checked, 0 error" <<<"$out" || { echo "FAIL: exit 0 but: $out"; exit 1; }
  echo "ok - $file passes config check"
  exit 0
fi
[ "$rc" = 2 ] || { echo "FAIL: exit $rc, want 0 (or 2 for uninstalled shipped hooks only)"; exit 1; }
n=0
while IFS= read -r line; do
  case $line in error:*) ;; *) continue ;; esac
  re=": deploy hook /usr/lib/acmed/hooks/([A-Za-z0-9-]+) does not exist$"
  [[ $line =~ $re ]] || { echo "FAIL: not a missing shipped hook: $line"; exit 1; }
  hook=${BASH_REMATCH[1]}
  [ -x "$src/examples/hooks/$hook" ] || { echo "FAIL: $file names hook $hook, which examples/hooks does not ship"; exit 1; }
  [ ! -e "/usr/lib/acmed/hooks/$hook" ] || { echo "FAIL: /usr/lib/acmed/hooks/$hook exists, yet: $line"; exit 1; }
  n=$((n + 1))
done <<<"$out"
[ "$n" -gt 0 ] || { echo "FAIL: exit 2 without errors"; exit 1; }
echo "ok - $file passes config check but for $n shipped hook(s) not installed here"
