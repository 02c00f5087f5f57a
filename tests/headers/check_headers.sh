#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# check_headers.sh CXX ROOTS_TSV SRC WORK
# For every header under each root listed in ROOTS_TSV (written by CMakeLists.txt next to
# this script), writes a TU that includes only that header and compiles it with
# -fsyntax-only and the owning target's interface include directories and definitions.
# Fails listing each header that does not compile alone, and each public header under
# SRC/{include,src,solvers} that no root covers.
set -euo pipefail
cxx=$1; roots_tsv=$2; src=$3; work=$4
rm -rf "$work"; mkdir -p "$work"

roots=(); skips=(); n=0
while IFS=$'\t' read -r kind value target; do
  case $kind in
    root) n=$((n + 1)); roots+=("$value"); : > "$work/$n.flags" ;;
    inc) [ -z "$value" ] || printf -- '-I%s\n' "$value" >> "$work/$n.flags" ;;
    def) [ -z "$value" ] || printf -- '-D%s\n' "$value" >> "$work/$n.flags" ;;
    skip) skips+=("$value"); echo "skip - $value ($target is not built in this configuration)" ;;
    *) echo "bad line in $roots_tsv: $kind" >&2; exit 1 ;;
  esac
done < "$roots_tsv"
[ "$n" -gt 0 ] || { echo "no header roots in $roots_tsv" >&2; exit 1; }

# A public header no root covers would be silently unchecked.
uncovered=0
while IFS= read -r h; do
  covered=no
  for r in "${roots[@]}" "${skips[@]}"; do
    case $h in "$r"/*) covered=yes; break ;; esac
  done
  if [ $covered = no ]; then
    echo "FAIL: $h is under no header root; add its root and target to tests/headers/CMakeLists.txt" >&2
    uncovered=$((uncovered + 1))
  fi
done < <(find "$src/include" "$src/src" "$src/solvers" -path '*/include/*' -name '*.hpp' | sort)

# One TU per header. The second include must be a no-op (#pragma once).
jobs="$work/jobs"; : > "$jobs"
for i in $(seq 1 "$n"); do
  root=${roots[$((i - 1))]}
  [ -d "$root" ] || { echo "FAIL: header root $root does not exist" >&2; uncovered=$((uncovered + 1)); continue; }
  while IFS= read -r h; do
    spelled=${h##*/include/}
    tu="$work/$(printf '%s' "$spelled" | tr '/' '_').cpp"
    printf '// Test that header file is self-contained.\n#include "%s"\n#include "%s"\n' "$spelled" "$spelled" > "$tu"
    printf '%s\t%s\t%s\n' "$i" "$h" "$tu" >> "$jobs"
  done < <(find "$root" -name '*.hpp' | sort)
done

compile_one() {
  local i h tu flags
  IFS=$'\t' read -r i h tu <<< "$1"
  mapfile -t flags < "$WORK/$i.flags"
  if ! "$CXX" -std=c++20 -fsyntax-only "${flags[@]}" "$tu" > "$tu.log" 2>&1; then
    printf '%s\n' "$h" > "$tu.failed"
  fi
}
export -f compile_one
export CXX="$cxx" WORK="$work"
xargs -d '\n' -n 1 -P "$(nproc)" bash -c 'compile_one "$1"' _ < "$jobs"

total=$(wc -l < "$jobs")
failed=0
while IFS=$'\t' read -r _ h tu; do
  if [ -e "$tu.failed" ]; then
    failed=$((failed + 1))
    echo "FAIL: $h is not self-contained:" >&2
    head -n 15 "$tu.log" >&2
  fi
done < "$jobs"
if [ "$failed" -gt 0 ] || [ "$uncovered" -gt 0 ]; then
  echo "$failed of $total headers do not compile alone; $uncovered uncovered header(s) or missing root(s)" >&2
  exit 1
fi
echo "ok - all $total public headers under $n roots compile alone (one TU each)"
