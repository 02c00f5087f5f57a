// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "acmed/app/caa.hpp"
#include "fake_resolver.hpp"

namespace acmed::app::caa {
namespace {

dns::CaaRecord issue(std::string value, std::string tag = "issue", std::uint8_t flags = 0) {
  return {flags, std::move(tag), std::move(value)};
}

const std::string account = "https://ca.example/acme/acct/7";

Request request(std::string name, std::vector<std::string> methods = {"dns-persist-01"}) {
  return {.name = std::move(name), .ca_identities = {"ca.example"}, .account_uri = account, .methods = std::move(methods)};
}

TEST_CASE("CAA issue values parse as RFC 8659 writes them", "[caa]") {
  auto v = parse_issue_value("  CA.Example. ; accounturi=https://ca.example/acme/acct/7;validationmethods=dns-01,http-01  ");
  REQUIRE(v);
  CHECK(v->issuer == "ca.example");
  REQUIRE(v->parameters.size() == 2);
  CHECK(v->parameters[0] == std::pair<std::string, std::string>{"accounturi", "https://ca.example/acme/acct/7"});
  CHECK(v->parameters[1] == std::pair<std::string, std::string>{"validationmethods", "dns-01,http-01"});
  auto none = parse_issue_value(";");
  REQUIRE(none);
  CHECK(none->issuer.empty());
  auto empty = parse_issue_value("");
  REQUIRE(empty);
  CHECK(empty->issuer.empty());
  for (const char* bad : {"ca..example", "-ca.example", "ca.example extra", "ca.example; =x", "ca.example; tag",
                          "ca.example; t=a b", "ca_example", "ca.example; tag=x;;"}) {
    INFO(bad);
    CHECK_FALSE(parse_issue_value(bad));
  }
  std::string many = "ca.example";
  for (int i = 0; i < 40; ++i) many += "; p" + std::to_string(i) + "=x";
  auto too_many = parse_issue_value(many);
  REQUIRE_FALSE(too_many);
  CHECK_THAT(too_many.error().message, Catch::Contains("more than 32 parameters"));
}

TEST_CASE("CAA: no record anywhere allows any CA", "[caa]") {
  test::FakeResolver dns;
  auto v = check(dns, request("www.example.com"));
  CHECK(v.outcome == Outcome::allowed);
  CHECK(v.found_at.empty());
  // The climb asked every name up to the TLD, nearest first.
  CHECK(dns.caa_queries() == std::vector<std::string>{"www.example.com", "example.com", "com"});
}

TEST_CASE("CAA: the closest RRset decides, parents are not asked further", "[caa]") {
  test::FakeResolver dns;
  dns.set_caa("example.com", {issue("other.example")});
  dns.set_caa("com", {issue("ca.example")});
  auto v = check(dns, request("a.b.example.com"));
  CHECK(v.outcome == Outcome::forbidden);
  CHECK(v.found_at == "example.com");
  CHECK_THAT(v.reason, Catch::Contains("names another CA") && Catch::Contains("this CA: ca.example"));
  CHECK_THAT(v.suggestion,
             Catch::Contains("example.com. CAA 0 issue \"ca.example; accounturi=" + account +
                             "; validationmethods=dns-persist-01\""));
  CHECK(dns.caa_queries() == std::vector<std::string>{"a.b.example.com", "b.example.com", "example.com"});
}

TEST_CASE("CAA: the issuer listed allows; the issuer absent forbids", "[caa]") {
  CHECK(evaluate({issue("ca.example")}, "example.com", request("example.com")).outcome == Outcome::allowed);
  CHECK(evaluate({issue("CA.EXAMPLE.")}, "example.com", request("example.com")).outcome == Outcome::allowed);
  CHECK(evaluate({issue("other.example"), issue("ca.example")}, "example.com", request("example.com")).outcome ==
        Outcome::allowed);
  CHECK(evaluate({issue(";")}, "example.com", request("example.com")).outcome == Outcome::forbidden);
  CHECK(evaluate({issue("other.example")}, "example.com", request("example.com")).outcome == Outcome::forbidden);
  // Only iodef: no issuer restriction.
  CHECK(evaluate({issue("mailto:sec@example.com", "iodef")}, "example.com", request("example.com")).outcome ==
        Outcome::allowed);
  // A malformed property names no CA.
  auto v = evaluate({issue("ca.example; broken")}, "example.com", request("example.com"));
  CHECK(v.outcome == Outcome::forbidden);
  CHECK_THAT(v.reason, Catch::Contains("malformed"));
}

TEST_CASE("CAA: accounturi must name this account (RFC 8657)", "[caa]") {
  CHECK(evaluate({issue("ca.example; accounturi=" + account)}, "example.com", request("example.com")).outcome ==
        Outcome::allowed);
  auto v = evaluate({issue("ca.example; accounturi=https://ca.example/acme/acct/8")}, "example.com",
                    request("example.com"));
  CHECK(v.outcome == Outcome::forbidden);
  CHECK_THAT(v.reason, Catch::Contains("names another account (this account: " + account + ")"));
  // Before registration (a status view) there is no account to compare with.
  Request unregistered = request("example.com");
  unregistered.account_uri.clear();
  auto pending = evaluate({issue("ca.example; accounturi=https://ca.example/acme/acct/8")}, "example.com", unregistered);
  CHECK(pending.outcome == Outcome::unknown);
  CHECK_THAT(pending.reason, Catch::Contains("no account is registered yet"));
  CHECK(evaluate({issue("other.example; accounturi=x")}, "example.com", unregistered).outcome == Outcome::forbidden);
}

TEST_CASE("CAA: validationmethods must include a configured challenge type", "[caa]") {
  auto v = evaluate({issue("ca.example; validationmethods=http-01")}, "example.com", request("example.com"));
  CHECK(v.outcome == Outcome::forbidden);
  CHECK_THAT(v.reason, Catch::Contains("does not allow dns-persist-01 (validationmethods=http-01)"));
  CHECK(evaluate({issue("ca.example; validationmethods=dns-01,DNS-PERSIST-01")}, "example.com", request("example.com"))
            .outcome == Outcome::allowed);
  // With a fallback configured, the one CAA allows is reported.
  auto partial = evaluate({issue("ca.example; validationmethods=http-01")}, "example.com",
                          request("example.com", {"dns-persist-01", "http-01"}));
  CHECK(partial.outcome == Outcome::allowed);
  CHECK(partial.allowed_methods == std::vector<std::string>{"http-01"});
  CHECK_THAT(partial.reason, Catch::Contains("with http-01 only"));
}

TEST_CASE("CAA: issuewild governs wildcards when present, and only wildcards", "[caa]") {
  const std::vector<dns::CaaRecord> rrset = {issue("ca.example"), issue(";", "issuewild")};
  auto wild = evaluate(rrset, "example.com", request("*.example.com"));
  CHECK(wild.outcome == Outcome::forbidden);
  CHECK_THAT(wild.suggestion, Catch::Contains("CAA 0 issuewild"));
  CHECK(evaluate(rrset, "example.com", request("example.com")).outcome == Outcome::allowed);
  // Without issuewild, issue applies to wildcards too.
  CHECK(evaluate({issue("other.example")}, "example.com", request("*.example.com")).outcome == Outcome::forbidden);
  CHECK(evaluate({issue("ca.example")}, "example.com", request("*.example.com")).outcome == Outcome::allowed);
}

TEST_CASE("CAA: a critical property of an unknown tag forbids", "[caa]") {
  auto v = evaluate({issue("ca.example"), issue("x", "futuretag", 128)}, "example.com", request("example.com"));
  CHECK(v.outcome == Outcome::forbidden);
  CHECK_THAT(v.reason, Catch::Contains("critical"));
  CHECK(evaluate({issue("ca.example"), issue("x", "futuretag", 0)}, "example.com", request("example.com")).outcome ==
        Outcome::allowed);
}

TEST_CASE("CAA: a CNAME'd name is judged by its target's records", "[caa]") {
  test::FakeResolver dns;
  dns.add_cname("www.example.com", "cdn.provider.net");
  dns.set_caa("cdn.provider.net", {issue("other.example")});
  auto v = check(dns, request("www.example.com"));
  CHECK(v.outcome == Outcome::forbidden);
  CHECK(v.found_at == "www.example.com");
  CHECK_THAT(v.reason, Catch::Contains("alias of cdn.provider.net"));
}

TEST_CASE("CAA: a failed lookup or a CA without caaIdentities gives no verdict", "[caa]") {
  test::FakeResolver dns;
  dns.fail_caa("example.com");
  auto v = check(dns, request("www.example.com"));
  CHECK(v.outcome == Outcome::unknown);
  CHECK_THAT(v.reason, Catch::Contains("CAA lookup at example.com failed"));
  Request no_ids = request("example.com");
  no_ids.ca_identities.clear();
  CHECK(evaluate({issue("ca.example")}, "example.com", no_ids).outcome == Outcome::unknown);
  CHECK(evaluate({}, "", no_ids).outcome == Outcome::allowed);
  // ... except that ";" alone forbids every CA.
  auto none = evaluate({issue(";")}, "example.com", no_ids);
  CHECK(none.outcome == Outcome::forbidden);
  CHECK_THAT(none.suggestion, Catch::Contains("example.com. CAA 0 issue \"<the CA's issuer domain name>\""));
}

TEST_CASE("CAA: a bogus answer gives no verdict and the dns.dnssec hint, not a CA's refusal", "[caa]") {
  test::FakeResolver dns;
  dns.set_caa("example.com", {issue("ca.example")});
  dns.set_caa_dnssec(dns::DnssecStatus::bogus);
  auto v = check(dns, request("www.example.com"));
  CHECK(v.outcome == Outcome::unknown);
  CHECK_THAT(v.reason, Catch::Contains("at www.example.com fails DNSSEC validation"));
  // The hint `persist check` gives for a resolver that strips DNSSEC records ...
  CHECK_THAT(v.reason, Catch::Contains(dns::bogus_hint()));
  CHECK_THAT(v.reason, Catch::Contains("dns: {dnssec: off}"));
  // ... and no claim about the CA: acmed orders anyway.
  CHECK_THAT(v.reason, !Catch::Contains("refuse"));
  CHECK(dns.caa_queries() == std::vector<std::string>{"www.example.com"});
}

TEST_CASE("CAA record bytes are escaped before they are shown", "[caa]") {
  auto v = evaluate({issue("evil\x1b[31m\"\n")}, "example.com", request("example.com"));
  CHECK(v.outcome == Outcome::forbidden);
  CHECK(v.reason.find('\x1b') == std::string::npos);
  CHECK(v.reason.find('\n') == std::string::npos);
  CHECK(to_string(issue("a\"b\\c")) == "0 issue \"a\\\"b\\\\c\"");
}

}  // namespace
}  // namespace acmed::app::caa
