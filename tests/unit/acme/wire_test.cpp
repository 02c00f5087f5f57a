// SPDX-License-Identifier: Apache-2.0
#include "acmed/acme/wire.hpp"

#include <catch2/catch.hpp>

namespace acmed::acme {
namespace {

using namespace std::chrono;

// --- Directory -----------------------------------------------------------------------

constexpr const char* full_directory = R"({
  "newNonce": "https://ca.test/acme/new-nonce",
  "newAccount": "https://ca.test/acme/new-acct",
  "newOrder": "https://ca.test/acme/new-order",
  "newAuthz": "https://ca.test/acme/new-authz",
  "revokeCert": "https://ca.test/acme/revoke-cert",
  "keyChange": "https://ca.test/acme/key-change",
  "renewalInfo": "https://ca.test/acme/renewal-info",
  "kT2mRV3xz1A": "https://community.letsencrypt.org/t/adding-random-entries-to-the-directory/33417",
  "meta": {
    "termsOfService": "https://ca.test/tos.pdf",
    "website": "https://ca.test",
    "caaIdentities": ["ca.test", "ca-alt.test"],
    "externalAccountRequired": true,
    "profiles": {"classic": "The same profile as always", "shortlived": "Six-day certificates"}
  }
})";

constexpr const char* minimal_directory = R"({
  "newNonce": "https://ca.test/n", "newAccount": "https://ca.test/a", "newOrder": "https://ca.test/o",
  "revokeCert": "https://ca.test/r", "keyChange": "https://ca.test/k"
})";

TEST_CASE("parse_directory reads every endpoint and the meta object", "[wire][directory]") {
  auto d = parse_directory(full_directory);
  REQUIRE(d);
  CHECK(d->new_nonce == "https://ca.test/acme/new-nonce");
  CHECK(d->new_account == "https://ca.test/acme/new-acct");
  CHECK(d->new_order == "https://ca.test/acme/new-order");
  CHECK(d->new_authz == "https://ca.test/acme/new-authz");
  CHECK(d->revoke_cert == "https://ca.test/acme/revoke-cert");
  CHECK(d->key_change == "https://ca.test/acme/key-change");
  CHECK(d->renewal_info == "https://ca.test/acme/renewal-info");
  CHECK(d->meta.terms_of_service == "https://ca.test/tos.pdf");
  CHECK(d->meta.website == "https://ca.test");
  CHECK(d->meta.caa_identities == std::vector<std::string>{"ca.test", "ca-alt.test"});
  CHECK(d->meta.external_account_required);
  CHECK(d->meta.profiles == std::map<std::string, std::string>{{"classic", "The same profile as always"},
                                                                {"shortlived", "Six-day certificates"}});
}

TEST_CASE("parse_directory without meta leaves the defaults", "[wire][directory]") {
  auto d = parse_directory(minimal_directory);
  REQUIRE(d);
  CHECK(d->new_nonce == "https://ca.test/n");
  CHECK(d->key_change == "https://ca.test/k");
  CHECK_FALSE(d->new_authz);
  CHECK_FALSE(d->renewal_info);
  CHECK_FALSE(d->meta.terms_of_service);
  CHECK_FALSE(d->meta.website);
  CHECK(d->meta.caa_identities.empty());
  CHECK_FALSE(d->meta.external_account_required);
  CHECK(d->meta.profiles.empty());
}

void check_rejected(const Result<Directory>& d, const std::string& needle) {
  REQUIRE_FALSE(d);
  CHECK(d.error().code == Errc::bad_response);
  CHECK_THAT(d.error().message, Catch::Contains(needle));
}

TEST_CASE("parse_directory rejects malformed documents with a message naming the problem", "[wire][directory]") {
  check_rejected(parse_directory(R"({"newAccount":"a","newOrder":"o","revokeCert":"r","keyChange":"k"})"), "'newNonce'");
  check_rejected(parse_directory(R"({"newNonce":42,"newAccount":"a","newOrder":"o","revokeCert":"r","keyChange":"k"})"),
                 "'newNonce' is not a string");
  check_rejected(parse_directory(R"({"newNonce":"n","newAccount":"a","newOrder":"o","revokeCert":"r"})"), "'keyChange'");
  check_rejected(parse_directory("{\"newNonce\": "), "not valid JSON");
  check_rejected(parse_directory("[\"https://ca.test/n\"]"), "not a JSON object");
  check_rejected(parse_directory(""), "not valid JSON");
  check_rejected(parse_directory("<html>Service Unavailable</html>"), "not valid JSON");
}

