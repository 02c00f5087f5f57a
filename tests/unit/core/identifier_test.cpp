// SPDX-License-Identifier: Apache-2.0
#include "acmed/core/identifier.hpp"

#include <catch2/catch.hpp>

#include <vector>

namespace acmed {
namespace {

Identifier parse_ok(std::string_view text) {
  auto id = Identifier::parse(text);
  INFO("parsing '" << text << "'");
  REQUIRE(id);
  return *id;
}

TEST_CASE("Identifier::parse lowercases DNS names and drops a trailing dot", "[identifier]") {
  auto id = parse_ok("WWW.Example.COM.");
  CHECK(id.type == Identifier::Type::dns);
  CHECK(id.value == "www.example.com");
  CHECK(id.type_string() == "dns");
  CHECK_FALSE(id.is_wildcard());
  CHECK(id.authorization_name() == "www.example.com");
}

TEST_CASE("Identifier::parse accepts a wildcard only as the whole leftmost label", "[identifier]") {
  auto w = parse_ok("*.Example.com");
  CHECK(w.value == "*.example.com");
  CHECK(w.is_wildcard());
  CHECK(w.authorization_name() == "example.com");

  for (std::string bad : {"a.*.example.com", "*a.example.com", "a*.example.com", "*.*.example.com", "*", "*.",
                          "example.*"}) {
    INFO("input '" << bad << "'");
    auto r = Identifier::parse(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::invalid_argument);
  }
}

TEST_CASE("Identifier::parse keeps IPv4 literals and canonicalises IPv6", "[identifier]") {
  auto v4 = parse_ok("192.0.2.1");
  CHECK(v4.type == Identifier::Type::ip);
  CHECK(v4.value == "192.0.2.1");
  CHECK(v4.type_string() == "ip");
  CHECK_FALSE(v4.is_wildcard());

  CHECK(parse_ok("2001:DB8:0:0:0:0:0:1").value == "2001:db8::1");
  CHECK(parse_ok("2001:0db8:0000::0001").value == "2001:db8::1");
  CHECK(parse_ok("::1").value == "::1");
  CHECK(parse_ok("2001:db8::1").type == Identifier::Type::ip);
}

TEST_CASE("Identifier::parse rejects malformed labels", "[identifier]") {
  const std::string label64(64, 'a');
  for (const std::string& bad : std::vector<std::string>{"", "-a.example.com", "a-.example.com", "a..example.com", ".example.com", "exa mple.com",
                          "ex!ample.com", "b\xc3\xbc" "cher.example", "localhost", "[2001:db8::1]",
                          "fe80::1%eth0", label64 + ".example.com"}) {
    INFO("input '" << bad << "'");
    auto r = Identifier::parse(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::invalid_argument);
  }
  CHECK(Identifier::parse(std::string(63, 'a') + ".example.com"));
  CHECK(Identifier::parse("xn--bcher-kva.example"));
}

TEST_CASE("Identifier::parse rejects underscores, as its own error message promises", "[identifier]") {
  // The rejection text says "letters, digits and '-' only"; CAs may not put '_' in a
  // dNSName SAN (CA/B Forum Ballot SC12), so no CA accepts these.
  for (const char* bad : {"_acme.example.com", "a_b.example.com", "www.exa_mple.com"}) {
    INFO("input '" << bad << "'");
    CHECK_FALSE(Identifier::parse(bad));
  }
}

TEST_CASE("Identifier::parse does not take a malformed IP address for a DNS name", "[identifier]") {
  // A last label of digits only is no TLD (RFC 3696 §2); these are mistyped addresses.
  for (const char* bad : {"192.0.2.256", "1.2.3.4.5", "192.000.002.001", "example.123"}) {
    INFO("input '" << bad << "'");
    CHECK_FALSE(Identifier::parse(bad));
  }
  CHECK(Identifier::parse("123.example.com"));  // digits are fine elsewhere
}

TEST_CASE("Identifier::parse limits names to 253 octets", "[identifier]") {
  const std::string a(63, 'a'), b(63, 'b'), c(63, 'c');
  const std::string n253 = a + "." + b + "." + c + "." + std::string(61, 'd');
  REQUIRE(n253.size() == 253);
  CHECK(parse_ok(n253).value == n253);
  CHECK(parse_ok(n253 + ".").value == n253);  // the root dot is not part of the length

  const std::string n254 = a + "." + b + "." + c + "." + std::string(62, 'd');
  auto r = Identifier::parse(n254);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("253"));
}

TEST_CASE("Identifier equality compares type and value", "[identifier]") {
  CHECK(parse_ok("A.example.com") == parse_ok("a.example.com"));
  CHECK_FALSE(parse_ok("a.example.com") == parse_ok("b.example.com"));
}

TEST_CASE("Identifier::parse escapes the rejected name in its message", "[identifier]") {
  // Names also come from CAs (order identifiers); a message must stay one printable line.
  auto r = Identifier::parse("a\nb\x1b[2J.example");
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("a\\nb\\x1b[2j.example"));
  auto long_name = Identifier::parse(std::string(100000, 'a') + ".example");
  REQUIRE_FALSE(long_name);
  CHECK(long_name.error().message.size() < 400);
}

TEST_CASE("name_in_domain matches the domain itself and names under it", "[identifier]") {
  CHECK(name_in_domain("example.com", "example.com"));
  CHECK(name_in_domain("a.example.com", "example.com"));
  CHECK(name_in_domain("x.y.example.com", "example.com"));
  CHECK_FALSE(name_in_domain("badexample.com", "example.com"));
  CHECK_FALSE(name_in_domain("example.com", "a.example.com"));
  CHECK_FALSE(name_in_domain("com", "example.com"));
  CHECK_FALSE(name_in_domain("example.org", "example.com"));
  CHECK(name_in_domain("anything.test", "*"));
}

}  // namespace
}  // namespace acmed
