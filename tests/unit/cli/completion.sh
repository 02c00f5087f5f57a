#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# completion.sh ACMED COMPLETION_DIR: the bash and zsh completion scripts, run as the
# shells run them, offer acmed's commands, options (per command), fixed option values,
# file names where a path is asked for, and the certificate names of certs.d.
set -euo pipefail
acmed=$1 dir=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/conf/certs.d"
ln -s "$acmed" "$tmp/bin/acmed"
export PATH="$tmp/bin:$PATH"
touch "$tmp/conf/certs.d/www.yaml" "$tmp/conf/certs.d/mail.yaml" "$tmp/conf/certs.d/notes.txt"
fail() { echo "FAIL: $*" >&2; exit 1; }

bash_complete() {  # bash_complete WORD...: the last word is completed
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _acmed; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$dir/acmed.bash" "$@"
}
zsh_complete() {  # the same through the zsh script, with compadd and _files recording what they get
  zsh -fc 'compadd() { [[ $1 == -- ]] && shift; print -l -- "$@"; }; _files() { print "(files)"; }
    words=("${@:2}"); CURRENT=$(($# - 1)); source "$1"' _ "$dir/_acmed" "$@"
}
expect() {  # expect SHELL "WORDS" WANT...: every WANT is offered; "!X" must not be
  local sh=$1 line=$2 got w; shift 2
  read -r -a w <<<"$line"
  [[ $line == *" " ]] && w+=("")
  got=$("${sh}_complete" "${w[@]}")
  for want in "$@"; do
    if [[ $want == !* ]]; then
      grep -qxF -- "${want#!}" <<<"$got" && fail "$sh: '$line' offers ${want#!}: $(tr '\n' ' ' <<<"$got")"
    else
      grep -qxF -- "$want" <<<"$got" || fail "$sh: '$line' does not offer $want: $(tr '\n' ' ' <<<"$got")"
    fi
  done
  return 0
}
for sh in bash zsh; do
  expect $sh "acmed " issue renew persist migrate status '!__complete'
  expect $sh "acmed re" renew revoke '!issue'
  expect $sh "acmed issue --" --domain --no-save --force --webroot --config-dir '!--parse-only' '!--to'
  expect $sh "acmed migrate www --to " dns-persist-01 dns-01
  expect $sh "acmed issue www --key-type ec" ec-p256 ec-p384 '!rsa2048'
  expect $sh "acmed persist " record check roll
  expect $sh "acmed persist record www --format " zone json terraform octodns
  expect $sh "acmed --config-dir $tmp/conf renew " www mail '!notes' '!notes.txt'
  expect $sh "acmed --config-dir $tmp/conf persist check w" www '!mail'
  expect $sh "acmed renew --config-dir $tmp/conf m" mail
  expect $sh "acmed revoke --reason key" keyCompromise
  # A flag takes no value: the next word is still a command or a certificate name.
  expect $sh "acmed -v " issue renew status
  expect $sh "acmed --json --config-dir $tmp/conf renew --force " www mail
done
# A path option hands over to file-name completion.
touch "$tmp/conf/bundle.pem"
expect bash "acmed --ca-bundle $tmp/conf/bun" "$tmp/conf/bundle.pem"
expect zsh "acmed --ca-bundle $tmp/conf/bun" "(files)"
echo "ok - bash and zsh completion: commands, per-command options, values, files, certificate names"
