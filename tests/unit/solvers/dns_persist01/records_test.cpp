// SPDX-License-Identifier: Apache-2.0
// DNS-PERSIST-01 records: generation rules real CAs enforce, strict parsing as
// Boulder/Pebble do it, evaluation against an expectation, and the read-only check
// across servers (with an in-memory resolver for shapes real servers rarely show).
#include "acmed/persist/records.hpp"

#include <catch2/catch.hpp>

#include "acmed/solvers/dns_persist01.hpp"
#include "fake_resolver.hpp"

namespace acmed::persist {
namespace {

using namespace std::chrono;
const std::string acct = "https://acme-v02.api.letsencrypt.org/acme/acct/1234567890";
AccountBinding binding01() {
  AccountBinding b;
  b.revision = Revision::draft01;
  b.account_url = acct;
  return b;
}
const AccountBinding b01 = binding01();

std::vector<Identifier> ids(std::initializer_list<const char*> names) {
  std::vector<Identifier> out;
  for (auto n : names) out.push_back(*Identifier::parse(n));
  return out;
}

TEST_CASE("build_value emits the canonical form real CAs accept", "[persist]") {
  CHECK(*build_value({"letsencrypt.org", acct, false, std::nullopt}) == "letsencrypt.org; accounturi=" + acct);
  CHECK(*build_value({"letsencrypt.org", acct, true, 1767225600}) ==
        "letsencrypt.org; accounturi=" + acct + "; policy=wildcard; persistUntil=1767225600");
  CHECK_FALSE(build_value({"LetsEncrypt.org", acct, false, std::nullopt}));   // issuer must be lowercase
  CHECK_FALSE(build_value({"letsencrypt.org.", acct, false, std::nullopt}));  // no trailing dot
  CHECK_FALSE(build_value({"letsencrypt.org", "https://x/a b", false, std::nullopt}));
  CHECK_FALSE(build_value({"letsencrypt.org", "https://x/a;b", false, std::nullopt}));
  CHECK_FALSE(build_value({"letsencrypt.org", "", false, std::nullopt}));
  // Whatever we emit, our own strict parser (Boulder's rules) accepts.
  auto v = build_value({"letsencrypt.org", acct, true, 1767225600});
  auto p = parse_value(*v);
  REQUIRE(p);
  CHECK(p->issuer == "letsencrypt.org");
  CHECK(*p->account_uri == acct);
  CHECK(p->policy_wildcard);
  CHECK(*p->persist_until == 1767225600);
}

TEST_CASE("split_txt and zone_file_line keep character-strings within 255 octets", "[persist]") {
  CHECK(split_txt(std::string(255, 'a')).size() == 1);
  auto parts = split_txt(std::string(256, 'a'));
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].size() == 255);
  CHECK(parts[1] == "a");
  CHECK(zone_file_line("_validation-persist.example.com", "a\"b\\c", 300) ==
        R"(_validation-persist.example.com. 300 IN TXT "a\"b\\c")");
  auto long_line = zone_file_line("n", std::string(300, 'x'), 60);
  CHECK(long_line == "n. 60 IN TXT \"" + std::string(255, 'x') + "\" \"" + std::string(45, 'x') + "\"");
}

