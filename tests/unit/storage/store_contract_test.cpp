// SPDX-License-Identifier: Apache-2.0
// The StateStore contract: the file store and the in-memory store keep the same rules,
// so application-layer tests on the memory store say something about production.
#include <catch2/catch.hpp>

#include <memory>

#include "acmed/storage/file_store.hpp"
#include "acmed/storage/memory_store.hpp"
#ifdef ACMED_CONTRACT_PG
#include "pg_fixture.hpp"
#endif
#include "temp_dir.hpp"
#include "test_certs.hpp"

namespace acmed::storage {
namespace {

struct FileFixture {
  test::TempDir dir;
  FileStateStore store{dir.path()};
};
struct MemoryFixture {
  MemoryStateStore store;
};

// Built twice: test_storage runs the contract on the file and memory stores,
// test_storage_pg (under tests/support/with_postgres.sh) on PostgreSQL.
#ifdef ACMED_CONTRACT_PG
#define ACMED_CONTRACT_STORES test::PgFixture
#else
#define ACMED_CONTRACT_STORES FileFixture, MemoryFixture
#endif

TEMPLATE_TEST_CASE("StateStore contract: accounts, keys and rollover", "[store][contract]", ACMED_CONTRACT_STORES) {
  TestType f;
  StateStore& s = f.store;
  CHECK_FALSE(*s.load_account("ca"));
  REQUIRE(s.save_account_key("ca", Secret(std::string("KEY1"))));
  CHECK_FALSE(s.save_account_key("ca", Secret(std::string("KEY2"))));  // never overwritten
  CHECK((*s.load_account("ca"))->key_pem.view() == "KEY1");
  CHECK_FALSE((*s.load_account("ca"))->url);
  REQUIRE(s.save_account_url("ca", "https://ca.example/acct/1"));
  CHECK(*(*s.load_account("ca"))->url == "https://ca.example/acct/1");
  CHECK(**s.load_account_url("ca") == "https://ca.example/acct/1");
  CHECK_FALSE(*s.load_account_url("other"));
  CHECK_FALSE(s.discard_unregistered_account_key("ca"));  // registered: the key stays

  REQUIRE(s.save_pending_account_key("ca", Secret(std::string("KEY2"))));
  CHECK(s.has_pending_account_key("ca"));
  CHECK_FALSE(s.save_pending_account_key("ca", Secret(std::string("KEY3"))));
  REQUIRE(*s.load_pending_account_key("ca"));
  CHECK((*s.load_pending_account_key("ca"))->view() == "KEY2");  // the first one, not overwritten
  REQUIRE(s.commit_pending_account_key("ca"));
  CHECK_FALSE(s.has_pending_account_key("ca"));
  CHECK_FALSE(*s.load_pending_account_key("ca"));
  CHECK((*s.load_account("ca"))->key_pem.view() == "KEY2");

  REQUIRE(s.add_earlier_thumbprint("ca", std::string(43, 'a')));
  REQUIRE(s.add_earlier_thumbprint("ca", std::string(43, 'a')));
  CHECK(s.load_earlier_thumbprints("ca")->size() == 1);

  CHECK(s.load_account_thumbprint("ca")->empty());
  REQUIRE(s.save_account_thumbprint("ca", std::string(43, 'b')));
  CHECK(*s.load_account_thumbprint("ca") == std::string(43, 'b'));

  CaFacts facts;
  facts.revision = "02";
  facts.hash_prefix = "https://ca.example/h/";
  facts.account_uri = "http://boulder.service.consul:4001/acme/acct/5";
  facts.account_uri_of = "https://127.0.0.1:4431/acme/acct/5";
  facts.key_changed_at = 1800000000;
  REQUIRE(s.save_ca_facts("ca", facts));
  {
    auto back = s.load_ca_facts("ca");
    REQUIRE(back);
    CHECK(back->account_uri == facts.account_uri);
    CHECK(back->account_uri_of == facts.account_uri_of);
    CHECK(back->key_changed_at == facts.key_changed_at);
  }
  auto kept = s.retire_account("ca");
  REQUIRE(kept);
  CHECK_FALSE(kept->empty());
  CHECK_FALSE(*s.load_account("ca"));
  CHECK(s.load_earlier_thumbprints("ca")->empty());
  CHECK(s.load_account_thumbprint("ca")->empty());
  CHECK(s.load_ca_facts("ca")->hash_prefix == "https://ca.example/h/");
}

TEMPLATE_TEST_CASE("StateStore contract: certificates, renewal state and locks", "[store][contract]",
                   ACMED_CONTRACT_STORES) {
  TestType f;
  StateStore& s = f.store;
  CHECK_FALSE(*s.load_certificate("www"));
  CHECK(s.certificate_identity("www")->empty());
  CHECK_FALSE(s.save_certificate("www", "not a certificate", Secret(std::string("K"))));
  const std::string chain = test::make_chain_pem({"www.example"}, "Root A");
  CHECK(*s.save_certificate("www", chain, Secret(std::string("K1"))) == 1);
  const std::string first = *s.certificate_identity("www");
  CHECK_FALSE(first.empty());
  CHECK(*s.certificate_identity("www") == first);  // unchanged while nothing is stored
  // The same bytes again are still a new version: the identity names the version, not the content.
  CHECK(*s.save_certificate("www", chain, Secret(std::string("K2"))) == 2);
  CHECK(*s.certificate_identity("www") != first);
  CHECK(s.certificate_identity("other")->empty());
  auto c = s.load_certificate("www");
  REQUIRE(*c);
  CHECK((*c)->version == 2);
  CHECK(s.load_certificate_key("www")->view() == "K2");

  RenewalState st;
  st.failures = 3;
  st.last_error = "CA said no";
  st.persist_until = 1'900'000'000;
  st.persist_until_spec = "180d";
  st.cert_identity = "1:2:3:4.5";
  st.cert_not_before = 1'800'000'000;
  st.cert_not_after = 1'807'776'000;
  st.cert_ari_id = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";
  st.cert_serial = "3a0f";
  st.cert_dns_names = {"www.example.com", "*.example.com"};
  st.cert_ip_addresses = {"192.0.2.1", "2001:db8::1"};
  REQUIRE(s.save_renewal_state("www", st));
  auto back = s.load_renewal_state("www");
  CHECK(*back == st);
  CHECK(back->failures == 3);
  CHECK(back->last_error == "CA said no");
  CHECK(*back->persist_until == 1'900'000'000);
  CHECK(back->persist_until_spec == "180d");

  {
    auto held = s.lock_certificate("www", false);
    REQUIRE(held);
    auto second = s.lock_certificate("www", false);
    REQUIRE_FALSE(second);
    CHECK(second.error().code == Errc::timeout);
    CHECK(s.lock_certificate("other", false));
  }
  CHECK(s.lock_certificate("www", false));  // released with its handle
}

}  // namespace
}  // namespace acmed::storage
