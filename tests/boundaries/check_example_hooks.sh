#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# check_example_hooks.sh SOURCE_DIR: the deploy hooks in examples/hooks (installed to
# /usr/lib/acmed/hooks) are executable POSIX sh that parses (sh -n), stops at the first
# failure (set -eu), and each one the documentation names exists.
set -euo pipefail
src=$1
n=0
for f in "$src"/examples/hooks/*; do
  name=$(basename "$f")
  [ -f "$f" ] && [ -x "$f" ] || { echo "FAIL: examples/hooks/$name is not an executable file"; exit 1; }
  [ "$(head -n 1 "$f")" = "#!/bin/sh" ] || { echo "FAIL: examples/hooks/$name does not start with #!/bin/sh"; exit 1; }
  sh -n "$f" || { echo "FAIL: examples/hooks/$name: sh -n fails"; exit 1; }
  grep -qx "set -eu" "$f" || { echo "FAIL: examples/hooks/$name lacks 'set -eu'"; exit 1; }
  n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "FAIL: no hooks in examples/hooks"; exit 1; }
named=$(grep -rhoE "/usr/(local/)?lib/acmed/[A-Za-z0-9/_-]*(reload|restart)-[A-Za-z0-9-]+" \
  "$src/docs" "$src/config" "$src/README.md" | sort -u)
for p in $named; do
  case $p in
    /usr/lib/acmed/hooks/*) [ -x "$src/examples/hooks/${p#/usr/lib/acmed/hooks/}" ] \
      || { echo "FAIL: the documentation names $p, which examples/hooks does not ship"; exit 1; } ;;
    *) echo "FAIL: the documentation names $p: the shipped hooks are in /usr/lib/acmed/hooks"; exit 1 ;;
  esac
done
echo "ok - $n example hooks parse and are executable; the $(wc -w <<<"$named") the documentation names are shipped"