TEST_CASE("parse_value follows the strict rules of Boulder and Pebble", "[persist]") {
  auto ok = parse_value("  letsencrypt.org ;\taccounturi = https://x/1 ; Policy=WILDCARD ; persistUntil=5 ; foo=bar");
  REQUIRE(ok);
  CHECK(ok->issuer == "letsencrypt.org");
  CHECK(*ok->account_uri == "https://x/1");
  CHECK(ok->policy_wildcard);
  CHECK(*ok->persist_until == 5);
  CHECK(ok->unknown_tags == std::vector<std::string>{"foo"});
  CHECK_FALSE(parse_value("letsencrypt.org; accounturi=https://x/1; policy=other")->policy_wildcard);

  auto err = [](std::string_view v) {
    auto r = parse_value(v);
    REQUIRE_FALSE(r);
    return r.error().message;
  };
  CHECK_THAT(err("letsencrypt.org; accounturi=https://x/1;"), Catch::Contains("trailing semicolon"));
  CHECK_THAT(err("letsencrypt.org;; accounturi=https://x/1"), Catch::Contains("empty parameter"));
  CHECK_THAT(err("letsencrypt.org; accounturi=a; AccountURI=b"), Catch::Contains("duplicate parameter 'accounturi'"));
  CHECK_THAT(err("letsencrypt.org; accounturi=a b"), Catch::Contains("characters CAs reject"));
  CHECK_THAT(err("letsencrypt.org; persistUntil=tomorrow"), Catch::Contains("not a Unix time"));
  CHECK_THAT(err("letsencrypt.org; accounturi"), Catch::Contains("has no '='"));
  CHECK_THAT(err("; accounturi=x"), Catch::Contains("no issuer domain name"));
  CHECK_THAT(err("letsencrypt.org; policy="), Catch::Contains("empty value"));
}

TEST_CASE("validate_issuer_names enforces the draft's client rules", "[persist]") {
  CHECK(validate_issuer_names({"letsencrypt.org", "ca2.example"}));
  CHECK_FALSE(validate_issuer_names({}));
  CHECK_FALSE(validate_issuer_names(std::vector<std::string>(11, "ca.example")));
  CHECK(validate_issuer_names(std::vector<std::string>(10, "ca.example")));
  CHECK_FALSE(validate_issuer_names({"CA.example"}));
  CHECK_FALSE(validate_issuer_names({"ca.example."}));
  CHECK_FALSE(validate_issuer_names({std::string(254, 'a')}));
  CHECK_FALSE(validate_issuer_names({"ca..example"}));
}

TEST_CASE("required_records: one record per base name; policy=wildcard exactly for wildcards", "[persist]") {
  auto recs = required_records(ids({"example.com", "*.example.com", "www.example.com"}), "letsencrypt.org", b01,
                               PolicyMode::automatic, std::nullopt);
  REQUIRE(recs);
  REQUIRE(recs->size() == 2);
  CHECK((*recs)[0].name == "_validation-persist.example.com");
  CHECK((*recs)[0].covers == std::vector<std::string>{"example.com", "*.example.com"});
  CHECK((*recs)[0].params.policy_wildcard);
  CHECK((*recs)[0].value == "letsencrypt.org; accounturi=" + acct + "; policy=wildcard");
  CHECK_THAT((*recs)[0].policy_reason, Catch::Contains("includes *.example.com"));
  // Boulder does not walk up the tree: www needs its own record, without the policy.
  CHECK((*recs)[1].name == "_validation-persist.www.example.com");
  CHECK_FALSE((*recs)[1].params.policy_wildcard);
  CHECK_THAT((*recs)[1].policy_reason, Catch::Contains("no policy=wildcard"));

  CHECK(record_name(*Identifier::parse("*.example.com")) == "_validation-persist.example.com");
  auto forced = required_records(ids({"example.com"}), "letsencrypt.org", b01, PolicyMode::wildcard, 1767225600);
  REQUIRE(forced);
  CHECK((*forced)[0].value == "letsencrypt.org; accounturi=" + acct + "; policy=wildcard; persistUntil=1767225600");
  CHECK_FALSE(required_records(ids({"*.example.com"}), "letsencrypt.org", b01, PolicyMode::none, std::nullopt));
  CHECK_FALSE(required_records(ids({"192.0.2.1"}), "letsencrypt.org", b01, PolicyMode::automatic, std::nullopt));
}

