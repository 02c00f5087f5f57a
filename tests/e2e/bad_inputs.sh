# SPDX-License-Identifier: Apache-2.0
# Bad input from the operator gets a specific message and exit code 2; a CA that is
# down gets exit code 1. Nothing is written to live/ in either case.
. "$(dirname "$0")/lib/fixture.sh"
fixture_start

expect() {  # expect CODE PATTERN -- ARGS...
  local code=$1 pattern=$2; shift 3
  set +e; out=$("$@" 2>&1); rc=$?; set -e
  [ "$rc" = "$code" ] || fail "exit $rc, want $code for: $* -> $out"
  echo "$out" | grep -qE "$pattern" || fail "message '$out' does not match '$pattern'"
}
cat > "$CONFIG_DIR/certs.d/typo.yaml" <<'YAML'
names: [a.test.example]
solvers:
  - type: http-01
    lisen: 127.0.0.1:80
YAML
expect 2 "typo.yaml:4:5: unknown http-01 setting 'lisen'" -- acmed_run issue typo
cat > "$CONFIG_DIR/certs.d/nosolver.yaml" <<'YAML'
names: [a.test.example]
key_type: dsa
solvers: [{type: http-01}]
YAML
expect 2 "nosolver.yaml:2:1: unknown key type 'dsa'" -- acmed_run issue nosolver
expect 2 "cannot read .*missing.yaml" -- acmed_run issue missing
expect 2 "a wildcard is only allowed" -- acmed_run issue x -d 'a.*.test.example'
expect 2 "give a certificate NAME" -- acmed_run issue
expect 2 "unknown revocation reason" -- acmed_run revoke demo --reason because
expect 2 "terms of service" -- acmed_run issue tos -d tos.test.example --http-01-listen "127.0.0.1:$HTTP01_PORT"
expect 1 "cannot connect" -- "$ACMED" --state-dir "$STATE_DIR" --config-dir "$CONFIG_DIR" --server https://127.0.0.1:1/dir \
  --ca-bundle "$CA_BUNDLE" --agree-tos issue down -d down.test.example --http-01-listen "127.0.0.1:$HTTP01_PORT"
expect 1 "certificate verify failed" -- "$ACMED" --state-dir "$STATE_DIR" --config-dir "$CONFIG_DIR" --server "$ACME_DIR" \
  --agree-tos issue untrusted -d u.test.example --http-01-listen "127.0.0.1:$HTTP01_PORT"
[ ! -e "$STATE_DIR/live" ] || fail "a failed run wrote to live/"
pass "bad inputs rejected with specific messages"
