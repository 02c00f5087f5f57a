#!/usr/bin/env bash
# Installs what acmed needs to build and test, from Debian bookworm packages only.
# Installs nothing when everything is present. Run as root (or with sudo available).
set -euo pipefail

packages=(
  # build
  g++ cmake ninja-build pkg-config git
  # the Debian package and its test (debian/, tests/packaging/deb.sh)
  dpkg-dev debhelper lintian
  # sanitizer and fuzz build (scripts/sanitize.sh, scripts/fuzz.sh): clang with libFuzzer
  clang libclang-rt-14-dev
  libssl-dev libboost-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
  libcli11-dev libexpected-dev catch2 libldns-dev libunbound-dev libpq-dev
  # tests and demo: the real CA and the tools the fixtures use
  pebble openssl curl iproute2 ca-certificates binutils unbound strace debian-archive-keyring
  python3-yaml python3-jsonschema systemd help2man go-md2man bash-completion zsh
  softhsm2 libengine-pkcs11-openssl opensc chromium
  # the peers acmed imports from and is benchmarked against (tests/e2e/import.sh, bench/)
  certbot python3-certbot-dns-rfc2136 lego
  # the fleet state store's tests run a throwaway server (tests/support/with_postgres.sh)
  postgresql
  bind9 bind9-utils bind9-dnsutils pdns-server pdns-backend-sqlite3 sqlite3
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
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
