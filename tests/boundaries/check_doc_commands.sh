#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# check_doc_commands.sh ACMED FILE...
# Every `acmed ...` command shown in the documentation must exist: each one is run
# as `acmed --parse-only <same arguments>`, which parses every subcommand, flag and
# value (anything unknown or missing fails) and does nothing. The end-to-end tests
# run the flows themselves.
# Commands are taken from fenced ```sh blocks and from 4-space indented blocks;
# anything after a shell pipe, redirection, ';' or '&&' is cut off.
set -euo pipefail
acmed=$1; shift
checked=0; failed=0
for f in "$@"; do
  # in_fence: inside any fenced block; shell: that block is a shell block.
  # A line ending in a backslash continues on the next line.
  awk '
    /^[[:space:]]*```/ {
      if (in_fence) { in_fence = 0; shell = 0 }
      else { in_fence = 1; shell = ($0 ~ /^[[:space:]]*```(sh|bash|console|shell)?[[:space:]]*$/) }
      next
    }
    pending != "" { line = $0; sub(/^[[:space:]]+/, "", line); pending = pending " " line
                    if (pending ~ /\\$/) { sub(/\\$/, "", pending); next }
                    print where pending; pending = ""; next }
    (in_fence && shell && /^[[:space:]]*(\$ )?acmed /) || (!in_fence && /^    (\$ )?acmed /) {
      line = $0; sub(/^[[:space:]]*(\$ )?/, "", line); where = FILENAME ":" FNR ":"
      if (line ~ /\\$/) { sub(/\\$/, "", line); pending = line; next }
      print where line
    }
  ' "$f"
done > /tmp/acmed-doc-commands.$$
while IFS= read -r entry; do
  where=${entry%%:acmed *}
  cmd=${entry#"$where":}
  cmd=${cmd%%|*}; cmd=${cmd%%>*}; cmd=${cmd%%;*}; cmd=${cmd%%&&*}; cmd=${cmd%%#*}
  cmd=${cmd%\\}
  # shellcheck disable=SC2086
  read -r -a words <<<"${cmd#acmed }"
  # Placeholders written in capitals or <...> are fine as positional values.
  if out=$("$acmed" --parse-only "${words[@]}" 2>&1); then
    checked=$((checked + 1))
  else
    echo "FAIL $where: '$cmd' does not parse: $(head -n 2 <<<"$out" | tr '\n' ' ')"
    failed=$((failed + 1))
  fi
done < /tmp/acmed-doc-commands.$$
rm -f /tmp/acmed-doc-commands.$$
echo "$checked documented commands parse, $failed do not"
[ "$failed" = 0 ] && [ "$checked" -gt 0 ]
