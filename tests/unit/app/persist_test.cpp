// SPDX-License-Identifier: Apache-2.0
// acmed::app persist: the one plan and check every command uses (issuers, wildcard
// expectations, revision), the remembered CA facts and their change notice, the
// anchored persistUntil, and the list of certificates whose records name the account.
#include "acmed/app/persist.hpp"

#include <catch2/catch.hpp>

#include "acmed/core/files.hpp"
#include "acmed/storage/memory_store.hpp"
#include "fake_resolver.hpp"
#include "temp_dir.hpp"

namespace acmed::app {
namespace {

using namespace std::chrono;
const std::string account = "https://ca.example/acct/123";
const std::string thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
const auto t0 = system_clock::time_point(seconds(1'800'000'000));

config::CertificateConfig certificate(const std::string& yaml, const std::string& name = "www") {
  auto root = config::parse_yaml(yaml, name + ".yaml");
  REQUIRE(root);
  auto c = config::parse_certificate(*root, name, name + ".yaml");
  REQUIRE(c);
  return *c;
}

CaPersistInfo ca(persist::Revision r) {
  CaPersistInfo i;
  i.revision = r;
  i.known = true;
  i.caa_identities = {"ca.example", "ca2.example"};
  if (r == persist::Revision::draft02) {
    i.hash_prefix = "https://ca.example/account-hash/";
    i.issuer_domain_names = {"ca.example"};
  }
  return i;
}

TEST_CASE("plan_persist: issuers from D, else caaIdentities; the configured issuer alone when set", "[app]") {
  auto cert = certificate("names: [example.com, \"*.example.com\"]\nsolvers:\n  - type: dns-persist-01\n");
  PlanInput in{&cert, ca(persist::Revision::draft02), {account, thumbprint, {}}, "", std::nullopt, t0};
  auto plan = plan_persist(in);
  REQUIRE(plan);
  CHECK(plan->revision == persist::Revision::draft02);
  CHECK(plan->issuer == "ca.example");
  CHECK(plan->accepted_issuers == std::vector<std::string>{"ca.example"});
  REQUIRE(plan->records.size() == 1);
  CHECK(plan->records[0].value ==
        "ca.example; accounturi=https://ca.example/account-hash/sha-256/5SQm7n6tPh2-PlLbCKGnViTXX5z19SCN4cPGQHSk-kw; "
        "policy=wildcard");

  in.ca = ca(persist::Revision::draft01);
  plan = plan_persist(in);
  REQUIRE(plan);
  CHECK(plan->issuer == "ca.example");
  CHECK(plan->other_issuers == std::vector<std::string>{"ca2.example"});
  CHECK(plan->accepted_issuers == std::vector<std::string>{"ca.example", "ca2.example"});
  CHECK(plan->records[0].value == "ca.example; accounturi=" + account + "; policy=wildcard");

  auto pinned = certificate("names: [example.com]\nsolvers:\n  - type: dns-persist-01\n    issuer: ca2.example\n");
  in.cert = &pinned;
  plan = plan_persist(in);
  REQUIRE(plan);
  CHECK(plan->accepted_issuers == std::vector<std::string>{"ca2.example"});

  // -02 needs the key: an account URL alone cannot be hashed.
  in.ca = ca(persist::Revision::draft02);
  in.account.thumbprint.clear();
  auto no_key = plan_persist(in);
  REQUIRE_FALSE(no_key);
  CHECK_THAT(no_key.error().message, Catch::Contains("thumbprint"));

  auto http = certificate("names: [example.com]\nsolvers:\n  - type: http-01\n");
  in.cert = &http;
  CHECK_FALSE(plan_persist(in));
  CHECK_FALSE(uses_persist(http));
}

TEST_CASE("check_persist: a wildcard name always needs policy=wildcard, whatever the policy setting", "[app]") {
  // policy: wildcard on a certificate without wildcard names used to make status and
  // persist check disagree; the expectation is now what the CA requires.
  auto cert = certificate("names: [example.com, \"*.example.com\"]\nsolvers:\n  - type: dns-persist-01\n");
  PlanInput in{&cert, ca(persist::Revision::draft01), {account, thumbprint, {}}, "", std::nullopt, t0};
  auto plan = plan_persist(in);
  REQUIRE(plan);
  test::FakeResolver dns;
  dns.add_zone("example.com", {{"192.0.2.1", 53, "ns1.example.com"}});
  dns.add_live("_validation-persist.example.com", "ca.example; accounturi=" + account);
  auto health = check_persist(dns, *plan, t0);
  REQUIRE(health.records.size() == 1);
  CHECK(health.records[0].wildcard);
  CHECK(health.records[0].check.status == persist::Status::policy_missing);
  CHECK(health.failed);

  // The same record, seen by a -02 CA: our account in the old format.
  in.ca = ca(persist::Revision::draft02);
  plan = plan_persist(in);
  REQUIRE(plan);
  health = check_persist(dns, *plan, t0);
  CHECK(health.records[0].check.status == persist::Status::stale_format);
  CHECK(health.stale_format);

  // The hash made with an earlier key: passes, flagged for republishing.
  in.account = {account, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", {thumbprint}};
  plan = plan_persist(in);
  REQUIRE(plan);
  test::FakeResolver dns2;
  dns2.add_zone("example.com", {{"192.0.2.1", 53, "ns1.example.com"}});
  dns2.add_live("_validation-persist.example.com",
                "ca.example; accounturi=https://ca.example/account-hash/sha-256/"
                "5SQm7n6tPh2-PlLbCKGnViTXX5z19SCN4cPGQHSk-kw; policy=wildcard");
  health = check_persist(dns2, *plan, t0);
  CHECK(health.records[0].check.status == persist::Status::ok);
  CHECK(health.records[0].earlier_key);
  CHECK(health.earlier_key);
  CHECK_FALSE(health.failed);
}

TEST_CASE("note_ca_facts remembers the revision and reports a switch for 30 days", "[app]") {
  storage::MemoryStateStore store;
  acme::DirectoryMeta m01;
  m01.caa_identities = {"ca.example"};
  acme::DirectoryMeta m02 = m01;
  m02.account_hash_prefix = "https://ca.example/account-hash/";
  m02.issuer_domain_names = {"ca.example"};

  // Never seen and unreachable: unknown.
  auto unknown = note_ca_facts(store, "ca", "https://ca.example/dir", nullptr, t0);
  REQUIRE(unknown);
  CHECK_FALSE(unknown->known);

  auto first = note_ca_facts(store, "ca", "https://ca.example/dir", &m01, t0);
  REQUIRE(first);
  CHECK(first->revision == persist::Revision::draft01);
  CHECK_FALSE(first->revision_notice);

  auto switched = note_ca_facts(store, "ca", "https://ca.example/dir", &m02, t0 + hours(1));
  REQUIRE(switched);
  CHECK(switched->revision == persist::Revision::draft02);
  REQUIRE(switched->revision_notice);
  CHECK_THAT(*switched->revision_notice, Catch::Contains("switched from dns-persist-01 draft -01 to draft -02"));

  // Later runs, live or cached, keep saying it for 30 days, then stop.
  auto later = note_ca_facts(store, "ca", "https://ca.example/dir", &m02, t0 + hours(24 * 10));
  CHECK(later->revision_notice);
  auto cached = note_ca_facts(store, "ca", "https://ca.example/dir", nullptr, t0 + hours(24 * 10));
  CHECK(cached->from_cache);
  CHECK(cached->revision == persist::Revision::draft02);
  CHECK(cached->hash_prefix == "https://ca.example/account-hash/");
  CHECK(cached->revision_notice);
  CHECK_FALSE(note_ca_facts(store, "ca", "https://ca.example/dir", &m02, t0 + hours(24 * 31))->revision_notice);
}

TEST_CASE("note_ca_facts: a switch time stored past 2262 is shown saturated, not wrapped into the past", "[app][time]") {
  storage::MemoryStateStore store;
  storage::CaFacts facts;
  facts.revision = "02";
  facts.previous_revision = "01";
  facts.hash_prefix = "https://ca.example/account-hash/";
  facts.changed_at = 253'402'300'799;  // 9999-12-31T23:59:59Z, e.g. from a clock that was far off
  REQUIRE(store.save_ca_facts("ca", facts));
  auto cached = note_ca_facts(store, "ca", "https://ca.example/dir", nullptr, t0);
  REQUIRE(cached);
  REQUIRE(cached->revision_notice);
  CHECK_THAT(*cached->revision_notice, Catch::Contains("on 2262-04-11T23:47:16Z"));
}

TEST_CASE("anchored persistUntil: a duration is computed once, moves on a config change or a roll", "[app]") {
  storage::MemoryStateStore store;
  auto settings_at = [](const std::string& value, system_clock::time_point now) {
    ConfigValue s = ConfigValue::make_map("c.yaml:1:1");
    s.map["persist_until"] = ConfigValue::make_scalar(value, "c.yaml:2:3");
    return *solver::read_persist_settings(s, now);
  };
  auto first = anchored_persist_until(store, "www", settings_at("180d", t0));
  REQUIRE(first);
  CHECK(**first == 1'800'000'000 + 180 * 86400);
  // A day later the configuration resolves to a later time; the anchor does not move.
  auto next_day = anchored_persist_until(store, "www", settings_at("180d", t0 + hours(24)));
  CHECK(**next_day == **first);
  // The operator changes the configured text: a new anchor.
  auto changed = anchored_persist_until(store, "www", settings_at("365d", t0 + hours(48)));
  CHECK(**changed == 1'800'000'000 + 2 * 86400 + 365 * 86400);
  // persist roll moves it on request, and it stays.
  REQUIRE(roll_persist_until(store, "www", settings_at("365d", t0), 1'900'000'000));
  CHECK(**anchored_persist_until(store, "www", settings_at("365d", t0 + hours(72))) == 1'900'000'000);
  // An absolute date is used as configured.
  CHECK(**anchored_persist_until(store, "www", settings_at("2030-01-01", t0)) == 1893456000);
  // The renewal state keeps its other fields.
  auto st = store.load_renewal_state("www");
  CHECK(st->persist_until_spec == "365d");
}

TEST_CASE("persist_certificates lists every certificate whose records name the account", "[app]") {
  test::TempDir dir;
  REQUIRE(ensure_dir(dir.path() + "/certs.d", 0700));
  REQUIRE(write_file_atomic(dir.path() + "/certs.d/a.yaml", "names: [a.example]\nsolvers:\n  - type: dns-persist-01\n", 0600));
  REQUIRE(write_file_atomic(dir.path() + "/certs.d/b.yaml", "names: [b.example]\nsolvers:\n  - type: http-01\n", 0600));
  // A file that does not load still counts when it uses dns-persist-01: better a stop
  // than a silently re-registered account.
  REQUIRE(write_file_atomic(dir.path() + "/certs.d/c.yaml", "names: [c.example]\nbogus: 1\nsolvers:\n  - type: dns-persist-01\n", 0600));
  CHECK(persist_certificates(dir.path()) == std::vector<std::string>{"a", "c"});
  CHECK(persist_certificates(dir.path() + "/missing").empty());
}

}  // namespace
}  // namespace acmed::app

namespace acmed::app {
namespace {

TEST_CASE("the CA's own name for the account (draft -01 accounturi) is remembered and used by every plan", "[app]") {
  storage::MemoryStateStore store;
  const std::string alias = "http://boulder.service.consul:4001/acme/acct/5";
  // The challenge names the account by its URL: nothing to remember, nothing to say.
  auto same = note_ca_account_uri(store, "ca", account, account);
  REQUIRE(same);
  CHECK_FALSE(*same);
  // Another URI: said once, kept with the CA facts.
  auto first = note_ca_account_uri(store, "ca", account, alias);
  REQUIRE(first);
  REQUIRE(*first);
  CHECK_THAT(**first, Catch::Contains("names the account " + alias + " rather than " + account));
  auto again = note_ca_account_uri(store, "ca", account, alias);
  REQUIRE(again);
  CHECK_FALSE(*again);
  // A value no record could hold is refused, and nothing is remembered.
  CHECK_FALSE(note_ca_account_uri(store, "ca", account, "http://x/acct/5; policy=wildcard"));
  CHECK_FALSE(note_ca_account_uri(store, "ca", account, "http://x/\x1b[31m"));
  CHECK(store.load_ca_facts("ca")->account_uri == alias);

  auto info = note_ca_facts(store, "ca", "https://ca.example/dir", nullptr, t0);
  REQUIRE(info);
  CHECK(info->account_uri == alias);
  auto cert = certificate("names: [example.com]\nsolvers:\n  - type: dns-persist-01\n");
  PlanInput in{&cert, *info, {account, thumbprint, {}}, "", std::nullopt, t0};
  in.ca.caa_identities = {"ca.example"};
  auto plan = plan_persist(in);
  REQUIRE(plan);
  CHECK(plan->ca_named_account);
  CHECK(plan->account_url == account);
  CHECK(plan->records.at(0).value == "ca.example; accounturi=" + alias);
  CHECK_THAT(account_uri_note(*plan), Catch::Contains("this CA's name for the account"));

  // A record holding the account URL is the wrong account for this CA, with the fix.
  test::FakeResolver dns;
  dns.add_zone("example.com", {{"192.0.2.1", 53, "ns1.example.com"}});
  dns.add_live("_validation-persist.example.com", "ca.example; accounturi=" + account);
  auto health = check_persist(dns, *plan, t0);
  CHECK(health.records.at(0).check.status == persist::Status::wrong_account);

  // Another account (registered anew) is not named by what the CA said of the old one.
  in.account.url = "https://ca.example/acct/999";
  plan = plan_persist(in);
  REQUIRE(plan);
  CHECK_FALSE(plan->ca_named_account);
  CHECK(plan->records.at(0).value == "ca.example; accounturi=https://ca.example/acct/999");
  CHECK_THAT(account_uri_note(*plan), Catch::Contains("may name the account otherwise"));

  // Draft -02 keeps its hashed values.
  in.account.url = account;
  in.ca.revision = persist::Revision::draft02;
  in.ca.hash_prefix = "https://ca.example/account-hash/";
  in.ca.issuer_domain_names = {"ca.example"};
  plan = plan_persist(in);
  REQUIRE(plan);
  CHECK_FALSE(plan->ca_named_account);
  CHECK(account_uri_note(*plan).empty());

  // The CA names the account by its URL again: forgotten, and said.
  auto back = note_ca_account_uri(store, "ca", account, account);
  REQUIRE(back);
  REQUIRE(*back);
  CHECK(store.load_ca_facts("ca")->account_uri.empty());
}

}  // namespace
}  // namespace acmed::app