TEST_CASE("parse_directory rejects a mistyped meta", "[wire][directory]") {
  std::string base = R"({"newNonce":"n","newAccount":"a","newOrder":"o","revokeCert":"r","keyChange":"k","meta":)";
  check_rejected(parse_directory(base + "[]}"), "'meta'");
  check_rejected(parse_directory(base + R"({"externalAccountRequired":"yes"}})"), "'externalAccountRequired'");
  check_rejected(parse_directory(base + R"({"termsOfService":1}})"), "'termsOfService'");
  check_rejected(parse_directory(base + R"({"caaIdentities":"ca.test"}})"), "'caaIdentities'");
}

// --- Authorizations ------------------------------------------------------------------

TEST_CASE("parse_authorization keeps unknown challenge types without failing", "[wire][authz]") {
  auto a = parse_authorization(R"({
    "identifier": {"type": "dns", "value": "Example.COM"},
    "status": "pending",
    "expires": "2026-01-01T00:00:00Z",
    "challenges": [
      {"type": "http-01", "url": "https://ca.test/chall/1", "status": "pending", "token": "tok-1"},
      {"type": "dns-account-01", "url": "https://ca.test/chall/2", "status": "pending", "token": "tok-2"},
      {"type": "tkauth-01", "url": "https://ca.test/chall/3", "status": "pending", "token": "tok-3", "tkauth-type": "atc"},
      {"type": "future-99", "url": "https://ca.test/chall/4", "status": "pending", "nested": {"a": [1, 2]}}
    ]})",
                               "https://ca.test/authz/1");
  REQUIRE(a);
  CHECK(a->url == "https://ca.test/authz/1");
  CHECK(a->identifier.value == "example.com");
  CHECK(a->identifier.type == Identifier::Type::dns);
  CHECK(a->status == "pending");
  CHECK(a->expires == "2026-01-01T00:00:00Z");
  CHECK_FALSE(a->wildcard);
  REQUIRE(a->challenges.size() == 4);
  CHECK(a->challenges[0].type == "http-01");
  CHECK(a->challenges[0].token == "tok-1");
  CHECK(a->challenges[0].url == "https://ca.test/chall/1");
  CHECK(a->challenges[1].type == "dns-account-01");
  CHECK(a->challenges[2].type == "tkauth-01");
  CHECK(a->challenges[3].type == "future-99");
  CHECK(a->challenges[3].token.empty());
}

TEST_CASE("parse_authorization reads a token-less dns-persist-01 challenge", "[wire][authz]") {
  auto a = parse_authorization(R"({
    "identifier": {"type": "dns", "value": "example.com"}, "status": "pending",
    "challenges": [{"type": "dns-persist-01", "url": "https://ca.test/chall/p", "status": "pending",
                    "issuer-domain-names": ["ca.test", "ca-alt.test"],
                    "accounturi": "https://ca.test/acct/42"}]})",
                               "https://ca.test/authz/p");
  REQUIRE(a);
  REQUIRE(a->challenges.size() == 1);
  const Challenge& c = a->challenges[0];
  CHECK(c.type == "dns-persist-01");
  CHECK(c.token.empty());
  CHECK(c.issuer_domain_names == std::vector<std::string>{"ca.test", "ca-alt.test"});
  CHECK(c.account_uri == "https://ca.test/acct/42");
}

TEST_CASE("parse_authorization accepts the issuerDomainNames spelling", "[wire][authz]") {
  auto a = parse_authorization(R"({
    "identifier": {"type": "dns", "value": "example.com"}, "status": "pending",
    "challenges": [{"type": "dns-persist-01", "url": "https://ca.test/chall/p", "status": "pending",
                    "issuerDomainNames": ["ca.test"]}]})",
                               "u");
  REQUIRE(a);
  CHECK(a->challenges.at(0).issuer_domain_names == std::vector<std::string>{"ca.test"});
  CHECK_FALSE(a->challenges.at(0).account_uri);
}

TEST_CASE("parse_authorization reads the wildcard flag and challenge errors", "[wire][authz]") {
  auto a = parse_authorization(R"({
    "identifier": {"type": "dns", "value": "example.com"}, "status": "invalid", "wildcard": true,
    "challenges": [{"type": "dns-01", "url": "https://ca.test/chall/d", "status": "invalid", "token": "t",
                    "error": {"type": "urn:ietf:params:acme:error:dns", "detail": "NXDOMAIN looking up TXT", "status": 400}}]})",
                               "u");
  REQUIRE(a);
  CHECK(a->wildcard);
  CHECK(a->identifier.value == "example.com");
  REQUIRE(a->challenges.at(0).error);
  CHECK(a->challenges[0].error->type == "urn:ietf:params:acme:error:dns");
  CHECK(a->challenges[0].error->detail == "NXDOMAIN looking up TXT");
  CHECK(a->challenges[0].error->status == 400);
}

