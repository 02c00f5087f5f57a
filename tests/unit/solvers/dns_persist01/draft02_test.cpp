// SPDX-License-Identifier: Apache-2.0
// DNS-PERSIST-01 draft -02: the hashed accounturi (with the draft's test vectors),
// binding to a name or to "*", the stale-format and earlier-key outcomes, the
// D/C/I challenge checks, and a solver preflight against a -02 challenge.
#include <catch2/catch.hpp>

#include "acmed/persist/records.hpp"
#include "acmed/solvers/dns_persist01.hpp"
#include "fake_resolver.hpp"

namespace acmed::persist {
namespace {

using namespace std::chrono;

// draft-ietf-acme-dns-persist-02 test vectors.
const std::string vector_thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
const std::string vector_account = "https://ca.example/acct/123";
const std::string prefix = "https://ca.example/account-hash/";
const std::string other_thumbprint = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

AccountBinding b02(Bind bind = Bind::name) {
  AccountBinding b;
  b.revision = Revision::draft02;
  b.account_url = vector_account;
  b.hash_prefix = prefix;
  b.thumbprint = vector_thumbprint;
  b.bind = bind;
  return b;
}

Expectation expect02(const std::string& domain = "example.com", bool wildcard = false) {
  Expectation e;
  e.issuers = {"ca.example"};
  e.account = b02();
  e.domain = domain;
  e.wildcard = wildcard;
  e.now = system_clock::time_point(seconds(1'800'000'000));
  return e;
}

std::string hashed(const std::string& d, const std::string& tp = vector_thumbprint) {
  return prefix + "sha-256/" + *account_hash(d, tp, vector_account);
}

TEST_CASE("account_hash matches the draft -02 test vectors", "[persist][draft02]") {
  CHECK(*account_hash("example.com", vector_thumbprint, vector_account) == "5SQm7n6tPh2-PlLbCKGnViTXX5z19SCN4cPGQHSk-kw");
  CHECK(*account_hash("*", vector_thumbprint, vector_account) == "NpDnSwUthQK8zCgFdefYxAdAVPnygMLbs9US6oO-5ug");
  // Inputs the draft forbids are refused, not hashed.
  CHECK_FALSE(account_hash("Example.com", vector_thumbprint, vector_account));
  CHECK_FALSE(account_hash("example.com.", vector_thumbprint, vector_account));
  CHECK_FALSE(account_hash("", vector_thumbprint, vector_account));
  CHECK_FALSE(account_hash(std::string(254, 'a'), vector_thumbprint, vector_account));
  CHECK_FALSE(account_hash("example.com", "short", vector_account));
  CHECK_FALSE(account_hash("example.com", vector_thumbprint, ""));
}

TEST_CASE("revision is chosen by meta.accountHashPrefix", "[persist][draft02]") {
  CHECK(revision_for(std::nullopt) == Revision::draft01);
  CHECK(revision_for(std::string()) == Revision::draft01);
  CHECK(revision_for(prefix) == Revision::draft02);
  CHECK(*parse_revision("02") == Revision::draft02);
  CHECK(*parse_revision("01") == Revision::draft01);
  CHECK_FALSE(parse_revision("03"));
  CHECK(to_string(Revision::draft02) == "-02");
}

TEST_CASE("draft -02 records: hash of the record's own name, or of * with bind: any", "[persist][draft02]") {
  std::vector<Identifier> ids{*Identifier::parse("example.com"), *Identifier::parse("*.example.com"),
                              *Identifier::parse("www.example.com")};
  auto recs = required_records(ids, "ca.example", b02(), PolicyMode::automatic, std::nullopt);
  REQUIRE(recs);
  REQUIRE(recs->size() == 2);
  // For *.example.com the hashed domain is example.com, where the record sits.
  CHECK((*recs)[0].value == "ca.example; accounturi=" + prefix + "sha-256/5SQm7n6tPh2-PlLbCKGnViTXX5z19SCN4cPGQHSk-kw; policy=wildcard");
  CHECK((*recs)[1].value == "ca.example; accounturi=" + hashed("www.example.com"));
  CHECK((*recs)[0].params.account_uri != (*recs)[1].params.account_uri);

  auto any = required_records(ids, "ca.example", b02(Bind::any), PolicyMode::automatic, std::nullopt);
  REQUIRE(any);
  CHECK((*any)[0].params.account_uri == prefix + "sha-256/NpDnSwUthQK8zCgFdefYxAdAVPnygMLbs9US6oO-5ug");
  CHECK((*any)[1].params.account_uri == (*any)[0].params.account_uri);

  // Every value we emit passes our own strict parser.
  for (const auto& r : *recs) REQUIRE(parse_value(r.value));
  // A -02 binding without the CA's prefix or the key cannot make a value.
  AccountBinding no_prefix = b02();
  no_prefix.hash_prefix.clear();
  CHECK_FALSE(required_records(ids, "ca.example", no_prefix, PolicyMode::automatic, std::nullopt));
  AccountBinding no_key = b02();
  no_key.thumbprint.clear();
  CHECK_FALSE(required_records(ids, "ca.example", no_key, PolicyMode::automatic, std::nullopt));
  CHECK(validation_domain("_validation-persist.WWW.Example.com.") == "www.example.com");
}

TEST_CASE("draft -02 evaluation: current key, *, earlier keys, stale format and other accounts", "[persist][draft02]") {
  const std::string issuer = "ca.example; accounturi=";
  auto name = evaluate({issuer + hashed("example.com")}, expect02());
  CHECK(name.status == Status::ok);
  CHECK_FALSE(name.earlier_key);
  CHECK_THAT(name.detail, Catch::Contains("hash of example.com"));

  auto star = evaluate({issuer + hashed("*")}, expect02());
  CHECK(star.status == Status::ok);
  CHECK_THAT(star.detail, Catch::Contains("hash of *"));

  // Another name's hash does not authorize this name.
  auto other_name = evaluate({issuer + hashed("www.example.com")}, expect02());
  CHECK(other_name.status == Status::wrong_account);

  // A hash made with a key from before a rollover: the CA still accepts it; republish.
  Expectation rolled = expect02();
  rolled.account.thumbprint = other_thumbprint;
  rolled.account.earlier_thumbprints = {vector_thumbprint};
  auto earlier = evaluate({issuer + hashed("example.com")}, rolled);
  CHECK(earlier.status == Status::ok);
  CHECK(earlier.earlier_key);
  CHECK_THAT(earlier.detail, Catch::Contains("made with an earlier account key: republish"));
  // With both old and new records published, the current one wins.
  auto both = evaluate({issuer + hashed("example.com"), issuer + hashed("example.com", other_thumbprint)}, rolled);
  CHECK(both.status == Status::ok);
  CHECK_FALSE(both.earlier_key);
  // Without the earlier key in state, the same record names some other key.
  rolled.account.earlier_thumbprints.clear();
  CHECK(evaluate({issuer + hashed("example.com")}, rolled).status == Status::wrong_account);

  // The plain account URL on a -02 CA: our account, wrong format.
  auto plain = evaluate({issuer + vector_account}, expect02());
  CHECK(plain.status == Status::stale_format);
  CHECK_THAT(plain.detail, Catch::Contains("speaks draft -02"));
  CHECK(to_string(Status::stale_format) == "stale-format");
  CHECK_FALSE(passes(Status::stale_format));

  // A hash on a -01 CA: wrong format the other way round.
  Expectation e01 = expect02();
  e01.account.revision = Revision::draft01;
  auto hash_on_01 = evaluate({issuer + hashed("example.com")}, e01);
  CHECK(hash_on_01.status == Status::stale_format);
  CHECK_THAT(hash_on_01.detail, Catch::Contains("speaks draft -01"));
  CHECK(evaluate({issuer + vector_account}, e01).status == Status::ok);

  // A URL that is neither ours nor a hash.
  CHECK(evaluate({issuer + "https://other.example/acct/9"}, expect02()).status == Status::wrong_account);
  // The wildcard policy and persistUntil rules apply to hashed records unchanged.
  CHECK(evaluate({issuer + hashed("example.com")}, expect02("example.com", true)).status == Status::policy_missing);
  CHECK(evaluate({issuer + hashed("example.com") + "; persistUntil=1700000000"}, expect02()).status == Status::expired);
  // A stale-format record next to a good one: the good one decides.
  CHECK(evaluate({issuer + vector_account, issuer + hashed("*")}, expect02()).status == Status::ok);
}

TEST_CASE("draft -02 challenge checks: D within C, C within I", "[persist][draft02]") {
  const std::vector<std::string> d{"ca.example"};
  const std::vector<std::string> i{"ca.example", "ca2.example"};
  CHECK(check_challenge_issuers({"ca.example"}, d, i));
  CHECK(check_challenge_issuers({"ca.example", "ca2.example"}, d, i));
  auto missing_d = check_challenge_issuers({"ca2.example"}, d, i);
  REQUIRE_FALSE(missing_d);
  CHECK_THAT(missing_d.error().message, Catch::Contains("lack ca.example") && Catch::Contains("malformed"));
  auto outside_i = check_challenge_issuers({"ca.example", "rogue.example"}, d, i);
  REQUIRE_FALSE(outside_i);
  CHECK_THAT(outside_i.error().message, Catch::Contains("rogue.example") && Catch::Contains("caaIdentities"));
  // No I served: C is not limited. A missing or invalid D only means no pre-provisioning.
  CHECK(check_challenge_issuers({"anything.example"}, {}, {}));
  CHECK(check_challenge_issuers({"ca.example"}, {"Bad.Example"}, {}));
  // The -01 rules still hold: 1..10 lowercase A-labels.
  CHECK_FALSE(check_challenge_issuers({}, d, {}));
  CHECK_FALSE(check_challenge_issuers({"CA.example"}, {}, {}));
  std::vector<std::string> eleven;
  for (int n = 0; n < 11; ++n) eleven.push_back("ca" + std::to_string(n) + ".example");
  CHECK_FALSE(check_challenge_issuers(eleven, {}, {}));
}

/// The solver's preflight against a -02 challenge, with an in-memory DNS.
struct PreflightHarness {
  test::FakeResolver dns;
  std::unique_ptr<solver::ChallengeSolver> solver;
  solver::ChallengeContext ctx;
  explicit PreflightHarness(std::vector<std::string> earlier = {}) {
    dns.add_zone("example.com", {{"192.0.2.1", 53, "ns1.example.com"}});
    auto factory = solver::make_dns_persist01_factory();
    solver::SolverConfig cfg{"dns-persist-01", ConfigValue::make_map("t.yaml:1:1")};
    solver::SolverDeps deps;
    deps.resolver = &dns;
    deps.certificate_identifiers = {*Identifier::parse("example.com")};
    deps.earlier_account_thumbprints = std::move(earlier);
    auto made = factory->create(cfg, deps);
    REQUIRE(made);
    solver = std::move(*made);
    ctx.identifier = *Identifier::parse("example.com");
    ctx.challenge_type = "dns-persist-01";
    ctx.challenge_url = "https://ca.example/chall/1";
    ctx.account_uri = vector_account;
    ctx.account_thumbprint = vector_thumbprint;
    ctx.issuer_domain_names = {"ca.example"};
    ctx.directory_issuer_domain_names = {"ca.example"};
    ctx.caa_identities = {"ca.example"};
    ctx.account_hash_prefix = prefix;
  }
};

TEST_CASE("preflight on a -02 CA: hashed records pass, plain URLs and malformed challenges are refused", "[persist][draft02]") {
  {
    PreflightHarness h;
    h.dns.add_live("_validation-persist.example.com", "ca.example; accounturi=" + hashed("example.com"));
    CHECK(h.solver->present(h.ctx));
  }
  {
    PreflightHarness h;
    h.dns.add_live("_validation-persist.example.com", "ca.example; accounturi=" + vector_account);
    auto r = h.solver->present(h.ctx);
    REQUIRE_FALSE(r);
    // Refused before any POST, with the value to publish instead.
    CHECK_THAT(r.error().message, Catch::Contains("stale-format") && Catch::Contains(hashed("example.com")));
  }
  {
    // A record made before a rollover: the CA accepts it, so the preflight does too.
    PreflightHarness h({vector_thumbprint});
    h.ctx.account_thumbprint = other_thumbprint;
    h.dns.add_live("_validation-persist.example.com", "ca.example; accounturi=" + hashed("example.com"));
    CHECK(h.solver->present(h.ctx));
  }
  {
    PreflightHarness h;
    h.dns.add_live("_validation-persist.example.com", "ca.example; accounturi=" + hashed("example.com"));
    h.ctx.issuer_domain_names = {"ca2.example"};  // D = {ca.example} is not within C
    auto r = h.solver->present(h.ctx);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("malformed dns-persist-01 challenge") && Catch::Contains("ca.example"));
  }
}

TEST_CASE("The --force option reaches the solver as an explicit option, not as a configuration key", "[persist][draft02]") {
  test::FakeResolver dns;
  dns.add_zone("example.com", {{"192.0.2.1", 53, "ns1.example.com"}});
  auto factory = solver::make_dns_persist01_factory();
  CHECK(factory->capabilities().dns_lookups);
  solver::SolverDeps deps;
  deps.resolver = &dns;
  for (bool force : {false, true}) {
    solver::SolverConfig cfg{"dns-persist-01", ConfigValue::make_map("t.yaml:1:1"), force};
    auto made = factory->create(cfg, deps);
    REQUIRE(made);
    solver::ChallengeContext ctx;
    ctx.identifier = *Identifier::parse("example.com");
    ctx.account_uri = vector_account;
    ctx.issuer_domain_names = {"ca.example"};
    // No record at all: refused, unless forced.
    CHECK(static_cast<bool>((*made)->present(ctx)) == force);
  }
}

TEST_CASE("bind setting: name (default) or any; anything else is a config error", "[persist][draft02]") {
  auto now = system_clock::time_point(seconds(1'800'000'000));
  ConfigValue s = ConfigValue::make_map("c.yaml:3:5");
  CHECK(solver::read_persist_settings(s, now)->bind == Bind::name);
  s.map["bind"] = ConfigValue::make_scalar("any", "c.yaml:4:5");
  CHECK(solver::read_persist_settings(s, now)->bind == Bind::any);
  s.map["bind"] = ConfigValue::make_scalar("everything", "c.yaml:4:5");
  auto bad = solver::read_persist_settings(s, now);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::StartsWith("c.yaml:4:5: bind must be"));
  // A duration persist_until is marked relative, so callers anchor it.
  ConfigValue d = ConfigValue::make_map("c.yaml:3:5");
  d.map["persist_until"] = ConfigValue::make_scalar("180d", "c.yaml:4:5");
  auto rel = solver::read_persist_settings(d, now);
  CHECK(rel->persist_until_relative);
  CHECK(rel->persist_until_spec == "180d");
  d.map["persist_until"] = ConfigValue::make_scalar("2030-01-01", "c.yaml:4:5");
  CHECK_FALSE(solver::read_persist_settings(d, now)->persist_until_relative);
}

}  // namespace
}  // namespace acmed::persist
