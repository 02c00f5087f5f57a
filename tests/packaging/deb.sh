#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/packaging/deb.sh: builds the acmed .deb from the working tree with
# `dpkg-buildpackage -us -uc -b`, runs lintian on it (any E: fails), installs it,
# checks what it put where, and purges it again.
#
# Run as root on a Debian bookworm CI machine: `bash tests/packaging/deb.sh`. It
# installs missing build tools and Build-Depends with apt-get, and it refuses to
# start when acmed is already installed (as a package or /usr/bin/acmed) or when
# /etc/acmed or /var/lib/acmed exist: purging would delete a real installation's
# account keys. Uncommitted and untracked (not ignored) files are part of the build.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
start=$SECONDS

ok() { echo "ok - $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root: the test installs and purges the acmed package"
[ -f "$src/debian/control" ] || fail "$src/debian/control missing"

# --- Never touch an existing installation ----------------------------------------
pkg_state=$(dpkg-query -W -f='${db:Status-Status}' acmed 2>/dev/null || true)
case "$pkg_state" in
  ""|not-installed) ;;
  *) fail "a package named acmed is already on this machine (dpkg state: $pkg_state); this test installs and purges its own acmed and will not replace it" ;;
esac
for p in /usr/bin/acmed /etc/acmed /var/lib/acmed; do
  if [ -e "$p" ] || [ -L "$p" ]; then
    fail "$p exists: an acmed installation not made by this test is present; refusing to install over it or purge it"
  fi
done
had_user=0; getent passwd acmed >/dev/null && had_user=1
had_group=0; getent group acmed >/dev/null && had_group=1