TEST_CASE("parse_authorization reads IP identifiers", "[wire][authz]") {
  auto a = parse_authorization(R"({"identifier": {"type": "ip", "value": "2001:DB8::1"}, "status": "valid", "challenges": []})",
                               "u");
  REQUIRE(a);
  CHECK(a->identifier.type == Identifier::Type::ip);
  CHECK(a->identifier.value == "2001:db8::1");
  CHECK(a->challenges.empty());
}

TEST_CASE("parse_authorization rejects missing or mistyped required fields", "[wire][authz]") {
  struct Case {
    const char* body;
    const char* needle;
  };
  for (const Case& c : {
           Case{R"({"status": "pending", "challenges": []})", "'identifier'"},
           Case{R"({"identifier": {"type": "dns", "value": "example.com"}, "status": "pending"})", "'challenges'"},
           Case{R"({"identifier": {"type": "dns", "value": "example.com"}, "status": "pending", "challenges": {}})",
                "'challenges'"},
           Case{R"({"identifier": {"type": "email", "value": "a@example.com"}, "status": "pending", "challenges": []})",
                "'email'"},
           Case{R"({"identifier": "example.com", "status": "pending", "challenges": []})", "identifier"},
           Case{R"({"identifier": {"type": "dns", "value": "example.com"}, "challenges": []})", "'status'"},
           Case{R"({"identifier": {"type": "dns", "value": "example.com"}, "status": "pending", "wildcard": "yes", "challenges": []})",
                "'wildcard'"},
           Case{R"({"identifier": {"type": "dns", "value": "example.com"}, "status": "pending",
                    "challenges": [{"type": "http-01", "status": "pending", "token": "t"}]})",
                "'url'"},
           Case{R"({"identifier": {"type": "dns", "value": "example.com"}, "status": "pending",
                    "challenges": [{"type": "http-01", "url": "u", "status": "pending", "token": 7}]})",
                "'token'"},
       }) {
    INFO(c.body);
    auto a = parse_authorization(c.body, "u");
    REQUIRE_FALSE(a);
    CHECK(a.error().code == Errc::bad_response);
    CHECK_THAT(a.error().message, Catch::Contains(c.needle));
  }
}

// --- Orders --------------------------------------------------------------------------

TEST_CASE("parse_order reads identifiers, authorizations and URLs", "[wire][order]") {
  auto o = parse_order(R"({
    "status": "pending", "expires": "2026-01-08T00:00:00Z", "profile": "shortlived",
    "identifiers": [{"type": "dns", "value": "www.example.com"}, {"type": "ip", "value": "192.0.2.1"}],
    "authorizations": ["https://ca.test/authz/1", "https://ca.test/authz/2"],
    "finalize": "https://ca.test/order/1/finalize"})",
                       "https://ca.test/order/1");
  REQUIRE(o);
  CHECK(o->url == "https://ca.test/order/1");
  CHECK(o->status == "pending");
  REQUIRE(o->identifiers.size() == 2);
  CHECK(o->identifiers[0].value == "www.example.com");
  CHECK(o->identifiers[1].type == Identifier::Type::ip);
  CHECK(o->authorizations == std::vector<std::string>{"https://ca.test/authz/1", "https://ca.test/authz/2"});
  CHECK(o->finalize == "https://ca.test/order/1/finalize");
  CHECK(o->profile == "shortlived");
  CHECK(o->expires == "2026-01-08T00:00:00Z");
  CHECK_FALSE(o->certificate);
  CHECK_FALSE(o->error);
}

TEST_CASE("parse_order reads the certificate URL of a valid order and the error of an invalid one", "[wire][order]") {
  auto valid = parse_order(R"({"status": "valid", "identifiers": [{"type": "dns", "value": "a.example"}],
    "authorizations": [], "finalize": "f", "certificate": "https://ca.test/cert/1"})",
                           "o");
  REQUIRE(valid);
  CHECK(valid->certificate == "https://ca.test/cert/1");

  auto invalid = parse_order(R"({"status": "invalid", "identifiers": [{"type": "dns", "value": "a.example"}],
    "authorizations": [], "finalize": "f",
    "error": {"type": "urn:ietf:params:acme:error:badCSR", "detail": "key too small"}})",
                             "o");
  REQUIRE(invalid);
  REQUIRE(invalid->error);
  CHECK(invalid->error->short_type() == "badCSR");
  CHECK(invalid->error->detail == "key too small");
}

