#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The operator's first hour (issue 23), without a CA: a broken configuration is never
# "nothing to do" (exit 2 and the error, also in --json, on every command that reads
# it), mistyped or foreign commands and options get a pointer to the right one, file
# options name the file and the OS reason, --help documents the exit codes, serve
# accepts localhost and prints one start line, SIGINT/SIGTERM exit 130/143, and
# next-due prints a human wait.
# Usage: operator_first_hour.sh /path/to/acmed
set -u
ACMED=${1:?usage: operator_first_hour.sh ACMED}
dir=$(mktemp -d)
serve_pid=
trap '[ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null; rm -rf "$dir"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect CODE REGEX ARGS...: acmed ARGS exits CODE and its output (stdout and stderr,
# newlines as spaces) matches the extended REGEX.
expect() {
  local want=$1 regex=$2 out rc
  shift 2
  out=$(timeout 10 "$ACMED" "$@" 2>&1)  # serve that should refuse to start must not hang the test
  rc=$?
  [ "$rc" = "$want" ] || { fail "acmed $*: exit $rc, want $want: $out"; return; }
  tr '\n' ' ' <<<"$out" | grep -qE -- "$regex" || fail "acmed $*: output does not match '$regex': $out"
}
# json_has ARGS... -- PYTHON-EXPRESSION: stdout of acmed ARGS, parsed as d, satisfies it.
json_has() {
  local args=() out
  while [ "$1" != -- ]; do args+=("$1"); shift; done
  out=$(timeout 10 "$ACMED" "${args[@]}" 2>/dev/null)
  python3 -c "import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if ($2) else 1)" "$out" ||
    fail "acmed ${args[*]}: JSON does not satisfy $2: $out"
}

# --- A configuration directory that does not exist (a typo in --config-dir) -----------
typo=(--config-dir "$dir/typo" --state-dir "$dir/state")
missing="configuration directory $dir/typo does not exist"
expect 2 "$missing.*0 file\(s\) checked, 1 error" "${typo[@]}" config check
expect 2 "$missing" "${typo[@]}" renew
expect 2 "$missing" "${typo[@]}" list
expect 2 "$missing" "${typo[@]}" status
expect 2 "$missing" "${typo[@]}" next-due
touch "$dir/file"
expect 2 "configuration directory $dir/file is not a directory" --config-dir "$dir/file" list
expect 2 "$missing" "${typo[@]}" serve --listen 127.0.0.1:0
json_has "${typo[@]}" list --json -- "'does not exist' in d['config_errors'][0]"
json_has "${typo[@]}" renew --json -- "'does not exist' in d['config_errors'][0] and d['exit_code'] == 2"

# --- An existing configuration with nothing in certs.d: nothing to do, exit 0 ---------
etc=$dir/etc
mkdir -p "$etc/certs.d" "$dir/state"
printf 'ca:\n  directory: https://127.0.0.1:9/dir\n' > "$etc/acmed.yaml"
ok=(--config-dir "$etc" --state-dir "$dir/state")
expect 0 "no certificates configured" "${ok[@]}" renew
expect 0 "no certificates configured" "${ok[@]}" next-due
expect 0 "1 file\(s\) checked, 0 error" "${ok[@]}" config check
json_has "${ok[@]}" next-due --json -- "d['next_due'] is None and d['config_errors'] == []"

# --- The only certificate has an unknown key: list and next-due agree (exit 2) --------
printf 'names: [a.example]\nsolvers: [{type: http-01}]\nbogus: 1\n' > "$etc/certs.d/a.yaml"
expect 2 "a.yaml:3:1: unknown key 'bogus'" "${ok[@]}" next-due
expect 2 "CONFIG ERROR" "${ok[@]}" list
json_has "${ok[@]}" next-due --json -- "d['next_due'] is None and 'bogus' in d['config_errors'][0]"
json_has "${ok[@]}" list --json -- "'bogus' in d['config_errors'][0]"
rm "$etc/certs.d/a.yaml"

# --- A typo in acmed.yaml: every view says so and exits 2, also with --json -----------
printf 'ca:\n  directory: https://127.0.0.1:9/dir\nacount: {}\n' > "$etc/acmed.yaml"
for cmd in list status next-due renew "config check"; do
  # shellcheck disable=SC2086
  expect 2 "acmed.yaml:3:1: unknown key 'acount'" "${ok[@]}" $cmd
done
json_has "${ok[@]}" list --json -- "'acount' in d['config_errors'][0]"
json_has "${ok[@]}" status --json -- "'acount' in d['config_errors'][0]"
json_has "${ok[@]}" next-due --json -- "'acount' in d['config_errors'][0]"
expect 2 "unknown key 'acount'" "${ok[@]}" serve --listen 127.0.0.1:0
printf 'ca:\n  directory: https://127.0.0.1:9/dir\n' > "$etc/acmed.yaml"

