#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# acmed serve --token-file: a token shorter than 16 characters, and a token file that
# group or others can read, are refused before anything listens (exit 2, with the
# reason and the fix); a private token of 16 characters serves. The checks live only in
# the CLI (src/cli/cmd_serve.cpp), so the executable is what is tested.
# Usage: serve_token.sh /path/to/acmed
set -u
ACMED=${1:?usage: serve_token.sh ACMED}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/etc/certs.d" "$dir/state"
printf 'ca:\n  directory: https://127.0.0.1:9/dir\n' > "$dir/etc/acmed.yaml"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

serve() {  # serve TOKEN_FILE: runs acmed serve for at most 3 s; sets rc and out
  out=$(timeout 3 "$ACMED" --config-dir "$dir/etc" --state-dir "$dir/state" serve --listen 127.0.0.1:0 \
        --token-file "$1" 2>&1)
  rc=$?
}

# 15 characters (plus the newline a shell adds, which is not part of the token): too short.
( umask 077; printf '0123456789abcde\n' > "$dir/short" )
serve "$dir/short"
[ "$rc" = 2 ] || fail "short token: exit $rc, expected 2: $out"
grep -q "bearer token must be at least 16 characters" <<<"$out" || fail "short token: no reason given: $out"
grep -q "listening on" <<<"$out" && fail "short token: it listened anyway"

# 16 characters but readable by the group, then by everyone.
for mode in 640 604 644; do
  printf '0123456789abcdef\n' > "$dir/open-$mode"
  chmod "$mode" "$dir/open-$mode"
  serve "$dir/open-$mode"
  [ "$rc" = 2 ] || fail "mode $mode: exit $rc, expected 2: $out"
  grep -q "readable by group or others" <<<"$out" || fail "mode $mode: no reason given: $out"
  grep -q "chmod 600 $dir/open-$mode" <<<"$out" || fail "mode $mode: no fix given: $out"
  grep -q "listening on" <<<"$out" && fail "mode $mode: it listened anyway"
done

# A missing file is refused too, naming it.
serve "$dir/nope"
[ "$rc" = 2 ] && grep -q "$dir/nope" <<<"$out" || fail "missing token file: exit $rc: $out"

# The control: the same 16 characters in a private file serve (timeout ends it: 124).
( umask 077; printf '0123456789abcdef\n' > "$dir/good" )
serve "$dir/good"
[ "$rc" = 124 ] && grep -q "listening on 127.0.0.1:" <<<"$out" || fail "good token: exit $rc, expected to serve: $out"

[ "$fails" = 0 ] && echo "PASS: short and group/world-readable tokens refused; a private 16-character token serves"
exit $((fails > 0))