TEST_CASE("parse_order rejects inconsistent or incomplete orders", "[wire][order]") {
  auto no_cert = parse_order(
      R"({"status": "valid", "identifiers": [{"type": "dns", "value": "a.example"}], "authorizations": [], "finalize": "f"})", "o");
  REQUIRE_FALSE(no_cert);
  CHECK(no_cert.error().code == Errc::bad_response);
  CHECK_THAT(no_cert.error().message, Catch::Contains("certificate"));

  auto empty_ids = parse_order(R"({"status": "pending", "identifiers": [], "authorizations": [], "finalize": "f"})", "o");
  REQUIRE_FALSE(empty_ids);
  CHECK_THAT(empty_ids.error().message, Catch::Contains("identifiers"));

  auto no_finalize =
      parse_order(R"({"status": "pending", "identifiers": [{"type": "dns", "value": "a.example"}], "authorizations": []})", "o");
  REQUIRE_FALSE(no_finalize);
  CHECK_THAT(no_finalize.error().message, Catch::Contains("'finalize'"));

  auto no_authz =
      parse_order(R"({"status": "pending", "identifiers": [{"type": "dns", "value": "a.example"}], "finalize": "f"})", "o");
  REQUIRE_FALSE(no_authz);
  CHECK_THAT(no_authz.error().message, Catch::Contains("'authorizations'"));

  auto bad_authz = parse_order(
      R"({"status": "pending", "identifiers": [{"type": "dns", "value": "a.example"}], "authorizations": [1], "finalize": "f"})",
      "o");
  REQUIRE_FALSE(bad_authz);
  CHECK_THAT(bad_authz.error().message, Catch::Contains("'authorizations'"));
}

// --- Accounts and challenges ---------------------------------------------------------

TEST_CASE("parse_account reads status, contact and orders", "[wire][account]") {
  auto a = parse_account(R"({"status": "valid", "contact": ["mailto:admin@example.com"], "orders": "https://ca.test/orders/1"})",
                         "https://ca.test/acct/1");
  REQUIRE(a);
  CHECK(a->url == "https://ca.test/acct/1");
  CHECK(a->status == "valid");
  CHECK(a->contact == std::vector<std::string>{"mailto:admin@example.com"});
  CHECK(a->orders == "https://ca.test/orders/1");
  CHECK_FALSE(parse_account(R"({"contact": []})", "u"));
}

TEST_CASE("parse_challenge reads a single challenge object", "[wire][challenge]") {
  auto c = parse_challenge(R"({"type": "http-01", "url": "https://ca.test/chall/1", "status": "processing", "token": "abc"})");
  REQUIRE(c);
  CHECK(c->type == "http-01");
  CHECK(c->status == "processing");
  CHECK(c->token == "abc");
  CHECK_FALSE(parse_challenge(R"({"url": "u", "status": "pending"})"));
  CHECK_FALSE(parse_challenge("[]"));
}

// --- Problems ------------------------------------------------------------------------

TEST_CASE("parse_problem reads subproblems with their identifiers", "[wire][problem]") {
  // RFC 8555 §6.7.1 example.
  auto p = parse_problem(R"({
    "type": "urn:ietf:params:acme:error:malformed",
    "detail": "Some of the identifiers requested were rejected",
    "status": 400,
    "subproblems": [
      {"type": "urn:ietf:params:acme:error:malformed", "detail": "Invalid underscore in DNS name \"_example.org\"",
       "identifier": {"type": "dns", "value": "_example.org"}},
      {"type": "urn:ietf:params:acme:error:rejectedIdentifier", "detail": "This CA will not issue for \"example.net\"",
       "identifier": {"type": "dns", "value": "example.net"}}
    ]})");
  REQUIRE(p);
  CHECK(p->type == "urn:ietf:params:acme:error:malformed");
  CHECK(p->short_type() == "malformed");
  CHECK(p->detail == "Some of the identifiers requested were rejected");
  CHECK(p->status == 400);
  CHECK_FALSE(p->identifier);
  REQUIRE(p->subproblems.size() == 2);
  CHECK(p->subproblems[0].identifier == "dns:_example.org");
  CHECK(p->subproblems[0].short_type() == "malformed");
  CHECK(p->subproblems[1].identifier == "dns:example.net");
  CHECK(p->subproblems[1].short_type() == "rejectedIdentifier");
  CHECK(p->subproblems[1].detail == "This CA will not issue for \"example.net\"");
}

