#!/usr/bin/env bash
# gen-acmed-8.sh ACMED HELP2MAN OUT: acmed(8) from the binary's own --help texts, so
# the man page cannot drift from the CLI. Every subcommand's help becomes a section.
set -euo pipefail
acmed=$1; help2man=$2; out=$3
inc=$(mktemp); trap 'rm -f "$inc"' EXIT
{
  echo "[COMMANDS]"
  for cmd in issue renew list status next-due "persist record" "persist check" migrate serve "account register" \
             "account show" "account update" "account rollover" "account deactivate" revoke "ca info" "config check" \
             deploy "import certbot" "import lego" sync "state import" "state export"; do
    # shellcheck disable=SC2086
    echo ".SS acmed $cmd"
    echo ".nf"
    "$acmed" $cmd --help | sed -e 's/\\/\\\\/g' -e 's/^\./\\\&./'
    echo ".fi"
  done
  cat <<'TXT'
[EXIT STATUS]
0 success or nothing due; 1 a certificate or CA operation failed; 2 configuration or usage error;
3 a warning threshold was reached (only with \-\-warn\-exit).
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
  --include "$inc" --output "$out" "$acmed"
