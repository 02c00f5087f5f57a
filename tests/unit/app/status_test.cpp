// SPDX-License-Identifier: Apache-2.0
// acmed::app status views: one certificate as list/status/serve show it (not issued,
// stored, backing off, configuration error, expiring), the earliest due time, what needs
// attention, the metric values, and the DNS-PERSIST-01 view for every check status,
// planned with plan_persist and checked (check_persist) against a scripted FakeResolver.
// No network, no disk, no sleeps.
#include "acmed/app/status.hpp"

#include <catch2/catch.hpp>

#include <functional>

#include "acmed/storage/memory_store.hpp"
#include "fake_resolver.hpp"
#include "test_certs.hpp"

namespace acmed::app {
namespace {

using namespace std::chrono;
using persist::Status;

const auto t0 = system_clock::time_point(seconds(1'800'000'000));  // 2027-01-15T08:00:00Z
const std::string account = "https://ca.example/acct/1";
const std::string record = "_validation-persist.example.com";
const std::string expected = "ca.example; accounturi=" + account + "; policy=wildcard";

Result<config::CertificateConfig> certificate(const std::string& yaml, const std::string& name) {
  auto root = config::parse_yaml(yaml, name + ".yaml");
  REQUIRE(root);
  return config::parse_certificate(*root, name, name + ".yaml");
}

const std::string web_yaml =
    "names: [a.example, b.example]\nsolvers:\n  - type: http-01\n    domains: [a.example]\n"
    "  - type: dns-persist-01\n  - type: http-01\n";

void store_certificate(const storage::StateStore& store, const std::string& name, const std::string& pem) {
  REQUIRE(store.save_certificate(name, pem, Secret("key")));
}

TEST_CASE("certificate_view: not issued yet, due now; solvers listed once", "[app][status]") {
  storage::MemoryStateStore store;
  auto v = certificate_view(store, "web", certificate(web_yaml, "web"), t0);
  CHECK(v.name == "web");
  CHECK(v.names == std::vector<std::string>{"a.example", "b.example"});
  CHECK(v.solvers == std::vector<std::string>{"http-01", "dns-persist-01"});
  CHECK(v.persist);
  CHECK_FALSE(v.info);
  CHECK_FALSE(v.due);
  CHECK_FALSE(v.days_left);
  CHECK(v.why == "not issued yet: due now");
  CHECK(v.config_error.empty());
  CHECK(attention(v, nullptr).empty());

  auto next = next_due({v}, t0);
  REQUIRE(next);
  CHECK(next->when == t0);
  CHECK(next->name == "web");
  CHECK(next->why == "not issued yet");
}

TEST_CASE("certificate_view: a stored certificate gives expiry, days left from now, due time and why",
          "[app][status]") {
  storage::MemoryStateStore store;
  store_certificate(store, "web", test::make_chain_pem({"a.example", "b.example"}));
  auto v = certificate_view(store, "web", certificate(web_yaml, "web"), t0);
  REQUIRE(v.info);
  CHECK(v.info->not_after == system_clock::from_time_t(2051222400));
  REQUIRE(v.days_left);
  CHECK(*v.days_left == 2907);  // (2035-01-01 - 2027-01-15T08:00) in whole days
  REQUIRE(v.due);
  CHECK(v.why == "1/3 of the lifetime left before expiry 2035-01-01T00:00:00Z");
  CHECK(v.due->why == v.why);
  CHECK(attention(v, nullptr).empty());
  auto next = next_due({v}, t0);
  REQUIRE(next);
  CHECK(next->when == v.due->when);
  CHECK(next->why == v.why);

  // The same certificate seen later has fewer days left.
  CHECK(*certificate_view(store, "web", certificate(web_yaml, "web"), t0 + hours(24 * 7)).days_left == 2900);

  // A certificate expiring within 14 days needs attention.
  auto key = PrivateKey::generate(KeyType::ec_p256);
  REQUIRE(key);
  test::CertSpec soon{.subject_cn = "a.example", .dns_names = {"a.example", "b.example"}, .not_before = t0 - hours(24 * 80),
                      .not_after = t0 + hours(24 * 10)};
  store_certificate(store, "soon", test::certificate_pem(test::make_certificate_der(soon, *key, *key)));
  auto s = certificate_view(store, "soon", certificate(web_yaml, "soon"), t0);
  REQUIRE(s.days_left);
  CHECK(*s.days_left == 10);
  CHECK(attention(s, nullptr) == std::vector<std::string>{"certificate expires in 10 days"});
}

TEST_CASE("certificate_view: names added to or removed from the configuration make the certificate due now",
          "[app][status][names]") {
  storage::MemoryStateStore store;
  store_certificate(store, "web", test::make_chain_pem({"a.example", "b.example"}));
  auto same = certificate_view(store, "web", certificate(web_yaml, "web"), t0);
  CHECK(same.certificate_names == std::vector<std::string>{"a.example", "b.example"});
  CHECK(same.names_differ.empty());

  const std::string added = "names: [a.example, b.example, c.example]\nsolvers:\n  - type: http-01\n";
  auto v = certificate_view(store, "web", certificate(added, "web"), t0);
  CHECK(v.certificate_names == std::vector<std::string>{"a.example", "b.example"});
  CHECK(v.names_differ == "configured but not in the certificate: c.example");
  REQUIRE(v.due);
  CHECK(v.due->when == t0);
  CHECK_THAT(v.why, Catch::StartsWith("due now: the names changed") && Catch::Contains("c.example"));
  REQUIRE(attention(v, nullptr).size() == 1);
  CHECK_THAT(attention(v, nullptr)[0], Catch::Contains("names differ"));
  auto next = next_due({v}, t0);
  REQUIRE(next);
  CHECK(next->when == t0);

  const std::string removed = "names: [a.example]\nsolvers:\n  - type: http-01\n";
  auto r = certificate_view(store, "web", certificate(removed, "web"), t0);
  CHECK(r.names_differ == "in the certificate but not configured: b.example");
  REQUIRE(r.due);
  CHECK(r.due->when == t0);
}

TEST_CASE("certificate_view: back-off state delays the next due time and needs attention", "[app][status]") {
  storage::MemoryStateStore store;
  storage::RenewalState st;
  st.failures = 2;
  st.last_error = "the CA said no";
  st.next_attempt = duration_cast<seconds>((t0 + minutes(10)).time_since_epoch()).count();
  REQUIRE(store.save_renewal_state("web", st));
  auto v = certificate_view(store, "web", certificate(web_yaml, "web"), t0);
  CHECK(v.state.failures == 2);
  REQUIRE(v.backoff_until);
  CHECK(*v.backoff_until == t0 + minutes(10));
  CHECK(attention(v, nullptr) == std::vector<std::string>{"last renewal failed (2 in a row): the CA said no"});
  auto next = next_due({v}, t0);
  REQUIRE(next);
  CHECK(next->when == t0 + minutes(10));

  auto m = metrics({v}, {}, t0);
  REQUIRE(m.failures.size() == 1);
  CHECK(m.failures[0].value == 2);
  CHECK(m.next_due == duration_cast<seconds>(t0.time_since_epoch()).count());  // back-off not counted
  CHECK(m.not_after.empty());
  CHECK(m.persist_ok.empty());
}

TEST_CASE("certificate_view: a configuration error is shown, not counted as due", "[app][status]") {
  storage::MemoryStateStore store;
  auto v = certificate_view(store, "bad", certificate("names: [a.example]\n", "bad"), t0);
  REQUIRE_FALSE(v.config_error.empty());
  CHECK(v.why == "configuration error");
  CHECK(v.solvers.empty());
  CHECK_FALSE(v.persist);
  REQUIRE(attention(v, nullptr).size() == 1);
  CHECK(attention(v, nullptr)[0] == "configuration error: " + v.config_error);
  CHECK_FALSE(next_due({v}, t0));
  auto m = metrics({v}, {}, t0);
  REQUIRE(m.config_error.size() == 1);
  CHECK(m.config_error[0].value == 1);
  CHECK_FALSE(m.next_due);
}

TEST_CASE("attention: CAA that forbids is a problem; CAA acmed could not verify is not", "[app][status][caa]") {
  CertificateView v;
  v.name = "www";
  auto verdict = [](caa::Outcome o, std::string reason) {
    caa::Verdict out;
    out.outcome = o;
    out.reason = std::move(reason);
    out.suggestion = "a record that allows it";
    return out;
  };
  CaaView unverified;
  unverified.certificate = "www";
  unverified.names = {{"www.example.com", verdict(caa::Outcome::unknown, "fails DNSSEC validation here")},
                      {"example.com", verdict(caa::Outcome::allowed, "no CAA record")}};
  CHECK(attention(v, nullptr, &unverified).empty());
  CaaView forbidden = unverified;
  forbidden.names.push_back({"mail.example.com", verdict(caa::Outcome::forbidden, "names another CA")});
  CHECK(attention(v, nullptr, &forbidden) ==
        std::vector<std::string>{"CAA forbids mail.example.com: names another CA; a record that allows it"});
}

// --- DNS-PERSIST-01 views ----------------------------------------------------------------

/// FakeResolver cannot mark an answer bogus; behind this one, the validating resolver does.
class BogusDnssec final : public dns::Resolver {
 public:
  explicit BogusDnssec(test::FakeResolver& inner) : inner_(inner) {}
  Result<dns::TxtResult> lookup_txt(const std::string& name) override {
    auto r = inner_.lookup_txt(name);
    if (r) r->dnssec = dns::DnssecStatus::bogus;
    return r;
  }
  Result<dns::TxtResult> query_txt(const dns::Server& s, const std::string& name) override {
    return inner_.query_txt(s, name);
  }
  Result<dns::CaaResult> lookup_caa(const std::string& name) override { return inner_.lookup_caa(name); }
  Result<std::vector<std::string>> cname_chain(const std::string& name) override { return inner_.cname_chain(name); }
  Result<dns::Zone> find_zone(const std::string& name) override { return inner_.find_zone(name); }

 private:
  test::FakeResolver& inner_;
};

CaPersistInfo ca_info(persist::Revision r) {
  CaPersistInfo i;
  i.revision = r;
  i.known = true;
  i.caa_identities = {"ca.example"};
  if (r == persist::Revision::draft02) {
    i.hash_prefix = "https://ca.example/account-hash/";
    i.issuer_domain_names = {"ca.example"};
  }
  return i;
}

const config::CertificateConfig& wildcard_cert() {
  static const config::CertificateConfig c =
      *certificate("names: [example.com, \"*.example.com\"]\nsolvers:\n  - type: dns-persist-01\n", "www");
  return c;
}

SessionPlan plan(persist::Revision r, PersistAccount acct) {
  PlanInput in{&wildcard_cert(), ca_info(r), std::move(acct), "", std::nullopt, t0};
  auto p = plan_persist(in);
  REQUIRE(p);
  return {in.ca, *p};
}

void two_nameservers(test::FakeResolver& dns) {
  dns.add_zone("example.com", {{"192.0.2.1", 53, "ns1.example.com"}, {"192.0.2.2", 53, "ns2.example.com"}});
}

std::string at(system_clock::time_point t) {
  return std::to_string(duration_cast<seconds>(t.time_since_epoch()).count());
}

TEST_CASE("persist view: every check status, with its summary, flags and attention line", "[app][status][persist]") {
  struct Row {
    Status status;
    std::vector<std::string> published;
    std::function<void(test::FakeResolver&)> script;  ///< instead of publishing everywhere
    std::string summary;                              ///< a key part of the one-line summary
    bool republish = false;
  };
  const std::string hashed = "https://ca.example/account-hash/sha-256/5SQm7n6tPh2-PlLbCKGnViTXX5z19SCN4cPGQHSk-kw";
  const std::vector<Row> rows = {
      {Status::ok, {expected}, {}, "ca.example record for this account with policy=wildcard, served by all 3 servers"},
      {Status::expiring, {expected + "; persistUntil=" + at(t0 + hours(24 * 5))}, {}, "is within 30 days"},
      {Status::missing, {}, {}, "no TXT record"},
      {Status::other_issuers_only, {"other.example; accounturi=" + account}, {},
       "records only for other issuers (other.example), none for ca.example"},
      {Status::wrong_account, {"ca.example; accounturi=https://ca.example/acct/2; policy=wildcard"}, {},
       "accounturi is https://ca.example/acct/2 but this account is " + account},
      {Status::stale_format, {"ca.example; accounturi=" + hashed + "; policy=wildcard"}, {},
       "but this CA speaks draft -01", true},
      {Status::policy_missing, {"ca.example; accounturi=" + account}, {}, "lacks policy=wildcard"},
      {Status::expired, {expected + "; persistUntil=" + at(t0 - hours(24))}, {}, "is in the past"},
      {Status::malformed, {"ca.example; accounturi=" + account + ";"}, {}, "ca.example record is malformed"},
      {Status::lookup_failed, {expected}, [](test::FakeResolver& d) { d.fail_server("192.0.2.2"); }, "timed out"},
      {Status::disagree, {},
       [](test::FakeResolver& d) {
         d.add_live(record, expected);
         d.serve_after("192.0.2.2", 100);  // ns2 has not seen the record yet
       },
       "servers disagree: 2 of 3 pass"},
      {Status::dnssec_bogus, {expected}, {}, "marks the answer bogus"},
  };
  for (const auto& row : rows) {
    DYNAMIC_SECTION(persist::to_string(row.status)) {
      test::FakeResolver fake;
      two_nameservers(fake);
      if (!row.published.empty()) fake.set_txt(record, row.published);
      if (row.script) row.script(fake);
      BogusDnssec bogus(fake);
      dns::Resolver* resolver = &fake;
      if (row.status == Status::dnssec_bogus) resolver = &bogus;

      auto v = checked_view("www", plan(persist::Revision::draft01, {account, "", {}}), resolver, t0);
      CHECK_FALSE(v.error);
      CHECK(v.checked);
      REQUIRE(v.records.size() == 1);
      const auto& r = v.records[0];
      CHECK(r.name == record);
      REQUIRE(r.status);
      CHECK(*r.status == row.status);
      CHECK(status_name(r) == persist::to_string(row.status));
      CHECK_THAT(r.summary, Catch::Contains(row.summary));
      CHECK(r.republish == row.republish);
      REQUIRE(r.health);
      CHECK(r.health->record.value == expected);
      CHECK(v.failed == !persist::passes(row.status));
      CHECK(v.warned == (row.status == Status::expiring));
      if (row.status == Status::expiring) CHECK(r.persist_until == duration_cast<seconds>((t0 + hours(24 * 5)).time_since_epoch()).count());

      // The page's banner: everything but ok is named with its status.
      auto lines = attention(certificate_view(storage::MemoryStateStore(), "www", wildcard_cert(), t0), &v);
      if (row.status == Status::ok) {
        CHECK(lines.empty());
      } else {
        REQUIRE(lines.size() == 1);
        CHECK(lines[0] == record + ": " + persist::to_string(row.status) + ": " + r.summary);
      }
    }
  }
}

TEST_CASE("persist view: a record hashed with an earlier account key passes but must be republished",
          "[app][status][persist]") {
  const std::string old_key = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
  const std::string new_key = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  const std::string old_value = plan(persist::Revision::draft02, {account, old_key, {}}).plan.records[0].value;
  test::FakeResolver fake;
  two_nameservers(fake);
  fake.set_txt(record, {old_value});
  auto v = checked_view("www", plan(persist::Revision::draft02, {account, new_key, {old_key}}), &fake, t0);
  REQUIRE(v.records.size() == 1);
  CHECK(v.records[0].status == Status::ok);
  CHECK(v.records[0].republish);
  CHECK_THAT(v.records[0].summary, Catch::Contains("made with an earlier account key: republish"));
  CHECK_FALSE(v.failed);
  REQUIRE(v.planned);
  CHECK(v.planned->plan.records[0].value != old_value);
  auto lines = attention(certificate_view(storage::MemoryStateStore(), "www", wildcard_cert(), t0), &v);
  CHECK(lines == std::vector<std::string>{record + ": republish: " + v.records[0].summary});
}

TEST_CASE("persist view: no resolver, no plan, a CA draft change", "[app][status][persist]") {
  auto planned = plan(persist::Revision::draft01, {account, "", {}});

  SECTION("the check cannot run: every record is lookup-failed with the reason") {
    auto v = checked_view("www", planned, fail(Errc::dns, "no resolver configured"), t0);
    REQUIRE(v.records.size() == 1);
    CHECK(v.records[0].name == record);
    CHECK(v.records[0].status == Status::lookup_failed);
    CHECK_THAT(v.records[0].summary, Catch::Contains("no resolver configured"));
    CHECK_FALSE(v.records[0].health);
    CHECK(v.failed);
    CHECK(v.planned);
  }
  SECTION("the records cannot be planned: one (all) row, and the page says so") {
    auto v = failed_view("www", Error(Errc::config, "no CA configured"), {.check = true});
    CHECK(v.failed);
    CHECK_FALSE(v.planned);
    REQUIRE(v.records.size() == 1);
    CHECK(v.records[0].name == "(all)");
    CHECK_FALSE(v.records[0].status);
    CHECK(status_name(v.records[0]) == "error");
    auto lines = attention(certificate_view(storage::MemoryStateStore(), "www", wildcard_cert(), t0), &v);
    REQUIRE(lines.size() == 2);
    CHECK_THAT(lines[0], Catch::StartsWith("records cannot be generated: ") && Catch::Contains("no CA configured"));
    CHECK_THAT(lines[1], Catch::StartsWith("(all): error: ") && Catch::Contains("no CA configured"));
    // Unchecked (the API's view): the error, no row warnings.
    auto unchecked = failed_view("www", Error(Errc::config, "no CA configured"), {});
    CHECK(attention(certificate_view(storage::MemoryStateStore(), "www", wildcard_cert(), t0), &unchecked).size() == 1);
  }
  SECTION("a CA draft change is named once") {
    PersistView v;
    v.certificate = "www";
    v.planned = planned;
    v.planned->ca.revision_notice = "the CA switched from draft -01 to draft -02";
    auto lines = attention(certificate_view(storage::MemoryStateStore(), "www", wildcard_cert(), t0), &v);
    CHECK(lines == std::vector<std::string>{"affected by a CA draft change: the CA switched from draft -01 to draft -02"});
  }
}

TEST_CASE("metrics: per-certificate values and the checked records", "[app][status]") {
  storage::MemoryStateStore store;
  store_certificate(store, "www", test::make_chain_pem({"example.com"}));
  storage::RenewalState st;
  st.last_success = 1'700'000'000;
  REQUIRE(store.save_renewal_state("www", st));
  auto certs = std::vector{certificate_view(store, "www", wildcard_cert(), t0),
                           certificate_view(store, "new", certificate(web_yaml, "new"), t0)};
  test::FakeResolver fake;
  two_nameservers(fake);
  const auto until = t0 + hours(24 * 5);
  fake.set_txt(record, {expected + "; persistUntil=" + at(until)});
  std::vector<PersistView> checked{checked_view("www", plan(persist::Revision::draft01, {account, "", {}}), &fake, t0),
                                   failed_view("new", Error(Errc::config, "no dns-persist-01 solver"), {.check = true})};
  auto m = metrics(certs, checked, t0);
  REQUIRE(m.not_after.size() == 1);
  CHECK(m.not_after[0].certificate == "www");
  CHECK(m.not_after[0].value == 2051222400);
  REQUIRE(m.next_renewal.size() == 1);
  REQUIRE(m.last_success.size() == 1);
  CHECK(m.last_success[0].value == 1'700'000'000);
  CHECK(m.failures.size() == 2);
  CHECK(m.next_due == duration_cast<seconds>(t0.time_since_epoch()).count());  // "new" is due now
  REQUIRE(m.persist_ok.size() == 2);
  CHECK(m.persist_ok[0].certificate == "www");
  CHECK(m.persist_ok[0].record == record);
  CHECK(m.persist_ok[0].value == 1);  // expiring still verifies
  CHECK(m.persist_ok[1].record == "(all)");
  CHECK(m.persist_ok[1].value == 0);
  REQUIRE(m.persist_until.size() == 1);
  CHECK(m.persist_until[0].value == duration_cast<seconds>(until.time_since_epoch()).count());
  REQUIRE(m.persist_republish.size() == 2);
  CHECK(m.persist_republish[0].value == 0);
}

}  // namespace
}  // namespace acmed::app

namespace acmed::app {
TEST_CASE("human_duration: two units at most, as next-due prints them", "[app][status]") {
  CHECK(human_duration(seconds(105177588)) == "3 y 122 d");
  CHECK(human_duration(seconds(59 * 86400 + 4 * 3600 + 59)) == "59 d 4 h");
  CHECK(human_duration(seconds(86400)) == "1 d");
  CHECK(human_duration(seconds(2 * 3600 + 5 * 60 + 7)) == "2 h 5 min");
  CHECK(human_duration(seconds(12 * 60 + 59)) == "12 min");
  CHECK(human_duration(seconds(40)) == "40 s");
  CHECK(human_duration(seconds(-5)) == "0 s");
}
}  // namespace acmed::app