TEST_CASE("parse_problem defaults the type to about:blank and rejects non-objects", "[wire][problem]") {
  auto p = parse_problem(R"({"detail": "oops", "status": 500})");
  REQUIRE(p);
  CHECK(p->type == "about:blank");
  CHECK(p->detail == "oops");
  CHECK(p->status == 500);
  CHECK_FALSE(parse_problem("Internal Server Error"));
  CHECK_FALSE(parse_problem("[1]"));
}

// A problem document nested `depth` levels deep through subproblems, as in the
// reliability report (~18 bytes a level).
std::string nested_problem(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += R"({"subproblems":[)";
  s += "{}";
  for (int i = 0; i < depth; ++i) s += "]}";
  return s;
}

std::string order_with_error(const std::string& error) {
  return R"({"status": "invalid", "identifiers": [{"type": "dns", "value": "a.example"}],
    "authorizations": [], "finalize": "f", "error": )" +
         error + "}";
}

TEST_CASE("parse_problem rejects a document nested 10000 levels deep instead of overflowing the stack",
          "[wire][problem][limits]") {
  const std::string deep = nested_problem(10000);
  auto p = parse_problem(deep);
  REQUIRE_FALSE(p);
  CHECK(p.error().code == Errc::bad_response);
  CHECK_THAT(p.error().message, Catch::Contains("nested deeper than 64"));
  // Every error field of an order, authorization or challenge reaches the same parser.
  auto o = parse_order(order_with_error(deep), "o");
  REQUIRE_FALSE(o);
  CHECK_THAT(o.error().message, Catch::StartsWith("order: ") && Catch::Contains("nested deeper"));
  auto c = parse_challenge(R"({"type": "http-01", "url": "u", "status": "invalid", "error": )" + deep + "}");
  REQUIRE_FALSE(c);
  CHECK_THAT(c.error().message, Catch::Contains("nested deeper"));
}

TEST_CASE("Every CA document is refused past 64 levels of nesting, arrays included", "[wire][limits]") {
  std::string deep_array = R"({"newNonce": "n", "newAccount": "a", "newOrder": "o", "revokeCert": "r", "keyChange": "k", "x": )";
  deep_array += std::string(65, '[') + std::string(65, ']') + "}";
  auto d = parse_directory(deep_array);
  REQUIRE_FALSE(d);
  CHECK_THAT(d.error().message, Catch::StartsWith("directory: ") && Catch::Contains("nested deeper than 64"));
  std::string shallow = R"({"newNonce": "n", "newAccount": "a", "newOrder": "o", "revokeCert": "r", "keyChange": "k", "x": )";
  shallow += std::string(62, '[') + std::string(62, ']') + "}";
  CHECK(parse_directory(shallow));
  CHECK_FALSE(parse_account(std::string(100000, '['), "u"));
}

TEST_CASE("parse_problem keeps one level of subproblems and says when it dropped deeper ones",
          "[wire][problem][limits]") {
  // RFC 8555 §6.7.1 defines subproblems of a problem, not of a subproblem.
  auto p = parse_problem(R"({"type": "urn:ietf:params:acme:error:malformed", "detail": "top",
    "subproblems": [{"type": "urn:ietf:params:acme:error:rejectedIdentifier", "detail": "inner",
                     "identifier": {"type": "dns", "value": "a.example"},
                     "subproblems": [{"detail": "deeper", "subproblems": [{"detail": "deepest"}]}]}]})");
  REQUIRE(p);
  REQUIRE(p->subproblems.size() == 1);
  CHECK(p->subproblems[0].subproblems.empty());
  CHECK_THAT(p->subproblems[0].detail, Catch::StartsWith("inner") && Catch::Contains("nested subproblems"));
  CHECK(p->subproblems[0].identifier == "dns:a.example");
}

TEST_CASE("parse_problem keeps at most 100 subproblems and counts the rest", "[wire][problem][limits]") {
  std::string subs;
  for (int i = 0; i < 5000; ++i) subs += std::string(i ? "," : "") + R"({"detail": "x"})";
  auto p = parse_problem(R"({"detail": "many", "subproblems": [)" + subs + "]}");
  REQUIRE(p);
  CHECK(p->subproblems.size() == 100);
  CHECK_THAT(p->detail, Catch::StartsWith("many") && Catch::Contains("4900 more subproblems"));
}

