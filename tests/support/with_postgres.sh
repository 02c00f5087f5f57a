#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# with_postgres.sh COMMAND...: runs COMMAND beside a throwaway PostgreSQL server (Debian's
# postgresql package: initdb into a temp dir, listening on a Unix socket in that dir only,
# no TCP), with its connection string in ACMED_TEST_PG_DSN. The server is stopped and the
# dir removed afterwards, also when COMMAND fails; COMMAND's exit status is returned.
# As root, the server runs as the user postgres (initdb refuses root).
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] && [ -x "$bin/initdb" ] || { echo "FAIL: PostgreSQL server not installed (scripts/install-deps.sh installs postgresql)" >&2; exit 1; }
dir=$(mktemp -d /tmp/acmed-pg.XXXXXX)
as=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$dir"
  as=(runuser -u postgres --)
fi
stop() {
  local rc=$?
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop > /dev/null 2>&1 || true
  [ "$rc" = 0 ] || { echo "--- postgres log (tail) ---" >&2; tail -n 20 "$dir/log" >&2 2>/dev/null || true; }
  rm -rf "$dir"
  exit "$rc"
}
trap stop EXIT
"${as[@]}" "$bin/initdb" -D "$dir/data" -U acmed --auth=trust -E UTF8 --no-sync > "$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 1; }
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
  -o "-k $dir -c listen_addresses= -c fsync=off -c max_connections=200" start > /dev/null ||
  { echo "FAIL: PostgreSQL did not start" >&2; exit 1; }
export ACMED_TEST_PG_DSN="host=$dir user=acmed dbname=postgres"
export ACMED_TEST_PG_DIR=$dir ACMED_TEST_PG_BIN=$bin
"$@"
