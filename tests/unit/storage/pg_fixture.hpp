// SPDX-License-Identifier: Apache-2.0
// PgFixture: a PgStateStore on the PostgreSQL that tests/support/with_postgres.sh
// started (ACMED_TEST_PG_DSN), in a schema of its own, emptied first. Without that
// variable the test FAILS: a PostgreSQL test never passes by skipping.
#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <memory>
#include <string>

#include "acmed/storage/pg_store.hpp"
#include "temp_dir.hpp"

namespace acmed::test {

inline std::string pg_base_dsn() {
  const char* dsn = std::getenv("ACMED_TEST_PG_DSN");
  if (!dsn || !*dsn) FAIL("ACMED_TEST_PG_DSN is not set: run under tests/support/with_postgres.sh (ctest does)");
  return dsn;
}

/// Runs SQL on the test server (setup only).
inline void pg_exec(const std::string& dsn, const std::string& sql) {
  PGconn* c = PQconnectdb(dsn.c_str());
  REQUIRE(PQstatus(c) == CONNECTION_OK);
  PGresult* r = PQexec(c, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  std::string err = PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
  INFO(err);
  REQUIRE(ok);
}

/// A fresh schema; dsn() connects to it.
struct PgSchema {
  std::string name;
  std::string base = pg_base_dsn();
  PgSchema() {
    static std::atomic<int> n{0};
    name = "t" + std::to_string(::getpid()) + "_" + std::to_string(++n);
    pg_exec(base, "DROP SCHEMA IF EXISTS " + name + " CASCADE; CREATE SCHEMA " + name);
  }
  std::string dsn() const { return base + " options='-c search_path=" + name + "'"; }
};

inline storage::PgOptions pg_options(const PgSchema& s, const std::string& node, const std::string& root,
                                     char key_byte = 'k') {
  storage::PgOptions o;
  o.dsn = Secret(s.dsn());
  o.key = Secret(std::string(32, key_byte));
  o.node = node;
  o.local_root = root;
  return o;
}

struct PgFixture {
  PgSchema schema;
  TempDir local;
  std::unique_ptr<storage::PgStateStore> owned = [this] {
    auto s = storage::PgStateStore::open(pg_options(schema, "node-a", local.path()));
    if (!s) FAIL(s.error().message);
    return std::move(*s);
  }();
  storage::PgStateStore& store = *owned;
};

}  // namespace acmed::test