TEST_CASE("Orders and authorizations with absurdly many entries are refused with the count", "[wire][limits]") {
  std::string ids, urls, challs;
  for (int i = 0; i < 1001; ++i) {
    ids += std::string(i ? "," : "") + R"({"type": "dns", "value": "a)" + std::to_string(i) + R"(.example"})";
    urls += std::string(i ? "," : "") + "\"https://ca.test/authz/" + std::to_string(i) + "\"";
  }
  for (int i = 0; i < 101; ++i) challs += std::string(i ? "," : "") + R"({"type": "http-01", "url": "u", "status": "pending", "token": "t"})";
  auto many_ids = parse_order(R"({"status": "pending", "identifiers": [)" + ids + R"(], "authorizations": [], "finalize": "f"})", "o");
  REQUIRE_FALSE(many_ids);
  CHECK_THAT(many_ids.error().message, Catch::Contains("'identifiers'") && Catch::Contains("1001") && Catch::Contains("1000"));
  auto many_authz = parse_order(
      R"({"status": "pending", "identifiers": [{"type": "dns", "value": "a.example"}], "authorizations": [)" + urls +
          R"(], "finalize": "f"})",
      "o");
  REQUIRE_FALSE(many_authz);
  CHECK_THAT(many_authz.error().message, Catch::Contains("'authorizations'") && Catch::Contains("1001"));
  auto many_challs = parse_authorization(
      R"({"identifier": {"type": "dns", "value": "a.example"}, "status": "pending", "challenges": [)" + challs + "]}", "a");
  REQUIRE_FALSE(many_challs);
  CHECK_THAT(many_challs.error().message, Catch::Contains("'challenges'") && Catch::Contains("101"));
}

TEST_CASE("CA text in a problem is escaped and cut before it reaches a message", "[wire][problem][escape]") {
  // A newline in detail forged an "info: certificate ... saved" line; ESC reached the terminal.
  auto p = parse_problem(
      "{\"type\": \"urn:ietf:params:acme:error:caa\\u001b[2J\", \"detail\": \"no\\ninfo: certificate www saved\\u001b[31m\","
      " \"subproblems\": [{\"detail\": \"x\\r\\u0085y\", \"identifier\": {\"type\": \"dns\", \"value\": \"a\\nb.example\"}}]}");
  REQUIRE(p);
  CHECK(p->detail == "no\\ninfo: certificate www saved\\x1b[31m");
  CHECK(p->type == "urn:ietf:params:acme:error:caa\\x1b[2J");
  REQUIRE(p->subproblems.size() == 1);
  CHECK(p->subproblems[0].detail == "x\\r\\u0085y");
  CHECK(p->subproblems[0].identifier == "dns:a\\nb.example");
  const std::string line = Error(Errc::acme_problem, "POST", *p).describe();
  CHECK(line.find('\x1b') == std::string::npos);
  CHECK(line.find('\r') == std::string::npos);

  const std::string huge(1 << 20, 'A');
  auto big = parse_problem(R"({"type": "urn:ietf:params:acme:error:serverInternal", "detail": ")" + huge + "\"}");
  REQUIRE(big);
  CHECK(big->detail.size() < 400);
  CHECK_THAT(big->detail, Catch::StartsWith("AAAA") && Catch::EndsWith("(truncated, 1048576 bytes)"));
  CHECK(big->short_type() == "serverInternal");
}

TEST_CASE("Statuses and challenge types from the CA are escaped; URLs with controls are refused", "[wire][escape]") {
  auto a = parse_authorization(R"({"identifier": {"type": "dns", "value": "a.example"}, "status": "pend\ning",
    "challenges": [{"type": "http-01\u001b[1m", "url": "https://ca.test/c/1", "status": "pending", "token": "t"}]})",
                               "a");
  REQUIRE(a);
  CHECK(a->status == "pend\\ning");
  CHECK(a->challenges.at(0).type == "http-01\\x1b[1m");
  auto o = parse_order(R"({"status": "pending", "identifiers": [{"type": "dns", "value": "a.example"}],
    "authorizations": ["https://ca.test/authz/1\ninfo: saved"], "finalize": "f"})",
                       "o");
  REQUIRE_FALSE(o);
  CHECK_THAT(o.error().message, Catch::Contains("'authorizations'") && Catch::Contains("not a URL"));
  CHECK(o.error().message.find('\n') == std::string::npos);
  auto id = parse_order(R"({"status": "pending", "identifiers": [{"type": "dns\u001b", "value": "a.example"}],
    "authorizations": [], "finalize": "f"})",
                        "o");
  REQUIRE_FALSE(id);
  CHECK_THAT(id.error().message, Catch::Contains("dns\\x1b"));
  auto name = parse_order(R"({"status": "pending", "identifiers": [{"type": "dns", "value": "a\nb.example"}],
    "authorizations": [], "finalize": "f"})",
                          "o");
  REQUIRE_FALSE(name);
  CHECK(name.error().message.find('\n') == std::string::npos);
}