# --- Unknown commands and other clients' words ----------------------------------------
expect 2 "unknown command 'isue' \(did you mean 'issue'\?\)" isue
expect 2 "unknown command 'certonly' \(did you mean 'issue'\?\)" certonly -d a.example
expect 2 "unknown command 'certificates' \(did you mean 'list'\?\)" certificates
expect 2 "unknown command 'delete'.*remove certs.d/NAME.yaml" delete --cert-name x
expect 2 "unknown command 'persist rol' \(did you mean 'persist roll'\?\)" persist rol x
expect 2 "unknown command 'config chek' \(did you mean 'config check'\?\)" --config-dir "$etc" config chek
expect 2 "unknown option '--email': use --contact" --email a@example.com issue x -d a.example
expect 2 "unknown option '--accept-tos': use --agree-tos" issue x --accept-tos
expect 2 "'acmed' needs a command: issue, deploy, renew" --json
expect 2 "'acmed persist' needs a command: record, check, roll" persist
expect 0 "Usage: acmed persist" persist --help
# Real commands with global options before them still parse (no false alarm).
expect 0 "" --config-dir "$etc" --state-dir "$dir/state" --parse-only persist roll x --until 180d

# --- Help: the exit codes, the named --server shortcuts --------------------------------
expect 0 "Exit status: +0 +success.* 1 .* 2 +configuration or usage error.* 3 .* 130 +interrupted by SIGINT \(143: SIGTERM\)" --help
expect 0 "--server TEXT +ACME directory URL, or a named shortcut: letsencrypt, letsencrypt-staging" --help
expect 0 "^Obtain" issue --help  # the table is the top-level help's footer only
"$ACMED" issue --help 2>&1 | grep -q "Exit status" && fail "issue --help repeats the exit-status table"
"$ACMED" --help 2>&1 | grep -q "Usage: acmed \[OPTIONS\]" || fail "usage line does not say 'acmed': $("$ACMED" --help | head -2)"
expect 2 "known name \(letsencrypt, letsencrypt-staging\)" "${ok[@]}" --server letsencrypt-stage ca info

# --- File options name the file and the OS's reason ------------------------------------
expect 2 "cannot read CA bundle $dir/none.pem: No such file or directory" "${ok[@]}" --ca-bundle "$dir/none.pem" ca info
expect 2 "cannot read CA bundle $dir: it is a directory" "${ok[@]}" --ca-bundle "$dir" ca info
echo "not a certificate" > "$dir/junk.pem"
expect 2 "CA bundle $dir/junk.pem holds no PEM certificate" "${ok[@]}" --ca-bundle "$dir/junk.pem" ca info
expect 2 "cannot read credentials file $dir/none.token: No such file or directory" "${ok[@]}" serve --listen 127.0.0.1:0 \
  --token-file "$dir/none.token"

# --- serve: localhost is loopback; one start line; SIGINT 130, SIGTERM 143 -------------
for sig in INT TERM; do
  listen=$([ "$sig" = INT ] && echo localhost:0 || echo 127.0.0.1:0)
  "$ACMED" "${ok[@]}" serve --listen "$listen" > "$dir/serve.log" 2>&1 &
  serve_pid=$!
  for _ in $(seq 100); do grep -q "listening on" "$dir/serve.log" && break; sleep 0.1; done
  sleep 0.2  # a second start line would follow at once
  kill -"$sig" "$serve_pid"
  wait "$serve_pid"
  rc=$?
  serve_pid=
  want=$([ "$sig" = INT ] && echo 130 || echo 143)
  [ "$rc" = "$want" ] || fail "serve stopped by SIG$sig: exit $rc, want $want: $(cat "$dir/serve.log")"
  grep -qE "listening on (127\.0\.0\.1|\[::1\]):[0-9]+" "$dir/serve.log" ||
    fail "serve --listen $listen did not listen on loopback: $(cat "$dir/serve.log")"
  lines=$(grep -c "listening on\|status interface on" "$dir/serve.log")
  [ "$lines" = 1 ] || fail "serve printed its start line $lines times: $(cat "$dir/serve.log")"
done

# --- next-due: a human wait, the seconds in JSON --------------------------------------
printf 'names: [a.example]\nsolvers: [{type: http-01}]\n' > "$etc/certs.d/a.yaml"
mkdir -p "$dir/state/live/a"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1500 -subj /CN=a.example \
  -addext subjectAltName=DNS:a.example -keyout "$dir/key.pem" -out "$dir/state/live/a/fullchain.pem" 2>/dev/null ||
  fail "openssl could not make a test certificate"
expect 0 "\(a, in [0-9]+ y( [0-9]+ d)?: " "${ok[@]}" next-due
json_has "${ok[@]}" next-due --json -- "d['name'] == 'a' and d['in_seconds'] > 365 * 86400 and d['config_errors'] == []"

[ "$fails" = 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "ok - the operator's first hour: configuration errors, hints, help, files, serve, signals, next-due"
