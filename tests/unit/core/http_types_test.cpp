// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "acmed/transport/http_client.hpp"

namespace acmed::transport {
namespace {

TEST_CASE("parse_url splits scheme, host, port and target", "[http]") {
  auto u = parse_url("https://ca.test:14000/dir?x=1");
  REQUIRE(u);
  CHECK(u->scheme == "https");
  CHECK(u->host == "ca.test");
  CHECK(u->port == "14000");
  CHECK(u->target == "/dir?x=1");
  auto v6 = parse_url("http://[::1]/");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == "80");
}

TEST_CASE("parse_url escapes the URL it rejects", "[http]") {
  // URLs come from CAs (Link headers, Location, order fields); a message must stay one line.
  for (const char* bad : {"ca.test/\ninfo: saved", "ftp://ca.test/\x1b[2J", "https:///\r\n", "https://ca.test:1\n/"}) {
    auto r = parse_url(bad);
    INFO(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find_first_of("\r\n\x1b") == std::string::npos);
  }
}

}  // namespace
}  // namespace acmed::transport
