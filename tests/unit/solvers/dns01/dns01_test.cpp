// SPDX-License-Identifier: Apache-2.0
// dns-01 solver logic against an in-memory resolver and a recording writer:
// record names and values, CNAME delegation, the allow-list, the propagation wait,
// exact cleanup, and journal recovery. The real-server behaviour is covered by the
// e2e tests (BIND, PowerDNS); these cover paths real servers rarely produce.
#include "acmed/solvers/dns01.hpp"

#include <catch2/catch.hpp>

#include <fstream>

#include "acmed/core/base64.hpp"
#include "acmed/core/crypto.hpp"
#include "acmed/core/files.hpp"
#include "fake_resolver.hpp"
#include "temp_dir.hpp"

namespace acmed::solver {
namespace {

using test::FakeResolver;

struct WriterLog {
  std::vector<std::string> calls;  ///< "add fqdn value" / "remove fqdn value"
  bool fail_add = false;
  bool fail_remove = false;
  int creates = 0;
  FakeResolver* dns = nullptr;     ///< written values become visible here
};

class RecordingWriter final : public dns01::RecordWriter {
 public:
  explicit RecordingWriter(WriterLog& log) : log_(log) {}
  std::string id() const override { return "fake@test"; }
  Result<void> add_txt(const dns01::TxtRecord& r) override {
    log_.calls.push_back("add " + r.zone + " " + r.fqdn + " " + r.value);
    if (log_.fail_add) return fail(Errc::dns, "add refused");
    if (log_.dns) log_.dns->add_live(r.fqdn, r.value);
    return {};
  }
  Result<void> remove_txt(const dns01::TxtRecord& r) override {
    log_.calls.push_back("remove " + r.zone + " " + r.fqdn + " " + r.value);
    if (log_.fail_remove) return fail(Errc::dns, "remove refused");
    if (log_.dns) log_.dns->remove_live(r.fqdn, r.value);
    return {};
  }

 private:
  WriterLog& log_;
};

class RecordingProvider final : public dns01::ProviderFactory {
 public:
  explicit RecordingProvider(WriterLog& log) : log_(log) {}
  std::string_view name() const override { return "fake"; }
  std::span<const SettingSpec> settings() const override { return {}; }
  Result<void> validate(const ConfigValue& s) const override {
    if (s.find("bogus")) return fail(Errc::config, "unknown fake setting 'bogus'");
    return {};
  }
  Result<std::unique_ptr<dns01::RecordWriter>> create(const ConfigValue&) const override {
    ++log_.creates;
    return std::unique_ptr<dns01::RecordWriter>(std::make_unique<RecordingWriter>(log_));
  }

