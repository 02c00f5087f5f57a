# SPDX-License-Identifier: Apache-2.0
# Pebble rejects 30% of good nonces with badNonce; acmed retries within its bound
# and both issuances still succeed. The debug log proves retries happened.
NONCE_REJECT=30
. "$(dirname "$0")/lib/fixture.sh"
fixture_start

for n in one two; do
  acmed_run -v --agree-tos issue "$n" -d "$n.test.example" --http-01-listen "127.0.0.1:$HTTP01_PORT" \
    2>> "$FIXTURE_DIR/acmed.log" || { tail -n 30 "$FIXTURE_DIR/acmed.log"; fail "issuance $n failed under nonce rejection"; }
done
retries=$(grep -c 'badNonce); retrying' "$FIXTURE_DIR/acmed.log" || [ $? = 1 ])  # 1: no match (0 printed); 2: no log
[ "$retries" -ge 1 ] || fail "no badNonce retry was observed; the test proved nothing"
pass "two issuances succeeded with $retries badNonce retries"