Expectation expect(bool wildcard = false) {
  Expectation e;
  e.issuers = {"letsencrypt.org"};
  e.account = b01;
  e.domain = "example.com";
  e.wildcard = wildcard;
  e.now = system_clock::time_point(seconds(1'800'000'000));
  e.warn_before = hours(24 * 30);
  return e;
}

TEST_CASE("evaluate reports exactly what is wrong", "[persist]") {
  const std::string good = "letsencrypt.org; accounturi=" + acct;
  CHECK(evaluate({}, expect()).status == Status::missing);
  auto other = evaluate({"otherca.example; accounturi=" + acct}, expect());
  CHECK(other.status == Status::other_issuers_only);
  CHECK_THAT(other.detail, Catch::Contains("otherca.example"));
  auto wrong = evaluate({"letsencrypt.org; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/1"}, expect());
  CHECK(wrong.status == Status::wrong_account);
  CHECK_THAT(wrong.detail, Catch::Contains("this account is " + acct));
  // Simple string comparison: a different case is a different account URI.
  CHECK(evaluate({"letsencrypt.org; accounturi=HTTPS://acme-v02.api.letsencrypt.org/acme/acct/1234567890"}, expect()).status ==
        Status::wrong_account);
  CHECK(evaluate({good}, expect(true)).status == Status::policy_missing);
  CHECK(evaluate({good + "; policy=wildcard"}, expect(true)).status == Status::ok);
  auto expired = evaluate({good + "; persistUntil=1700000000"}, expect());
  CHECK(expired.status == Status::expired);
  CHECK_THAT(expired.detail, Catch::Contains("2023-11-14"));
  CHECK(evaluate({good + "; persistUntil=" + std::to_string(1'800'000'000 + 86400)}, expect()).status == Status::expiring);
  CHECK(evaluate({good + "; persistUntil=" + std::to_string(1'800'000'000 + 86400 * 60)}, expect()).status == Status::ok);
  auto missing_acct = evaluate({"letsencrypt.org; policy=wildcard"}, expect());
  CHECK(missing_acct.status == Status::malformed);
  CHECK_THAT(missing_acct.detail, Catch::Contains("missing the mandatory accounturi"));
  CHECK(evaluate({"letsencrypt.org; accounturi=" + acct + ";"}, expect()).status == Status::malformed);
  // One good record is enough, whatever else is published at the name.
  CHECK(evaluate({"letsencrypt.org; accounturi=x;", "otherca.example; a=b", good}, expect()).status == Status::ok);
}

TEST_CASE("check_record: every authoritative server and the resolver must agree", "[persist]") {
  test::FakeResolver dns;
  dns.add_zone("example.com", {{"192.0.2.1", 53, "ns1.example.com"}, {"192.0.2.2", 53, "ns2.example.com"}});
  const std::string name = "_validation-persist.example.com";
  dns.add_live(name, "letsencrypt.org; accounturi=" + acct);
  auto all = check_record(dns, name, expect());
  CHECK(all.status == Status::ok);
  CHECK(all.servers.size() == 3);
  CHECK_THAT(all.summary, Catch::Contains("served by all 3 servers"));

  dns.serve_after("192.0.2.2", 1000);  // ns2 has not picked the record up yet
  auto split = check_record(dns, name, expect());
  CHECK(split.status == Status::disagree);
  CHECK_THAT(split.summary, Catch::Contains("ns2.example.com (192.0.2.2)") && Catch::Contains("2 of 3 pass"));

  test::FakeResolver broken;
  broken.add_zone("example.com", {{"192.0.2.1", 53, "ns1.example.com"}});
  broken.fail_server("192.0.2.1");
  CHECK(check_record(broken, name, expect()).status == Status::lookup_failed);
}

TEST_CASE("check_record follows a CNAME and checks the target's zone", "[persist]") {
  test::FakeResolver dns;
  dns.add_zone("example.com", {{"192.0.2.1", 53, "ns1.example.com"}});
  dns.add_zone("validation.example.net", {{"198.51.100.7", 53, "ns.validation.example.net"}});
  dns.add_cname("_validation-persist.example.com", "example-com.validation.example.net");
  dns.add_live("example-com.validation.example.net", "letsencrypt.org; accounturi=" + acct);
  auto r = check_record(dns, "_validation-persist.example.com", expect());
  CHECK(r.status == Status::ok);
  CHECK(r.final_name == "example-com.validation.example.net");
  CHECK(r.servers.front().server == "ns.validation.example.net (198.51.100.7)");
  CHECK(dns.queries("192.0.2.1") == 0);
}

TEST_CASE("check_record: a CNAME loop ends as a lookup failure naming the chain, not a hang", "[persist][cname]") {
  test::FakeResolver dns;
  dns.add_zone("example.com", {{"192.0.2.1", 53, "ns1.example.com"}});
  dns.add_zone("example.net", {{"198.51.100.7", 53, "ns.example.net"}});
  const std::string name = "_validation-persist.example.com";
  dns.add_cname(name, "loop.example.net");
  dns.add_cname("loop.example.net", name);  // a -> b -> a
  dns.add_live(name, "letsencrypt.org; accounturi=" + acct);  // never reached through the loop
  auto r = check_record(dns, name, expect());
  CHECK(r.status == Status::lookup_failed);
  CHECK_THAT(r.summary, Catch::Contains("CNAME chain at '" + name + "' is longer than 16"));
  CHECK_FALSE(passes(r.status));
  for (const auto& s : r.servers) CHECK(s.evaluation.status == Status::lookup_failed);
}

TEST_CASE("check_record: an overlong CNAME chain fails clearly; a 10-alias chain is followed", "[persist][cname]") {
  test::FakeResolver dns;
  dns.add_zone("example.com", {{"192.0.2.1", 53, "ns1.example.com"}});
  dns.add_zone("example.net", {{"198.51.100.7", 53, "ns.example.net"}});
  auto chain = [&](const std::string& start, int hops) {
    std::string from = start;
    for (int i = 1; i <= hops; ++i) {
      std::string to = "hop" + std::to_string(i) + "." + start.substr(start.find('.') + 1) + ".example.net";
      dns.add_cname(from, to);
      from = to;
    }
    dns.add_live(from, "letsencrypt.org; accounturi=" + acct);
    return from;
  };
  const std::string long_name = "_validation-persist.long.example.com";
  chain(long_name, 40);
  auto r = check_record(dns, long_name, expect());
  CHECK(r.status == Status::lookup_failed);
  CHECK_THAT(r.summary, Catch::Contains("CNAME chain"));

  const std::string short_name = "_validation-persist.short.example.com";
  const std::string target = chain(short_name, 10);
  auto ok = check_record(dns, short_name, expect());
  CHECK(ok.status == Status::ok);
  CHECK(ok.final_name == target);
  CHECK(ok.cnames.size() == 10);
}

TEST_CASE("dns-persist-01 settings: credentials are refused with the reason; dates and durations parse", "[persist]") {
  auto now = system_clock::time_point(seconds(1'800'000'000));
  auto section = [](std::string key, std::string value) {
    ConfigValue s = ConfigValue::make_map("c.yaml:3:5");
    s.map[key] = ConfigValue::make_scalar(value, "c.yaml:4:5");
    return s;
  };
  // What the composition root passes in: the dns-01 providers' declared settings (as
  // rfc2136 and pdns declare them; this target cannot ask them itself).
  const solver::SettingSpec rfc2136[] = {{.name = "server"}, {.name = "secret_file", .credential = true},
                                         {.name = "credential", .credential = true}};
  const solver::SettingSpec pdns[] = {{.name = "api_url"}, {.name = "api_key_file", .credential = true},
                                      {.name = "credential", .credential = true}};
  const std::vector<solver::DeclaredSettings> providers = {{"rfc2136", {std::begin(rfc2136), std::end(rfc2136)}},
                                                           {"pdns", {std::begin(pdns), std::end(pdns)}}};
  for (const char* key : {"provider", "rfc2136", "credential", "secret_file", "api_key_file"}) {
    auto r = solver::read_persist_settings(section(key, "x"), now, providers);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::StartsWith("c.yaml:4:5: '" + std::string(key) + "' does not belong") &&
                                      Catch::Contains("never writes DNS"));
  }
  // 'provider' is refused with the reason in any build; without the declarations (a build
  // without DNS writers) a provider's key is still refused, as unknown.
  CHECK_THAT(solver::read_persist_settings(section("provider", "x"), now).error().message,
             Catch::Contains("'provider' does not belong in a dns-persist-01 solver: this mode never writes DNS"));
  CHECK_THAT(solver::read_persist_settings(section("secret_file", "x"), now).error().message,
             Catch::StartsWith("c.yaml:4:5: unknown dns-persist-01 setting 'secret_file'"));
  CHECK(*solver::read_persist_settings(section("persist_until", "2027-06-01"), now)->persist_until == 1811808000);
  CHECK(*solver::read_persist_settings(section("persist_until", "2027-06-01T12:00:00Z"), now)->persist_until == 1811851200);
  CHECK(*solver::read_persist_settings(section("persist_until", "1811808000"), now)->persist_until == 1811808000);
  CHECK(*solver::read_persist_settings(section("persist_until", "10d"), now)->persist_until == 1'800'000'000 + 864000);
  CHECK_FALSE(solver::read_persist_settings(section("persist_until", "someday"), now));
  CHECK_FALSE(solver::read_persist_settings(section("policy", "always"), now));
  CHECK_FALSE(solver::read_persist_settings(section("issuer", "LetsEncrypt.org"), now));
  CHECK(solver::read_persist_settings(section("warn_before", "14d"), now)->warn_before == hours(24 * 14));
}

TEST_CASE("dns-persist-01: an injected provider's keys get the write-credential refusal", "[persist]") {
  // A provider this file has never heard of: the refusal comes from its declaration alone.
  const solver::SettingSpec declared[] = {{.name = "api_token", .description = "token file", .credential = true},
                                          {.name = "endpoint", .description = "API URL"},
                                          {.name = "issuer", .description = "a name dns-persist-01 uses itself"}};
  std::vector<solver::DeclaredSettings> providers = {{"acmedns", {std::begin(declared), std::end(declared)}}};
  auto section = [](std::string key, std::string value = "x") {
    ConfigValue s = ConfigValue::make_map("c.yaml:3:5");
    s.map["type"] = ConfigValue::make_scalar("dns-persist-01", "c.yaml:3:7");
    s.map[key] = ConfigValue::make_scalar(value, "c.yaml:4:5");
    return s;
  };
  auto factory = solver::make_dns_persist01_factory(providers);
  auto refused = factory->validate({"dns-persist-01", section("api_token")});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message ==
        "c.yaml:4:5: 'api_token' does not belong in a dns-persist-01 solver: this mode never writes DNS and takes no "
        "DNS credentials (it names a credential of the dns-01 provider 'acmedns'). The _validation-persist record is "
        "published once through your DNS change process (see 'acmed persist record'); remove this key");
  CHECK_THAT(factory->validate({"dns-persist-01", section("endpoint")}).error().message,
             Catch::Contains("(it is a setting of the dns-01 provider 'acmedns')"));
  CHECK_THAT(factory->validate({"dns-persist-01", section("acmedns")}).error().message,
             Catch::Contains("(it is the section of the dns-01 provider 'acmedns')"));
  // dns-persist-01's own settings stay its own, whatever a provider declares.
  CHECK(factory->validate({"dns-persist-01", section("issuer", "letsencrypt.org")}));
  // The default factory (no declarations) does not know the key, and still refuses it.
  CHECK_THAT(solver::make_dns_persist01_factory()->validate({"dns-persist-01", section("api_token")}).error().message,
             Catch::StartsWith("c.yaml:4:5: unknown dns-persist-01 setting 'api_token'"));
}

}  // namespace
}  // namespace acmed::persist