work=$(mktemp -d /tmp/acmed-deb.XXXXXX)
installed=0
cleanup() {
  local rc=$?
  set +e
  if [ "$installed" = 1 ]; then
    echo "# cleanup: apt-get purge -y acmed"
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq acmed >/dev/null 2>&1
    [ -e /usr/bin/acmed ] && { echo "FAIL: /usr/bin/acmed still present after purge" >&2; rc=1; }
  fi
  # The package keeps its system user on purge (debian/acmed.postrm); the test
  # removes it again when the test created it.
  if [ "$had_user" = 0 ] && getent passwd acmed >/dev/null; then userdel acmed; fi
  if [ "$had_group" = 0 ] && getent group acmed >/dev/null; then groupdel acmed; fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Build tools and Build-Depends -----------------------------------------------
export DEBIAN_FRONTEND=noninteractive
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  apt-get "$@"
}
tools=(dpkg-dev debhelper lintian systemd git)
missing=()
for p in "${tools[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "# installing ${missing[*]}"
  apt_install install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! (cd "$src" && dpkg-checkbuilddeps >/dev/null 2>&1); then
  # The Build-Depends field as written (versions, virtual packages): apt-get satisfy
  # resolves it like dpkg-checkbuilddeps reads it, and needs no deb-src lines.
  builddeps=$(awk '/^Build-Depends:/ { f = 1; sub(/^Build-Depends:/, ""); print; next }
                   f && /^[ \t]/ { print; next } { f = 0 }' "$src/debian/control" | tr '\n' ' ')
  echo "# installing Build-Depends: $(cd "$src" && dpkg-checkbuilddeps 2>&1 | sed 's/.*Unmet build dependencies: //')"
  apt_install satisfy -y -qq --no-install-recommends "$builddeps" >/dev/null
  (cd "$src" && dpkg-checkbuilddeps) || fail "Build-Depends still unmet after apt-get satisfy"
fi
git -C "$src" rev-parse --git-dir >/dev/null 2>&1 || fail "$src is not a git checkout: the source files are listed with git ls-files"
ok "build tools and Build-Depends installed"

# --- Copy the working tree and build ---------------------------------------------
# Tracked files as they are now (edited or not) plus untracked files that .gitignore
# does not exclude; files deleted from the tree but still in the index are skipped.
tree="$work/acmed"
mkdir "$tree"
(cd "$src" && git ls-files -z --cached --others --exclude-standard |
   while IFS= read -r -d '' f; do
     if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
   done | tar --null -T - -cf -) | tar -C "$tree" -xf -
[ -x "$tree/debian/rules" ] || fail "debian/rules missing or not executable in the copied tree"

echo "# dpkg-buildpackage -us -uc -b in $tree (log: $work/build.log)"
build_start=$SECONDS
if ! (cd "$tree" && DEB_BUILD_OPTIONS="parallel=2" dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1); then
  # CMake prints its whole CMakeOutput.log after a failed configure: show the errors first.
  grep -E -A6 'CMake Error|error:|Error [0-9]' "$work/build.log" | head -n 80 || true
  echo "# last lines of the build log:"
  tail -n 25 "$work/build.log"
  fail "dpkg-buildpackage -us -uc -b failed"
fi
shopt -s nullglob
debs=("$work"/acmed_*.deb)
changes=("$work"/acmed_*.changes)
shopt -u nullglob
[ ${#debs[@]} -eq 1 ] || fail "expected one acmed_*.deb in $work, found ${#debs[@]}"
[ ${#changes[@]} -eq 1 ] || fail "expected one acmed_*.changes in $work, found ${#changes[@]}"
deb=${debs[0]}
ok "dpkg-buildpackage built $(basename "$deb") in $((SECONDS - build_start)) s"

# --- lintian ---------------------------------------------------------------------
lint=$(lintian "${changes[0]}" 2>&1) || true
if [ -n "$lint" ]; then while IFS= read -r l; do echo "# lintian: $l"; done <<<"$lint"; fi
if grep -q '^E: ' <<<"$lint"; then fail "lintian reports errors"; fi
ok "lintian: no errors ($(grep -c '^W: ' <<<"$lint" || true) warnings)"

# --- Package contents ------------------------------------------------------------
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/acmed ./usr/share/man/man8/acmed.8.gz ./usr/share/man/man5/acmed.yaml.5.gz \
         ./usr/share/bash-completion/completions/acmed ./usr/share/zsh/vendor-completions/_acmed \
         ./lib/systemd/system/acmed-renew.service ./lib/systemd/system/acmed-renew.timer \
         ./lib/systemd/system/acmed-deploy.service ./lib/systemd/system/acmed-deploy.path \
         ./usr/lib/sysusers.d/acmed.conf ./etc/acmed/ ./etc/acmed/certs.d/ ./var/lib/acmed/; do
  grep -q " $f\$" <<<"$contents" || fail "the .deb lacks $f"
done
# The deploy hooks the documentation names, executable (the examples' config check below needs them).
for f in reload-nginx reload-haproxy reload-apache reload-postfix; do
  grep -q "^-rwxr-xr-x .* ./usr/lib/acmed/hooks/$f\$" <<<"$contents" || fail "the .deb lacks an executable /usr/lib/acmed/hooks/$f"
done
# No configuration file is shipped: the administrator writes /etc/acmed/acmed.yaml.
if dpkg-deb -I "$deb" conffiles >/dev/null 2>&1; then fail "the .deb declares conffiles"; fi
if grep -q ' ./etc/acmed/.*[^/]$' <<<"$contents"; then fail "the .deb ships files in /etc/acmed"; fi
if grep -q 'logrotate' <<<"$contents"; then fail "the .deb ships a logrotate file (logs go to journald)"; fi
ok "the .deb holds the binary, both man pages, completions, four units, sysusers.d, the directories and no conffile"

# --- Install ---------------------------------------------------------------------
installed=1
apt-get install -y -qq --no-install-recommends "$deb" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; fail "apt-get install $deb failed"; }
[ "$(dpkg-query -W -f='${db:Status-Status}' acmed)" = installed ] || fail "dpkg does not list acmed as installed"
ok "apt-get install $(basename "$deb")"

[ -x /usr/bin/acmed ] || fail "/usr/bin/acmed missing"
want_version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
want_version=${want_version%-*}
ver=$(acmed --version) || fail "acmed --version failed"
[[ "$ver" =~ ^acmed\ ${want_version//./\\.}\ *$ ]] || fail "acmed --version printed '$ver', expected 'acmed $want_version'"
ok "/usr/bin/acmed --version: $ver"

for m in /usr/share/man/man8/acmed.8.gz /usr/share/man/man5/acmed.yaml.5.gz; do
  [ -s "$m" ] || fail "$m missing"
done
zcat /usr/share/man/man8/acmed.8.gz | grep -q "acmed renew" || fail "acmed(8) does not describe acmed renew"
zcat /usr/share/man/man5/acmed.yaml.5.gz | grep -q "renew_before" || fail "acmed.yaml(5) does not describe renew_before"
ok "man pages acmed(8) and acmed.yaml(5)"

[ -s /usr/share/bash-completion/completions/acmed ] || fail "bash completion missing"
[ -s /usr/share/zsh/vendor-completions/_acmed ] || fail "zsh completion missing"
ok "bash and zsh completion"

ex=/usr/share/doc/acmed/examples
for f in acmed.example.yaml acmed.cron acmed.schema.json certificate.schema.json certs.d/www.example.yaml \
         certs.d/persist.example.yaml certs.d/dns01.example.yaml certs.d/mixed.example.yaml certs.d/persist-migrated.yaml; do
  [ -s "$ex/$f" ] || fail "$ex/$f missing"
done
if [ -e "$ex/CMakeLists.txt" ] || [ -e "$ex/configs/README.md" ]; then fail "$ex holds build or test files"; fi
n_examples=$(find "$ex" -name '*.yaml' | wc -l)
check=$(acmed config check "$ex/acmed.example.yaml" "$ex"/certs.d/*.yaml) ||
  fail "acmed config check rejects the installed examples: $check"
grep -q "$n_examples file(s) checked, 0 error" <<<"$check" || fail "acmed config check: $check"
for d in security.md README.md operating-model.md; do
  [ -s "/usr/share/doc/acmed/$d" ] || fail "/usr/share/doc/acmed/$d missing (named by the units' Documentation=)"
done
ok "examples in $ex ($n_examples YAML files pass acmed config check), documentation uncompressed"

# --- User, group and directories -------------------------------------------------
pw=$(getent passwd acmed) || fail "no user acmed"
getent group acmed >/dev/null || fail "no group acmed"
IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
[ "$uid" -lt 1000 ] || fail "acmed is not a system user (uid $uid)"
[ "$gid" = "$(getent group acmed | cut -d: -f3)" ] || fail "acmed's primary group is not acmed"
[ "$home" = /var/lib/acmed ] || fail "acmed's home is $home, not /var/lib/acmed"
case "$shell" in */nologin|/bin/false) ;; *) fail "acmed has a login shell ($shell)";; esac
ok "system user acmed: $pw"

perm() { stat -c '%a %U:%G' "$1"; }
[ "$(perm /etc/acmed)" = "750 root:acmed" ] || fail "/etc/acmed is $(perm /etc/acmed), want 750 root:acmed"
[ "$(perm /etc/acmed/certs.d)" = "750 root:acmed" ] || fail "/etc/acmed/certs.d is $(perm /etc/acmed/certs.d), want 750 root:acmed"
[ "$(perm /var/lib/acmed)" = "700 acmed:acmed" ] || fail "/var/lib/acmed is $(perm /var/lib/acmed), want 700 acmed:acmed"
runuser -u acmed -- ls /etc/acmed/certs.d >/dev/null || fail "user acmed cannot read /etc/acmed/certs.d"
runuser -u acmed -- test -w /var/lib/acmed || fail "user acmed cannot write /var/lib/acmed"
ok "/etc/acmed and certs.d 750 root:acmed, /var/lib/acmed 700 acmed:acmed; acmed reads the one and writes the other"

# An upgrade (here: the same version again) keeps what the administrator changed.
chmod 0710 /etc/acmed
dpkg -i "$deb" >"$work/reinstall.log" 2>&1 || { cat "$work/reinstall.log"; fail "reinstalling the .deb failed"; }
[ "$(perm /etc/acmed)" = "710 root:acmed" ] || fail "reinstalling reset /etc/acmed to $(perm /etc/acmed)"
chmod 0750 /etc/acmed
ok "reinstalling keeps an administrator's mode on /etc/acmed"

# --- systemd units ---------------------------------------------------------------
units=(acmed-renew.service acmed-renew.timer acmed-deploy.service acmed-deploy.path)
for u in "${units[@]}"; do
  [ -f "/lib/systemd/system/$u" ] || fail "/lib/systemd/system/$u missing"
done
# Enabled: the symlinks `systemctl enable` makes (this works without systemd as PID 1).
[ -L /etc/systemd/system/timers.target.wants/acmed-renew.timer ] || fail "acmed-renew.timer is not enabled"
[ -L /etc/systemd/system/paths.target.wants/acmed-deploy.path ] || fail "acmed-deploy.path is not enabled"
# systemctl is-enabled reads the same files when systemd is not running; where it
# answers at all, the answer must be "enabled".
for u in acmed-renew.timer acmed-deploy.path; do
  st=$(systemctl is-enabled "$u" 2>/dev/null || true)
  [ -z "$st" ] || [ "$st" = enabled ] || fail "systemctl is-enabled $u: $st"
done
if [ -d /run/systemd/system ]; then
  for u in "${units[@]}"; do
    st=$(systemctl is-active "$u" 2>/dev/null || true)
    [ "$st" = inactive ] || fail "$u is $st after installation (should not be started)"
  done
  ok "units in /lib/systemd/system; acmed-renew.timer and acmed-deploy.path enabled, nothing started"
else
  ok "units in /lib/systemd/system; acmed-renew.timer and acmed-deploy.path enabled (systemd is not PID 1 here: not-started not checked)"
fi
# As tests/boundaries/verify_units.sh does, on the installed files.
out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "${units[@]/#//lib/systemd/system/}" 2>&1) ||
  { echo "$out"; fail "systemd-analyze verify rejects the installed units"; }
if grep -v "Failed to connect to bus\|No such file or directory.*journal" <<<"$out" | grep -q .; then
  echo "$out"; fail "systemd-analyze verify warns about the installed units"
fi
ok "systemd-analyze verify accepts the four installed units"
sec=$(systemd-analyze security --offline=true /lib/systemd/system/acmed-renew.service 2>&1) || true
score=$(sed -n 's/.*Overall exposure level for acmed-renew.service: \([0-9.]*\).*/\1/p' <<<"$sec")
[ -n "$score" ] || { echo "$sec"; fail "no exposure score from systemd-analyze security"; }
ok "systemd-analyze security --offline=true: acmed-renew.service exposure $score"

# --- Purge -----------------------------------------------------------------------
apt-get purge -y -qq acmed >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "apt-get purge acmed failed"; }
installed=0
[ ! -e /usr/bin/acmed ] || fail "/usr/bin/acmed still present after purge"
pkg_state=$(dpkg-query -W -f='${db:Status-Status}' acmed 2>/dev/null || true)
[ -z "$pkg_state" ] || [ "$pkg_state" = not-installed ] || fail "dpkg state of acmed after purge: $pkg_state"
for p in /var/lib/acmed /etc/acmed /lib/systemd/system/acmed-renew.timer \
         /etc/systemd/system/timers.target.wants/acmed-renew.timer /etc/systemd/system/paths.target.wants/acmed-deploy.path; do
  if [ -e "$p" ] || [ -L "$p" ]; then fail "$p still present after purge"; fi
done
getent passwd acmed >/dev/null || fail "purge removed the system user acmed (it should stay)"
ok "apt-get purge acmed: binary, units, enablement, /var/lib/acmed and the empty /etc/acmed gone; user acmed kept"

ok "deb.sh passed in $((SECONDS - start)) s"