// --- Retry-After ---------------------------------------------------------------------

TEST_CASE("parse_retry_after reads delta-seconds relative to now", "[wire][retry-after]") {
  const system_clock::time_point now = sys_days{year{2026} / March / 1} + hours{12};
  CHECK(parse_retry_after("120", now) == now + seconds{120});
  CHECK(parse_retry_after(" 120 ", now) == now + seconds{120});
  CHECK(parse_retry_after("0", now) == now);
  CHECK(parse_retry_after("86400", now) == now + hours{24});
}

TEST_CASE("parse_retry_after reads an IMF-fixdate exactly", "[wire][retry-after]") {
  const system_clock::time_point now = sys_days{year{2026} / March / 1};
  auto t = parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now);
  REQUIRE(t);
  CHECK(*t == sys_days{year{2015} / October / 21} + hours{7} + minutes{28});
}

TEST_CASE("parse_retry_after accepts the obsolete HTTP-date forms", "[wire][retry-after]") {
  // RFC 9110 §5.6.7: a recipient MUST accept all three HTTP-date formats.
  const system_clock::time_point now = sys_days{year{2026} / March / 1};
  const system_clock::time_point expected = sys_days{year{1994} / November / 6} + hours{8} + minutes{49} + seconds{37};
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now) == expected);
  CHECK(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now) == expected);
  CHECK(parse_retry_after("Sun Nov  6 08:49:37 1994", now) == expected);
}

TEST_CASE("parse_retry_after reads a far-future, an HTTP-date and a delta-seconds value", "[wire][retry-after]") {
  const system_clock::time_point now = sys_days{year{2026} / March / 1} + hours{12};
  CHECK(parse_retry_after("3600", now) == now + hours{1});
  CHECK(parse_retry_after("Sun, 01 Mar 2026 13:00:00 GMT", now) == now + hours{1});
  // Past 2262 a time_point overflows; the date must saturate into the future, never print as 1715.
  auto far = parse_retry_after("Fri, 01 Jan 2300 00:00:00 GMT", now);
  REQUIRE(far);
  CHECK(*far > now + years{200});
  CHECK(format_rfc3339(*far) == "2262-04-11T23:47:16Z");
  auto end_of_time = parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now);
  REQUIRE(end_of_time);
  CHECK(*end_of_time == *far);
}

TEST_CASE("parse_retry_after ignores garbage, negative and absurd values", "[wire][retry-after]") {
  const system_clock::time_point now = sys_days{year{2026} / March / 1};
  for (const char* bad : {"", "soon", "-5", "+5", "1.5", "12abc", "99999999999999999999999999", "4294967296",
                          "Wed, 21 Oct 2015 07:28:00", "Wed, 21 Oct 2015 07:28:00 GMT trailing", "2015-10-21T07:28:00Z"}) {
    INFO("value '" << bad << "'");
    CHECK_FALSE(parse_retry_after(bad, now));
  }
}

// --- Renewal information (ARI) -------------------------------------------------------

TEST_CASE("parse_renewal_info reads the suggested window with offsets and fractions", "[wire][ari]") {
  auto ri = parse_renewal_info(R"({"suggestedWindow": {"start": "2026-01-08T10:00:00.5Z", "end": "2026-01-09T12:00:00+02:00"},
    "explanationURL": "https://ca.test/why"})");
  REQUIRE(ri);
  CHECK(ri->window_start == sys_days{year{2026} / January / 8} + hours{10});
  CHECK(ri->window_end == sys_days{year{2026} / January / 9} + hours{10});
  CHECK(ri->explanation_url == "https://ca.test/why");
  CHECK_FALSE(ri->retry_after);
}

TEST_CASE("parse_renewal_info saturates a window past 2262 instead of wrapping into the past", "[wire][ari]") {
  auto ri = parse_renewal_info(R"({"suggestedWindow": {"start": "2026-01-08T10:00:00Z", "end": "9999-12-31T23:59:59-05:00"}})");
  REQUIRE(ri);
  CHECK(ri->window_end > sys_days{year{2262} / January / 1});
  CHECK(format_rfc3339(ri->window_end) == "2262-04-11T23:47:16Z");
}