 private:
  WriterLog& log_;
};

std::unique_ptr<SolverFactory> factory(WriterLog& log) {
  std::vector<std::unique_ptr<dns01::ProviderFactory>> p;
  p.push_back(std::make_unique<RecordingProvider>(log));
  return make_dns01_factory(std::move(p));
}

SolverConfig config(std::vector<std::string> allow = {}, std::string timeout = "2s") {
  SolverConfig c;
  c.type = "dns-01";
  c.settings = ConfigValue::make_map("certs.d/x.yaml:3:5");
  c.settings.map["type"] = ConfigValue::make_scalar("dns-01", "certs.d/x.yaml:3:7");
  c.settings.map["provider"] = ConfigValue::make_scalar("fake", "certs.d/x.yaml:4:5");
  if (!allow.empty()) {
    ConfigValue list;
    list.kind = ConfigValue::Kind::list;
    for (auto& a : allow) list.list.push_back(ConfigValue::make_scalar(a, "certs.d/x.yaml:5:5"));
    c.settings.map["allow"] = list;
  }
  ConfigValue prop = ConfigValue::make_map("certs.d/x.yaml:6:5");
  prop.map["interval"] = ConfigValue::make_scalar("100ms", "certs.d/x.yaml:6:20");
  prop.map["timeout"] = ConfigValue::make_scalar(timeout, "certs.d/x.yaml:6:40");
  c.settings.map["propagation"] = prop;
  return c;
}

ChallengeContext challenge(const std::string& name, bool wildcard = false, const std::string& url = "") {
  ChallengeContext c;
  c.identifier = *Identifier::parse(name);
  c.wildcard = wildcard;
  c.challenge_type = "dns-01";
  c.challenge_url = url.empty() ? "https://ca.test/chall/" + name + (wildcard ? "/w" : "") : url;
  c.token = "tok" + std::to_string(name.size()) + (wildcard ? "w" : "");
  c.key_authorization = c.token + ".thumb";
  return c;
}

std::string expected_value(const ChallengeContext& c) { return base64url_encode(sha256(c.key_authorization)); }

struct Fixture {
  FakeResolver dns;
  WriterLog log;
  test::TempDir dir;
  SolverDeps deps;
  Fixture() {
    dns.add_zone("example.com", {{"192.0.2.1", 53, "ns1.example.com"}, {"192.0.2.2", 53, "ns2.example.com"}});
    dns.add_zone("other.net", {{"198.51.100.1", 53, "ns.other.net"}});
    log.dns = &dns;
    deps.resolver = &dns;
    deps.work_dir = dir.path();
  }
  std::string journal() const {
    auto j = read_file(dir.path() + "/dns01-journal");
    return j ? *j : std::string();
  }
};

TEST_CASE("dns-01 writes base64url(SHA-256(key authorization)) at _acme-challenge of the base name", "[dns01]") {
  Fixture f;
  auto s = factory(f.log)->create(config(), f.deps);
  REQUIRE(s);
  auto base = challenge("example.com");
  auto wild = challenge("example.com", true);
  REQUIRE((*s)->present(base));
  REQUIRE((*s)->present(wild));
  REQUIRE(f.log.calls.size() == 2);
  CHECK(f.log.calls[0] == "add example.com _acme-challenge.example.com " + expected_value(base));
  CHECK(f.log.calls[1] == "add example.com _acme-challenge.example.com " + expected_value(wild));
  CHECK(expected_value(base).size() == 43);
  // Both records are journalled until they are cleaned up.
  CHECK(f.journal().find(expected_value(base)) != std::string::npos);
  REQUIRE((*s)->wait_ready(std::chrono::steady_clock::now() + std::chrono::seconds(2)));
  (*s)->cleanup(base);
  (*s)->cleanup(wild);
  CHECK(f.log.calls[2] == "remove example.com _acme-challenge.example.com " + expected_value(base));
  CHECK(f.log.calls[3] == "remove example.com _acme-challenge.example.com " + expected_value(wild));
  CHECK(f.journal().empty());
}

TEST_CASE("dns-01 follows a CNAME on _acme-challenge into another zone", "[dns01]") {
  Fixture f;
  f.dns.add_cname("_acme-challenge.www.example.com", "www.acme.other.net");
  auto s = factory(f.log)->create(config({"other.net"}), f.deps);
  REQUIRE(s);
  auto c = challenge("www.example.com");
  REQUIRE((*s)->present(c));
  CHECK(f.log.calls.at(0) == "add other.net www.acme.other.net " + expected_value(c));
  (*s)->cleanup(c);
}

TEST_CASE("dns-01 refuses a write outside the allow-list before sending anything", "[dns01]") {
  Fixture f;
  f.dns.add_cname("_acme-challenge.www.example.com", "www.acme.other.net");
  auto s = factory(f.log)->create(config({"example.com"}), f.deps);
  REQUIRE(s);
  auto r = (*s)->present(challenge("www.example.com"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::config);
  CHECK_THAT(r.error().message, Catch::Contains("refusing to write TXT at www.acme.other.net") &&
                                    Catch::Contains("allow"));
  CHECK(f.log.calls.empty());
  CHECK(f.journal().empty());
}

TEST_CASE("dns-01 waits until every authoritative server serves the value", "[dns01]") {
  Fixture f;
  f.dns.serve_after("192.0.2.2", 4);  // ns2 lags behind ns1
  auto s = factory(f.log)->create(config(), f.deps);
  REQUIRE(s);
  auto c = challenge("example.com");
  REQUIRE((*s)->present(c));
  REQUIRE((*s)->wait_ready(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  CHECK(f.dns.queries("192.0.2.2") >= 4);
  CHECK(f.dns.queries("192.0.2.1") == f.dns.queries("192.0.2.2"));
  (*s)->cleanup(c);
}

TEST_CASE("dns-01 propagation timeout names each nameserver that lags or fails", "[dns01]") {
  Fixture f;
  f.dns.serve_after("192.0.2.2", 1000);
  auto s = factory(f.log)->create(config({}, "300ms"), f.deps);
  REQUIRE(s);
  auto c = challenge("example.com");
  REQUIRE((*s)->present(c));
  auto r = (*s)->wait_ready(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::timeout);
  CHECK_THAT(r.error().message, Catch::Contains("ns2.example.com (192.0.2.2)") && Catch::Contains("not served yet"));
  CHECK_THAT(r.error().message, !Catch::Contains("ns1.example.com"));
  (*s)->cleanup(c);
  CHECK(f.log.calls.back().rfind("remove", 0) == 0);
}

TEST_CASE("dns-01 keeps the journal entry when removal fails, and the next run retries it", "[dns01]") {
  Fixture f;
  std::string value;
  {
    auto s = factory(f.log)->create(config(), f.deps);
    REQUIRE(s);
    auto c = challenge("example.com");
    value = expected_value(c);
    REQUIRE((*s)->present(c));
    f.log.fail_remove = true;
    (*s)->cleanup(c);
  }
  CHECK(f.journal().find(value) != std::string::npos);
  f.log.fail_remove = false;
  f.log.calls.clear();
  // A new run with the same writer identity removes the leftover before anything else.
  auto s2 = factory(f.log)->create(config(), f.deps);
  REQUIRE(s2);
  REQUIRE(f.log.calls.size() == 1);
  CHECK(f.log.calls[0] == "remove example.com _acme-challenge.example.com " + value);
  CHECK(f.journal().empty());
}

TEST_CASE("dns-01 recovery leaves other writers' journal entries alone", "[dns01]") {
  Fixture f;
  REQUIRE(write_file_atomic(f.dir.path() + "/dns01-journal",
                            "rfc2136@192.0.2.53/key k\texample.com\t_acme-challenge.example.com\tother-writer\n"
                            "fake@test\texample.com\t_acme-challenge.example.com\tmine\n",
                            0600));
  auto s = factory(f.log)->create(config(), f.deps);
  REQUIRE(s);
  REQUIRE(f.log.calls == std::vector<std::string>{"remove example.com _acme-challenge.example.com mine"});
  CHECK(f.journal() == "rfc2136@192.0.2.53/key k\texample.com\t_acme-challenge.example.com\tother-writer\n");
}

TEST_CASE("dns-01 failed write leaves no journal entry and nothing to clean up", "[dns01]") {
  Fixture f;
  f.log.fail_add = true;
  auto s = factory(f.log)->create(config(), f.deps);
  REQUIRE(s);
  auto c = challenge("example.com");
  auto r = (*s)->present(c);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("add refused"));
  CHECK(f.journal().empty());
  (*s)->cleanup(c);
  CHECK(f.log.calls.size() == 1);  // only the failed add
}

TEST_CASE("dns-01 validation: provider choice, sections and settings", "[dns01]") {
  WriterLog log;
  auto f = factory(log);
  CHECK(f->capabilities().writes_dns);
  CHECK(f->capabilities().wildcard);
  CHECK(f->validate(config()));

  auto c = config();
  c.settings.map.erase("provider");
  auto r = f->validate(c);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("needs 'provider' (fake)"));

  c = config();
  c.settings.map["provider"] = ConfigValue::make_scalar("route53", "certs.d/x.yaml:4:15");
  r = f->validate(c);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::StartsWith("certs.d/x.yaml:4:15: unknown dns-01 provider 'route53'"));

  c = config();
  c.settings.map["propagation"].map["timeout"] = ConfigValue::make_scalar("soon", "certs.d/x.yaml:6:40");
  r = f->validate(c);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::StartsWith("certs.d/x.yaml:6:40:") && Catch::Contains("duration"));

