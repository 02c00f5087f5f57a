#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# check_no_writer.sh BINARY [--expect-writer]
# Lists the symbols BINARY defines or references (nm -C, dynamic ones included) and
# fails when a DNS write symbol is among them: acmed's dns01 writer namespace or
# provider factories, or ldns' UPDATE / TSIG functions. With --expect-writer it is a
# positive control: it fails unless such symbols ARE present (proving the check can see them).
set -euo pipefail
bin=$1
mode=${2:-}
[ -x "$bin" ] || { echo "no binary at $bin" >&2; exit 1; }
pattern='acmed::dns01::|make_rfc2136_provider|make_pdns_provider|make_exec_provider|make_dns01_factory|ldns_update_|ldns_.*tsig|tsig_sign|ldns_pkt_tsig'
# nm must work: with `|| true` over the whole pipeline, a missing nm or an unreadable
# binary listed no symbols and the check passed. (-D may find none in a static binary.)
syms=$(nm -C "$bin") || { echo "FAIL: nm -C $bin failed" >&2; exit 1; }
dyn=$(nm -C -D "$bin" 2>/dev/null) || dyn=""
total=$(printf '%s\n%s\n' "$syms" "$dyn" | grep -c .)
[ "$total" -gt 100 ] || { echo "FAIL: only $total symbols listed for $bin: nothing to judge" >&2; exit 1; }
found=$(printf '%s\n%s\n' "$syms" "$dyn" | { grep -E "$pattern" || [ $? = 1 ]; } | sort -u)
count=$(printf '%s' "$found" | grep -c . || [ $? = 1 ])
if [ "$mode" = --expect-writer ]; then
  [ "$count" -gt 0 ] || { echo "FAIL: positive control found no writer symbols in $bin" >&2; exit 1; }
  echo "ok - $count writer symbols visible in $(basename "$bin") (the check can see them)"
  exit 0
fi
if [ "$count" -gt 0 ]; then
  echo "FAIL: $(basename "$bin") references DNS write code:" >&2
  echo "$found" | head -20 >&2
  exit 1
fi
echo "ok - none of $total symbols in $(basename "$bin") is a DNS writer, UPDATE or TSIG symbol"
