#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fetches Pebble >= 2.10 (it has dns-persist-01) from Debian sid by package name,
# without touching the system's apt sources: a private sources list and state dir,
# `apt-get download`, `dpkg -x` into the cache. Prints the binary's path.
# It depends only on libc6 >= 2.34, so it runs on bookworm.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${ACMED_CACHE:-$PWD/.cache}/pebble-sid"
bin="$cache/root/usr/bin/pebble"
# The output is captured first: with pipefail, `pebble -h | grep -q` fails whenever grep
# exits before pebble has written everything (SIGPIPE), which sent parallel tests into
# a re-fetch. One fetch at a time: tests run in parallel.
has_persist() { local help; help=$("$bin" -h 2>&1 || true); grep -q dnsserver <<<"$help"; }
if [ -x "$bin" ] && has_persist; then echo "$bin"; exit 0; fi
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -x "$bin" ] && has_persist; then echo "$bin"; exit 0; fi
mkdir -p "$cache/lists/partial" "$cache/archives/partial"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || { echo "fetch-pebble-sid: $keyring missing (package debian-archive-keyring)" >&2; exit 1; }
# The mirror is the one this machine's own apt sources name for the main Debian archive
# (deb822 "URIs:" or one-line "deb URL suite ..."); no host name lives in this project.
mirror=$(
  { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }'
    cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }'
  } | grep -v -e security -e updates -e backports | sed 's:/*$::' | grep -E '/debian$' | head -n 1)
[ -n "$mirror" ] || { echo "fetch-pebble-sid: no Debian mirror found in /etc/apt/sources.list{,.d}" >&2; exit 1; }
echo "deb [signed-by=$keyring] $mirror sid main" > "$cache/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$cache/sources.list" -o Dir::Etc::SourceParts=/dev/null
          -o "Dir::State::Lists=$cache/lists" -o "Dir::Cache=$cache" -o "Dir::Cache::archives=$cache/archives"
          -o APT::Sandbox::User=root)
apt-get "${apt_opts[@]}" -qq update >&2
( cd "$cache" && apt-get "${apt_opts[@]}" -qq download pebble >&2 )
deb=$(ls -t "$cache"/pebble_*.deb | head -n 1)
rm -rf "$cache/root"
dpkg -x "$deb" "$cache/root"
version=$(dpkg-deb -f "$deb" Version)
case "$version" in
  2.[0-9].*) echo "fetch-pebble-sid: sid has pebble $version, which has no dns-persist-01 (need >= 2.10)" >&2; exit 1 ;;
esac
echo "fetch-pebble-sid: pebble $version in $cache/root" >&2
echo "$bin"
