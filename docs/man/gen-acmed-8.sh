#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gen-acmed-8.sh ACMED HELP2MAN OUT: acmed(8) from the binary's own --help texts, so
# the man page cannot drift from the CLI. Every subcommand (and every subcommand of
# those: "persist roll", "config check" ...), as the binary lists them, becomes a
# section; the exit-status table is the footer of `acmed --help`.
set -euo pipefail
acmed=$1; help2man=$2; out=$3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
inc=$tmp/include

# The names in the "Subcommands:" part of a --help text.
subcommands() { sed -n '/^Subcommands:/,/^$/{/^  [a-z]/s/^  \([a-z0-9-]*\).*/\1/p}'; }

# help2man runs the program as "acmed" (its usage lines name it so, never the build
# path) and gets the top-level help without the exit-status footer, which becomes the
# EXIT STATUS section instead.
cat > "$tmp/acmed" <<SH
#!/bin/sh
if [ "\$1" = --help ]; then "$acmed" --help | sed '/^Exit status:/,\$d'; else exec "$acmed" "\$@"; fi
SH
chmod +x "$tmp/acmed"

{
  echo "[COMMANDS]"
  for cmd in $("$acmed" --help | subcommands); do
    subs=$("$acmed" "$cmd" --help | subcommands)
    for full in "$cmd" ${subs:+$(for s in $subs; do printf '%s\n' "$cmd:$s"; done)}; do
      # A command with subcommands is only listed through them.
      [ "$full" = "$cmd" ] && [ -n "$subs" ] && continue
      words=${full/:/ }
      echo ".SS acmed $words"
      echo ".nf"
      # shellcheck disable=SC2086
      "$acmed" $words --help | sed -e 's/\\/\\\\/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\&'/"
      echo ".fi"
    done
  done
  echo "[EXIT STATUS]"
  "$acmed" --help | sed -n '/^Exit status:/,${/^  [0-9]/{s/\\/\\\\/g;s/-/\\-/g;s/^  \([0-9]*\) *\(.*\)/.TP\n\1\n\2/p}}'
  cat <<'TXT'
[FILES]
/etc/acmed/acmed.yaml, /etc/acmed/certs.d/NAME.yaml (see acmed.yaml(5));
/var/lib/acmed/accounts/CA/private_key.pem (the account key, mode 0600);
/var/lib/acmed/live/NAME/{cert,chain,fullchain,privkey}.pem.
[SEE ALSO]
acmed.yaml(5). The documents in /usr/share/doc/acmed: operating-model.md, security.md,
dns-persist-01.md, dns-01.md, rollback.md, migration.md.
TXT
} > "$inc"
"$help2man" --no-info --section 8 --name "ACME client with a read-only DNS-PERSIST-01 mode" \
  --include "$inc" --output "$out" "$tmp/acmed"
