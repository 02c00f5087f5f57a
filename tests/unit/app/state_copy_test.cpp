// SPDX-License-Identifier: Apache-2.0
// copy_state: the way into and back out of fleet mode, on the stores' interface.
#include <catch2/catch.hpp>

#include "acmed/app/state_copy.hpp"
#include "acmed/storage/file_store.hpp"
#include "acmed/storage/memory_store.hpp"
#include "temp_dir.hpp"
#include "test_certs.hpp"

using namespace acmed;

TEST_CASE("copy_state: account, current certificate and renewal state arrive; a second copy changes nothing") {
  storage::MemoryStateStore from;
  test::TempDir dir;
  storage::FileStateStore to(dir.path());
  REQUIRE(from.save_account_key("ca", Secret(std::string("ACCOUNT-KEY"))));
  REQUIRE(from.save_account_url("ca", "https://ca.example/acct/1"));
  REQUIRE(from.save_account_thumbprint("ca", std::string(43, 't')));
  REQUIRE(from.add_earlier_thumbprint("ca", std::string(43, 'e')));
  storage::CaFacts facts;
  facts.revision = "02";
  REQUIRE(from.save_ca_facts("ca", facts));
  const std::string v1 = test::make_chain_pem({"www.example"}), v2 = test::make_chain_pem({"www.example"});
  REQUIRE(from.save_certificate("www", v1, Secret(std::string("K1"))));
  REQUIRE(from.save_certificate("www", v2, Secret(std::string("K2"))));
  storage::RenewalState st;
  st.failures = 2;
  st.last_error = "CA down";
  REQUIRE(from.save_renewal_state("www", st));

  auto r = app::copy_state(from, to, {"ca"}, {"www", "missing"});
  REQUIRE(r);
  CHECK(r->copied.size() == 2);
  CHECK((*to.load_account("ca"))->key_pem.view() == "ACCOUNT-KEY");
  CHECK(**to.load_account_url("ca") == "https://ca.example/acct/1");
  CHECK(*to.load_account_thumbprint("ca") == std::string(43, 't'));
  CHECK(to.load_earlier_thumbprints("ca")->size() == 1);
  CHECK(to.load_ca_facts("ca")->revision == "02");
  CHECK((*to.load_certificate("www"))->fullchain_pem == v2);  // the current version
  CHECK(to.load_certificate_key("www")->view() == "K2");
  CHECK(to.load_renewal_state("www")->last_error == "CA down");

  auto again = app::copy_state(from, to, {"ca"}, {"www"});
  REQUIRE(again);
  CHECK(again->copied.empty());
  CHECK(again->skipped.size() == 2);
  CHECK((*to.load_certificate("www"))->version == 1);
}

TEST_CASE("copy_state refuses to put an account over another one") {
  storage::MemoryStateStore from, to;
  REQUIRE(from.save_account_key("ca", Secret(std::string("A"))));
  REQUIRE(from.save_account_url("ca", "https://ca.example/acct/1"));
  REQUIRE(to.save_account_key("ca", Secret(std::string("B"))));
  REQUIRE(to.save_account_url("ca", "https://ca.example/acct/2"));
  auto r = app::copy_state(from, to, {"ca"}, {});
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("acct/2") != std::string::npos);
  CHECK((*to.load_account("ca"))->key_pem.view() == "B");
}
