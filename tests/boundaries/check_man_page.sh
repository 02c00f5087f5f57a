#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# check_man_page.sh ACMED ACMED_8 README BUILD_DIR: the generated acmed(8) documents
# every command the binary has (each subcommand of a command too, "persist roll" ...),
# names the program "acmed" (no build path in its usage lines), and its EXIT STATUS is
# the table that ends `acmed --help`; README.md shows the same table.
set -uo pipefail
acmed=$1 page=$2 readme=$3 build=$4
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
[ -s "$page" ] || { echo "FAIL: $page was not generated"; exit 1; }

subcommands() { sed -n '/^Subcommands:/,/^$/{/^  [a-z]/s/^  \([a-z0-9-]*\).*/\1/p}'; }
want=("persist roll")  # named explicitly too: it was once missing
for cmd in $("$acmed" --help | subcommands); do
  subs=$("$acmed" "$cmd" --help | subcommands)
  if [ -z "$subs" ]; then want+=("$cmd"); continue; fi
  for s in $subs; do want+=("$cmd $s"); done
done
[ "${#want[@]}" -gt 20 ] || fail "only ${#want[@]} commands found in acmed --help"
for c in "${want[@]}"; do
  grep -qx "\.SS acmed $c" "$page" || fail "acmed(8) has no section for 'acmed $c'"
  grep -q "^Usage: acmed $c \[OPTIONS\]" "$page" || fail "acmed(8) has no usage line 'Usage: acmed $c [OPTIONS]'"
done
for path in "$build" "$(dirname "$acmed")" "src/cli/acmed"; do
  if grep -qF -- "$path" "$page"; then fail "acmed(8) contains the build path '$path': $(grep -F -- "$path" "$page" | head -2)"; fi
done

# The exit-status table: --help's footer, the man page's EXIT STATUS, README's table.
help_rows=$("$acmed" --help | sed -n '/^Exit status:/,${s/^  \([0-9][0-9]*\) *\(.*\)/\1 \2/p}')
[ "$(wc -l <<<"$help_rows")" -ge 5 ] || fail "acmed --help has no exit-status table: $help_rows"
man_rows=$(sed -n '/^\.SH "EXIT STATUS"/,/^\.SH /p' "$page" | grep -v '^\.SH\|^\.TP' | sed 's/\\-/-/g' | paste -d' ' - -)
[ "$man_rows" = "$help_rows" ] || fail "acmed(8) EXIT STATUS differs from acmed --help: [$man_rows] vs [$help_rows]"
readme_rows=$(sed -n 's/^| \([0-9][0-9]*\) | \(.*\) |$/\1 \2/p' "$readme")
[ "$readme_rows" = "$help_rows" ] || fail "README.md's exit-code table differs from acmed --help: [$readme_rows] vs [$help_rows]"

[ "$fails" = 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "ok - acmed(8): ${#want[@]} commands, no build path, the exit-status table of --help and README.md"