TEST_CASE("parse_renewal_info refuses missing, reversed, malformed and deeply nested windows", "[wire][ari]") {
  for (const char* bad : {R"({})", R"({"suggestedWindow": "soon"})", R"({"suggestedWindow": {"start": "2026-01-08T10:00:00Z"}})",
                          R"({"suggestedWindow": {"start": "2026-01-09T10:00:00Z", "end": "2026-01-08T10:00:00Z"}})",
                          R"({"suggestedWindow": {"start": "2026-01-08", "end": "2026-01-09"}})", "not json"}) {
    INFO(bad);
    auto ri = parse_renewal_info(bad);
    REQUIRE_FALSE(ri);
    CHECK(ri.error().code == Errc::bad_response);
    CHECK_THAT(ri.error().message, Catch::StartsWith("renewal information: "));
  }
  auto deep = parse_renewal_info(R"({"suggestedWindow": {}, "x": )" + nested_problem(10000) + "}");
  REQUIRE_FALSE(deep);
  CHECK_THAT(deep.error().message, Catch::Contains("nested deeper"));
}

// --- Link headers --------------------------------------------------------------------

TEST_CASE("parse_link_urls finds several links in one header", "[wire][link]") {
  auto urls = parse_link_urls(
      {R"(<https://ca.test/cert/1/1>;rel="alternate", <https://ca.test/cert/1/2>; rel="alternate", <https://ca.test/dir>;rel="index")"},
      "alternate");
  CHECK(urls == std::vector<std::string>{"https://ca.test/cert/1/1", "https://ca.test/cert/1/2"});
}

TEST_CASE("parse_link_urls collects links from several headers in order", "[wire][link]") {
  auto urls = parse_link_urls({R"(<https://ca.test/a>;rel="alternate")", R"(<https://ca.test/dir>;rel="index")",
                               R"(<https://ca.test/b>;rel=alternate)"},
                              "alternate");
  CHECK(urls == std::vector<std::string>{"https://ca.test/a", "https://ca.test/b"});
}

TEST_CASE("parse_link_urls matches one token of a multi-token rel", "[wire][link]") {
  auto urls = parse_link_urls({R"(<https://ca.test/c>; rel="index alternate")", R"(<https://ca.test/d>; rel="alternates")"},
                              "alternate");
  CHECK(urls == std::vector<std::string>{"https://ca.test/c"});
}

TEST_CASE("parse_link_urls ignores other relations such as rel=up", "[wire][link]") {
  const std::vector<std::string> headers{R"(<https://ca.test/issuer>;rel="up")", R"(<https://ca.test/alt>;rel="alternate")"};
  CHECK(parse_link_urls(headers, "alternate") == std::vector<std::string>{"https://ca.test/alt"});
  CHECK(parse_link_urls(headers, "up") == std::vector<std::string>{"https://ca.test/issuer"});
  CHECK(parse_link_urls({R"(<https://ca.test/issuer>;rel="up")"}, "alternate").empty());
  CHECK(parse_link_urls({}, "alternate").empty());
}

TEST_CASE("parse_link_urls compares relation types case-insensitively", "[wire][link]") {
  // RFC 8288 §2.1.1: relation types MUST be compared case-insensitively.
  auto urls = parse_link_urls({R"(<https://ca.test/a>;rel="Alternate")", R"(<https://ca.test/b>;REL=ALTERNATE)"}, "alternate");
  CHECK(urls == std::vector<std::string>{"https://ca.test/a", "https://ca.test/b"});
}

TEST_CASE("parse_link_urls skips targets that are not URLs", "[wire][link][escape]") {
  // Link targets end up in requests and in "skipping alternate chain <url>" log lines.
  auto urls = parse_link_urls({"<https://ca.test/a\x1b[2J>;rel=\"alternate\", <https://ca.test/a b>;rel=alternate, "
                               "<https://ca.test/\xc2\x9b" "1m>;rel=alternate, <https://ca.test/b>;rel=alternate"},
                              "alternate");
  CHECK(urls == std::vector<std::string>{"https://ca.test/b"});
}

TEST_CASE("parse_link_urls copes with commas and other parameters", "[wire][link]") {
  auto urls = parse_link_urls({R"(<https://ca.test/x?a=1,2>;title="a, b";rel="alternate", <https://ca.test/y>;rel="up")"},
                              "alternate");
  CHECK(urls == std::vector<std::string>{"https://ca.test/x?a=1,2"});
}

}  // namespace
}  // namespace acmed::acme