  c = config();
  c.settings.map["tsig"] = ConfigValue::make_scalar("x", "certs.d/x.yaml:9:5");
  r = f->validate(c);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::StartsWith("certs.d/x.yaml:9:5: unknown dns-01 setting 'tsig'"));

  c = config();
  ConfigValue fake = ConfigValue::make_map("certs.d/x.yaml:7:5");
  fake.map["bogus"] = ConfigValue::make_scalar("1", "certs.d/x.yaml:7:12");
  c.settings.map["fake"] = fake;
  r = f->validate(c);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("unknown fake setting 'bogus'"));
  CHECK(log.creates == 0);  // validation never creates a writer (never reads credentials)
}

TEST_CASE("dns-01 needs a resolver", "[dns01]") {
  WriterLog log;
  auto s = factory(log)->create(config(), SolverDeps{});
  REQUIRE_FALSE(s);
  CHECK_THAT(s.error().message, Catch::Contains("needs a DNS resolver"));
}

}  // namespace
}  // namespace acmed::solver

namespace acmed::solver {
namespace {

SolverConfig with(SolverConfig c, const std::string& zone, const std::string& check, const std::string& wait = "") {
  if (!zone.empty()) c.settings.map["zone"] = ConfigValue::make_scalar(zone, "certs.d/x.yaml:8:11");
  if (!check.empty()) c.settings.map["propagation"].map["check"] = ConfigValue::make_scalar(check, "certs.d/x.yaml:6:60");
  if (!wait.empty()) c.settings.map["propagation"].map["wait"] = ConfigValue::make_scalar(wait, "certs.d/x.yaml:6:80");
  return c;
}

TEST_CASE("dns-01 zone: no SOA walk; propagation.check: recursive asks the configured resolvers", "[dns01]") {
  Fixture f;  // internal.test is no zone the resolver can find (its servers answer no SOA)
  auto s = factory(f.log)->create(with(config(), "Internal.Test.", "recursive"), f.deps);
  REQUIRE(s);
  auto c = challenge("www.internal.test");
  REQUIRE((*s)->present(c));
  CHECK(f.log.calls.at(0) == "add internal.test _acme-challenge.www.internal.test " + expected_value(c));
  REQUIRE((*s)->wait_ready(std::chrono::steady_clock::now() + std::chrono::seconds(2)));
  (*s)->cleanup(c);

  // Without the zone, the SOA walk fails, and the error says what to set.
  auto plain = factory(f.log)->create(config(), f.deps);
  REQUIRE(plain);
  auto r = (*plain)->present(challenge("www.internal.test"));
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().describe(), Catch::Contains("set 'zone' in this dns-01 solver"));

