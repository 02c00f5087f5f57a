// SPDX-License-Identifier: Apache-2.0
// PgStateStore beyond the common contract: what a fleet relies on. Two "nodes" are two
// stores on one schema, each with its own local state directory.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <array>
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
  REQUIRE(b->mark_deployed("www", 1));  // its hooks ran
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
  // A node with another sealing key cannot even open the store: it can neither read
  // keys nor write versions the others could not open.
  auto wrong = storage::PgStateStore::open(test::pg_options(s, "b", b_dir.path(), 'x'));
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == Errc::crypto);
  CHECK(wrong.error().message.find("not the one the store was sealed with") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(b_dir.path() + "/live/www"));
  // A chain changed in the database no longer opens its key, so nobody deploys it.
  test::pg_exec(s.dsn(), "UPDATE acmed_cert_versions SET fullchain = fullchain || ' '");
  auto tampered = a->load_certificate_key("www");
  REQUIRE_FALSE(tampered);
  CHECK(tampered.error().message.find("cannot decrypt") != std::string::npos);
  test::pg_exec(s.dsn(), "UPDATE acmed_cert_versions SET fullchain = rtrim(fullchain, ' ')");
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

TEST_CASE("pg store: a renewer that lost its lock, or was overtaken, cannot add a second version") {
  test::PgSchema s;
  test::TempDir a_dir, b_dir;
  auto a = node(s, "a", a_dir.path());
  auto b = node(s, "b", b_dir.path());
  const std::string chain = test::make_chain_pem({"www.example"});
  {
    auto held = a->lock_certificate("www", false);
    REQUIRE(held);
    // The lock's session ends under it (a network cut, an admin's pg_terminate_backend).
    test::pg_exec(s.dsn(), "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()");
    auto lost = a->save_certificate("www", chain, Secret(std::string("K-A")));
    REQUIRE_FALSE(lost);
    CHECK(lost.error().message.find("lost its lock") != std::string::npos);
    CHECK(lost.error().message.find("kept in this node's archive") != std::string::npos);
  }
  CHECK(b->certificate_identity("www")->empty());  // nothing reached the store
  CHECK(std::filesystem::exists(a_dir.path() + "/archive/www/privkey1.pem"));  // the key is not lost
  {
    auto held = a->lock_certificate("www", false);
    REQUIRE(held);
    // b stores a version without the lock (a node that lost its own lock earlier).
    REQUIRE(*b->save_certificate("www", chain, Secret(std::string("K-B"))) == 1);
    auto overtaken = a->save_certificate("www", chain, Secret(std::string("K-A2")));
    REQUIRE_FALSE(overtaken);
    CHECK(overtaken.error().message.find("stored by another node") != std::string::npos);
  }
  CHECK(b->load_certificate_key("www")->view() == "K-B");
}

TEST_CASE("pg store: a node that never deployed is listed as behind; hooks that failed run again") {
  test::PgSchema s;
  test::TempDir a_dir, b_dir;
  auto a = node(s, "a", a_dir.path());
  auto b = node(s, "b", b_dir.path());
  REQUIRE(a->save_certificate("www", test::make_chain_pem({"www.example"}), Secret(std::string("K"))));
  auto nodes = a->node_versions();
  REQUIRE(nodes->size() == 2);
  for (const auto& n : *nodes) CHECK(n.version == (n.node == "a" ? 1 : 0));
  CHECK(*b->sync_certificate("www") == 1);
  // b's hooks failed: it did not call mark_deployed, so the next sync asks again
  // (without writing the files a second time).
  CHECK(*b->sync_certificate("www") == 1);
  CHECK_FALSE(std::filesystem::exists(b_dir.path() + "/archive/www/fullchain2.pem"));
  REQUIRE(b->mark_deployed("www", 1));
  CHECK(*b->sync_certificate("www") == 0);
  REQUIRE(b->mark_deployed("www", 0));  // never backwards
  CHECK(*b->sync_certificate("www") == 0);
}

TEST_CASE("pg store: retiring an account keeps its key and the key before it") {
  test::PgSchema s;
  test::TempDir d;
  auto a = node(s, "a", d.path());
  REQUIRE(a->save_account_key("ca", Secret(std::string("KEY1"))));
  REQUIRE(a->save_account_url("ca", "https://ca.example/acct/1"));
  REQUIRE(a->save_pending_account_key("ca", Secret(std::string("KEY2"))));
  REQUIRE(a->commit_pending_account_key("ca"));
  CHECK_FALSE(a->commit_pending_account_key("ca"));  // nothing pending
  auto slot = a->retire_account("ca");
  REQUIRE(slot);
  const std::string retired = slot->substr(slot->rfind('/') + 1);
  PGconn* c = PQconnectdb(s.dsn().c_str());
  PGresult* r = PQexecParams(c, "SELECT key_sealed IS NOT NULL, old_key_sealed IS NOT NULL, url FROM acmed_accounts "
                                "WHERE ca = 'ca' AND slot = $1",
                             1, nullptr, std::array<const char*, 1>{retired.c_str()}.data(), nullptr, nullptr, 0);
  REQUIRE(PQntuples(r) == 1);
  CHECK(std::string(PQgetvalue(r, 0, 0)) == "t");
  CHECK(std::string(PQgetvalue(r, 0, 1)) == "t");
  CHECK(std::string(PQgetvalue(r, 0, 2)) == "https://ca.example/acct/1");
  PQclear(r);
  PQfinish(c);
}

TEST_CASE("pg store: a connection error never shows the connection string's secrets") {
  storage::PgOptions o;
  o.dsn = Secret(std::string("host=/nonexistent-dir user=acmed password=hunter2secret connect_timeout=2"));
  o.key = Secret(std::string(32, 'k'));
  o.node = "a";
  o.local_root = "/tmp";
  auto s = storage::PgStateStore::open(std::move(o));
  REQUIRE_FALSE(s);
  CHECK(s.error().message.find("hunter2secret") == std::string::npos);
  storage::PgOptions bad;
  bad.dsn = Secret(std::string("host=/x password=%zz-secret-part 'unterminated"));
  bad.key = Secret(std::string(32, 'k'));
  bad.node = "a";
  bad.local_root = "/tmp";
  auto b = storage::PgStateStore::open(std::move(bad));
  REQUIRE_FALSE(b);
  CHECK(b.error().message.find("secret-part") == std::string::npos);
}
