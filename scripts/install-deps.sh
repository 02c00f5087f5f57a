#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what acmed needs, from Debian bookworm packages only. Installs nothing when
# everything asked for is present. Run as root (or with sudo available).
#
#   install-deps.sh                 everything: build, test suite, package, sanitizers (scripts/test.sh)
#   install-deps.sh build demo      only what scripts/demo.sh needs: the compiler, the
#                                   libraries, and Pebble with the tools its fixture uses
# Groups: build demo test package sanitize.
set -euo pipefail

group() {
  case $1 in
    # the compiler and the libraries acmed links
    build) echo g++ cmake ninja-build pkg-config git \
      libssl-dev libboost-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libyaml-cpp-dev \
      libcli11-dev libexpected-dev catch2 libldns-dev libunbound-dev libpq-dev ;;
    # the local CA and what tests/e2e/lib/fixture.sh checks for
    demo) echo pebble openssl curl iproute2 ca-certificates strace ;;
    # the rest of the test suite: DNS servers, tokens, browsers, the peers acmed imports
    # from and is benchmarked against (tests/e2e/import.sh, bench/), the fleet store's
    # throwaway PostgreSQL (tests/support/with_postgres.sh)
    test) echo binutils unbound debian-archive-keyring \
      python3-yaml python3-jsonschema systemd help2man go-md2man bash-completion zsh \
      softhsm2 libengine-pkcs11-openssl opensc chromium \
      certbot python3-certbot-dns-rfc2136 lego postgresql \
      bind9 bind9-utils bind9-dnsutils pdns-server pdns-backend-sqlite3 sqlite3 ;;
    # the Debian package and its test (debian/, tests/packaging/deb.sh)
    package) echo dpkg-dev debhelper lintian ;;
    # sanitizer and fuzz build (scripts/sanitize.sh, scripts/fuzz.sh): clang with libFuzzer
    sanitize) echo clang libclang-rt-14-dev ;;
    *) echo "install-deps: unknown group '$1' (build demo test package sanitize)" >&2; return 1 ;;
  esac
}

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(build demo test package sanitize)
packages=()
for g in "${groups[@]}"; do
  list=$(group "$g")
  read -r -a more <<< "$list"
  packages+=("${more[@]}")
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present (${groups[*]})"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root, or install sudo" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
