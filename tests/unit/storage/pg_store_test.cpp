// PgStateStore beyond the common contract: what a fleet relies on. Two "nodes" are two
// stores on one schema, each with its own local state directory.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "acmed/core/files.hpp"
#include "pg_fixture.hpp"
#include "test_certs.hpp"

using namespace acmed;

namespace {

std::unique_ptr<storage::PgStateStore> node(const test::PgSchema& s, const std::string& name, const std::string& root,
                                            char key_byte = 'k') {
  auto st = storage::PgStateStore::open(test::pg_options(s, name, root, key_byte));
  if (!st) FAIL(st.error().message);
  return std::move(*st);
}

}  // namespace

TEST_CASE("pg store: a lock held by one node refuses every other node, and dies with its session") {
  test::PgSchema s;
  test::TempDir a_dir, b_dir;
  auto a = node(s, "a", a_dir.path());
  auto b = node(s, "b", b_dir.path());
  {
    auto held = a->lock_certificate("www", false);
    REQUIRE(held);
    auto other = b->lock_certificate("www", false);
    REQUIRE_FALSE(other);
    CHECK(other.error().code == Errc::timeout);
    CHECK(other.error().message.find("another node") != std::string::npos);
    CHECK(b->lock_certificate("api", false));
  }
  CHECK(b->lock_certificate("www", false));  // the holder's connection is gone
}

TEST_CASE("pg store: a version is current for every node at once; each node syncs its own live/") {
  test::PgSchema s;
  test::TempDir a_dir, b_dir;
  auto a = node(s, "a", a_dir.path());
  auto b = node(s, "b", b_dir.path());
  const std::string chain = test::make_chain_pem({"www.example"}, "Root A");
  REQUIRE(*a->save_certificate("www", chain, Secret(std::string("KEY-1"))) == 1);
  CHECK(*a->certificate_identity("www") == *b->certificate_identity("www"));
  CHECK((*b->load_certificate("www"))->version == 1);
  CHECK(b->load_certificate_key("www")->view() == "KEY-1");
  // a wrote its live/ when it saved; b has nothing until it syncs.
  CHECK(std::filesystem::exists(a_dir.path() + "/live/www/fullchain.pem"));
  CHECK_FALSE(std::filesystem::exists(b_dir.path() + "/live/www/fullchain.pem"));
  CHECK(*b->sync_certificate("www") == 1);
  CHECK(*read_file(b_dir.path() + "/live/www/fullchain.pem") == chain);
  CHECK(*read_file(b_dir.path() + "/live/www/privkey.pem") == "KEY-1");
  CHECK(*b->sync_certificate("www") == 0);  // nothing new
  CHECK(*a->sync_certificate("www") == 0);

  auto versions = a->current_versions();
  REQUIRE(versions->size() == 1);
  CHECK((*versions)[0].node == "a");
  auto nodes = a->node_versions();
  REQUIRE(nodes->size() == 2);
  REQUIRE(*b->save_certificate("www", chain, Secret(std::string("KEY-2"))) == 2);
  nodes = a->node_versions();
  for (const auto& n : *nodes) CHECK(n.version == (n.node == "b" ? 2 : 1));  // a is behind
  CHECK(*a->sync_certificate("www") == 2);
  CHECK(a->certificate_names()->size() == 1);
}

TEST_CASE("pg store: keys in the database need this node's encryption key; the database never holds them in clear") {
  test::PgSchema s;
  test::TempDir a_dir, b_dir;
  auto a = node(s, "a", a_dir.path(), 'k');
  REQUIRE(a->save_account_key("ca", Secret(std::string("-----BEGIN PRIVATE KEY----- ACCOUNT"))));
  REQUIRE(a->save_certificate("www", test::make_chain_pem({"www.example"}), Secret(std::string("CERT-KEY"))));
  auto wrong = node(s, "b", b_dir.path(), 'x');
  auto acct = wrong->load_account("ca");
  REQUIRE_FALSE(acct);
  CHECK(acct.error().code == Errc::crypto);
  CHECK(acct.error().message.find("cannot decrypt it with this node's encryption key") != std::string::npos);
  CHECK_FALSE(wrong->load_certificate_key("www"));
  CHECK_FALSE(wrong->sync_certificate("www"));
  CHECK_FALSE(std::filesystem::exists(b_dir.path() + "/live/www"));
  // What is readable without the key: neither private key appears in any table.
  PGconn* c = PQconnectdb(s.dsn().c_str());
  REQUIRE(PQstatus(c) == CONNECTION_OK);
  PGresult* r = PQexec(c,
                       "SELECT count(*) FROM acmed_accounts a, acmed_cert_versions v WHERE a::text LIKE '%ACCOUNT%' "
                       "OR v::text LIKE '%CERT-KEY%'");
  CHECK(std::string(PQgetvalue(r, 0, 0)) == "0");
  PQclear(r);
  PQfinish(c);
  // Another node with the right key reads them.
  auto right = node(s, "c", b_dir.path(), 'k');
  CHECK((*right->load_account("ca"))->key_pem.view() == "-----BEGIN PRIVATE KEY----- ACCOUNT");
  CHECK(right->load_certificate_key("www")->view() == "CERT-KEY");
}

TEST_CASE("pg store: migrations run once, nodes open the same schema, a newer schema is refused") {
  test::PgSchema s;
  test::TempDir d;
  auto a = node(s, "a", d.path());
  auto b = node(s, "b", d.path());  // already migrated: nothing to do
  test::pg_exec(s.dsn(), "SELECT 1");
  PGconn* c = PQconnectdb(s.dsn().c_str());
  PGresult* r = PQexec(c, "SELECT count(*) FROM acmed_schema");
  CHECK(std::string(PQgetvalue(r, 0, 0)) == std::to_string(storage::PgStateStore::schema_version()));
  PQclear(r);
  PQfinish(c);
  test::pg_exec(s.dsn(), "INSERT INTO acmed_schema VALUES (999)");
  auto newer = storage::PgStateStore::open(test::pg_options(s, "c", d.path()));
  REQUIRE_FALSE(newer);
  CHECK(newer.error().message.find("newer than this acmed") != std::string::npos);
}

TEST_CASE("pg store: an unreachable database fails clearly") {
  storage::PgOptions o;
  o.dsn = Secret(std::string("host=/nonexistent-socket-dir dbname=x connect_timeout=2"));
  o.key = Secret(std::string(32, 'k'));
  o.node = "a";
  o.local_root = "/tmp";
  auto s = storage::PgStateStore::open(std::move(o));
  REQUIRE_FALSE(s);
  CHECK(s.error().message.find("cannot connect to PostgreSQL") != std::string::npos);
}
