#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# expect.sh WANT REGEX -- COMMAND...: runs COMMAND and passes only when BOTH its exit
# status is WANT (a number, or "nonzero") AND its output (stdout and stderr, newlines
# read as spaces) matches the extended regular expression REGEX ("" matches anything).
# ctest's PASS_REGULAR_EXPRESSION alone ignores the exit status; WILL_FAIL accepts any
# failure. This checks both.
set -uo pipefail
want=$1 regex=$2
[ "${3:-}" = -- ] || { echo "usage: expect.sh WANT REGEX -- COMMAND..." >&2; exit 2; }
shift 3
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$want" = nonzero ]; then
  [ "$rc" -ne 0 ] || { echo "FAIL: exit 0, want a failure: $*" >&2; exit 1; }
else
  [ "$rc" = "$want" ] || { echo "FAIL: exit $rc, want $want: $*" >&2; exit 1; }
fi
if [ -n "$regex" ] && ! tr '\n' ' ' <<<"$out" | grep -qE -- "$regex"; then
  echo "FAIL: output does not match '$regex': $*" >&2
  exit 1
fi
echo "ok - exit $rc and the output matches"
