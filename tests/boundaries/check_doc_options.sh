#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# check_doc_options.sh ACMED FILE...
# Every command-line option the documentation names in prose or tables (inside `code`
# spans) must be one acmed's --help shows, for the program or one of its commands. The
# options of other programs the documents compare with or call (certbot, lego, acme.sh,
# cmake, systemctl, pkcs11-tool) are listed below, each with its program; anything else
# that is not in --help fails, so a renamed or removed option cannot stay documented.
set -euo pipefail
acmed=$1; shift
declare -A foreign=(
  [--cert-name]=certbot [--deploy-hook]=certbot [--elliptic-curve]=certbot [--email]=certbot
  [--force-renewal]=certbot [--rsa-key-size]=certbot [--staging]=certbot
  [--dns]=lego [--http]=lego [--tls]=lego [--path]=lego [--eab]=lego [--hmac]=lego [--kid]=lego [--days]=lego
  [--dns-persist]=acme.sh [--build]=cmake [--install]=cmake [--target]=cmake [--prefix]=cmake [--now]=systemctl [--id]=pkcs11-tool
)
help=$("$acmed" --help
  for cmd in $("$acmed" --help | awk '/^Subcommands:/ { f = 1; next } f && /^  [a-z]/ { print $1 }'); do
    "$acmed" "$cmd" --help
    for sub in $("$acmed" "$cmd" --help | awk '/^Subcommands:/ { f = 1; next } f && /^  [a-z]/ { print $1 }'); do
      "$acmed" "$cmd" "$sub" --help
    done
  done)
known=$(grep -oE -- '--[a-z0-9][a-z0-9-]*' <<<"$help" | sort -u)
[ "$(wc -l <<<"$known")" -gt 20 ] || { echo "FAIL: --help lists only $(wc -l <<<"$known") options"; exit 1; }
checked=0 failed=0
while IFS=: read -r file line opt; do
  if grep -qxF -- "$opt" <<<"$known"; then
    checked=$((checked + 1))
  elif [ -z "${foreign[$opt]:-}" ]; then
    echo "FAIL $file:$line: $opt is not an option of acmed (not in any --help)"
    failed=$((failed + 1))
  fi
done < <(for f in "$@"; do
  awk -v file="$f" '{
    line = $0
    while (match(line, /`[^`]*`/)) {
      span = substr(line, RSTART + 1, RLENGTH - 2); line = substr(line, RSTART + RLENGTH)
      while (match(span, /(^|[ (=])--[a-z0-9][a-z0-9-]*/)) {
        opt = substr(span, RSTART, RLENGTH); sub(/^[ (=]/, "", opt); span = substr(span, RSTART + RLENGTH)
        print file ":" FNR ":" opt
      }
    }
  }' "$f"
done)
echo "$checked documented option mentions are in acmed --help, $failed are not"
[ "$failed" = 0 ] && [ "$checked" -gt 0 ]
