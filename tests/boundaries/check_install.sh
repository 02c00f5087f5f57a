#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# check_install.sh BUILD_DIR: `cmake --install` puts the binary, both man pages and the
# documentation in place, and the man pages describe the real commands and keys.
set -euo pipefail
build=$1
prefix=$(mktemp -d); trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" > /dev/null
for f in bin/acmed share/bash-completion/completions/acmed share/zsh/vendor-completions/_acmed \
         share/man/man8/acmed.8 share/man/man5/acmed.yaml.5 share/doc/acmed/security.md \
         share/doc/acmed/operating-model.md share/doc/acmed/rollback.md; do
  [ -s "$prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
# The deploy hooks the documentation names, executable where it names them.
for f in reload-nginx reload-haproxy reload-apache reload-postfix; do
  [ -x "$prefix/lib/acmed/hooks/$f" ] || { echo "FAIL: lib/acmed/hooks/$f not installed executable"; exit 1; }
done
for want in "acmed renew" "acmed persist record" "acmed migrate" "EXIT STATUS"; do
  grep -q "$want" "$prefix/share/man/man8/acmed.8" || { echo "FAIL: acmed(8) lacks '$want'"; exit 1; }
done
for want in dns-persist-01 renew_before trust_anchor; do
  grep -q -- "$want" "$prefix/share/man/man5/acmed.yaml.5" || { echo "FAIL: acmed.yaml(5) lacks '$want'"; exit 1; }
done
echo "ok - cmake --install: binary, acmed(8), acmed.yaml(5), docs and deploy hooks"