  // A zone that does not hold the name is refused before anything is written.
  const auto calls = f.log.calls.size();
  auto other = factory(f.log)->create(with(config(), "other.net", "recursive"), f.deps);
  REQUIRE(other);
  auto outside = (*other)->present(challenge("www.internal.test"));
  REQUIRE_FALSE(outside);
  CHECK_THAT(outside.error().message, Catch::Contains("zone 'other.net' does not contain _acme-challenge.www.internal.test"));
  CHECK(f.log.calls.size() == calls);
}

TEST_CASE("dns-01 propagation.check: recursive waits for the resolvers, authoritative servers are not asked", "[dns01]") {
  Fixture f;
  auto s = factory(f.log)->create(with(config({}, "300ms"), "", "recursive"), f.deps);
  REQUIRE(s);
  auto c = challenge("example.com");
  REQUIRE((*s)->present(c));
  f.dns.remove_live("_acme-challenge.example.com", expected_value(c));  // the resolvers do not see it
  auto r = (*s)->wait_ready(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("not returned by the configured resolvers"));
  CHECK(f.dns.queries("192.0.2.1") == 0);
  (*s)->cleanup(c);
}

TEST_CASE("dns-01 propagation.check: none checks nothing and waits propagation.wait", "[dns01]") {
  Fixture f;
  f.dns.fail_server("192.0.2.1");
  auto s = factory(f.log)->create(with(config(), "", "none", "10ms"), f.deps);
  REQUIRE(s);
  auto c = challenge("example.com");
  REQUIRE((*s)->present(c));
  REQUIRE((*s)->wait_ready(std::chrono::steady_clock::now() + std::chrono::seconds(2)));
  CHECK(f.dns.queries("192.0.2.1") == 0);
  CHECK(f.dns.queries("192.0.2.2") == 0);
  (*s)->cleanup(c);
  // A wait longer than the order's deadline is an error, not a silent overrun.
  auto slow = factory(f.log)->create(with(config(), "", "none", "1h"), f.deps);
  REQUIRE(slow);
  REQUIRE((*slow)->present(c));
  auto r = (*slow)->wait_ready(std::chrono::steady_clock::now() + std::chrono::seconds(2));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::timeout);
  (*slow)->cleanup(c);
}

TEST_CASE("dns-01 zone and propagation.check: parsed once, errors at file:line:column, warnings for config check",
          "[dns01]") {
  WriterLog log;
  auto f = factory(log);
  auto r = f->validate(with(config(), "", "authorative"));
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::StartsWith("certs.d/x.yaml:6:60: propagation.check must be authoritative") &&
                                    Catch::Contains("not 'authorative'"));
  r = f->validate(with(config(), "exa mple.com", ""));
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::StartsWith("certs.d/x.yaml:8:11: zone 'exa mple.com' is not a DNS name"));
  r = f->validate(with(config(), "*.example.com", ""));
  REQUIRE_FALSE(r);
  r = f->validate(with(config(), "", "none", "soon"));
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::StartsWith("certs.d/x.yaml:6:80:"));
  auto bad_key = config();
  bad_key.settings.map["propagation"].map["mode"] = ConfigValue::make_scalar("x", "certs.d/x.yaml:6:99");
  CHECK_FALSE(f->validate(bad_key));

  CHECK(f->validate(with(config(), "example.com", "recursive")));
  CHECK(f->warnings(config()).empty());
  CHECK(f->warnings(with(config(), "", "authoritative")).empty());
  auto w = f->warnings(with(config(), "", "recursive"));
  REQUIRE(w.size() == 1);
  CHECK_THAT(w[0], Catch::StartsWith("certs.d/x.yaml:6:60: propagation.check: recursive"));
  w = f->warnings(with(config(), "", "none"));
  REQUIRE(w.size() == 1);
  CHECK_THAT(w[0], Catch::Contains("not checked at all") && Catch::Contains("propagation.wait is 0"));
}

}  // namespace
}  // namespace acmed::solver
