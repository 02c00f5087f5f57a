// SPDX-License-Identifier: Apache-2.0
#include "acmed/core/error.hpp"

#include <catch2/catch.hpp>

#include "acmed/core/result.hpp"

namespace acmed {
namespace {

using namespace std::chrono;

sys_seconds dec1_2026_10h() { return sys_days{year{2026} / December / 1} + hours{10}; }

Problem rate_limited() {
  Problem p;
  p.type = "urn:ietf:params:acme:error:rateLimited";
  p.detail = "too many new orders";
  p.status = 429;
  p.retry_after = dec1_2026_10h();
  return p;
}

TEST_CASE("format_rfc3339 writes UTC with a Z suffix", "[error]") {
  CHECK(format_rfc3339(system_clock::time_point{}) == "1970-01-01T00:00:00Z");
  CHECK(format_rfc3339(dec1_2026_10h()) == "2026-12-01T10:00:00Z");
  CHECK(format_rfc3339(sys_days{year{2024} / February / 29} + hours{23} + minutes{59} + seconds{58}) ==
        "2024-02-29T23:59:58Z");
}

TEST_CASE("Error::describe of a problem without message names type, detail and Retry-After", "[error]") {
  Error e(Errc::acme_problem, "", rate_limited());
  CHECK(e.describe() == "rateLimited: too many new orders; retry after 2026-12-01T10:00:00Z");
}

TEST_CASE("Error::describe puts the message before the problem", "[error]") {
  Error e(Errc::acme_problem, "creating the order", rate_limited());
  CHECK(e.describe() == "creating the order: rateLimited: too many new orders; retry after 2026-12-01T10:00:00Z");
}

TEST_CASE("Error::describe lists subproblems with their identifiers", "[error]") {
  Problem p;
  p.type = "urn:ietf:params:acme:error:malformed";
  p.detail = "Some of the identifiers requested were rejected";
  Problem s1;
  s1.type = "urn:ietf:params:acme:error:malformed";
  s1.detail = "Invalid underscore in DNS name \"_example.org\"";
  s1.identifier = "dns:_example.org";
  Problem s2;
  s2.type = "urn:ietf:params:acme:error:rejectedIdentifier";
  s2.detail = "This CA will not issue for \"example.net\"";
  s2.identifier = "dns:example.net";
  p.subproblems = {s1, s2};
  Error e(Errc::acme_problem, "", p);
  CHECK(e.describe() ==
        "malformed: Some of the identifiers requested were rejected"
        "\n  - dns:_example.org: malformed: Invalid underscore in DNS name \"_example.org\""
        "\n  - dns:example.net: rejectedIdentifier: This CA will not issue for \"example.net\"");
}

TEST_CASE("Error::describe without a problem is the message", "[error]") {
  CHECK(Error(Errc::io, "cannot open /x").describe() == "cannot open /x");
}

TEST_CASE("Problem::short_type strips only the ACME URN prefix", "[error]") {
  Problem p;
  p.type = "urn:ietf:params:acme:error:badNonce";
  CHECK(p.short_type() == "badNonce");
  p.type = "https://example.com/probs/out-of-credit";
  CHECK(p.short_type() == "https://example.com/probs/out-of-credit");
  p.type = "";
  CHECK(p.short_type() == "about:blank");
}

TEST_CASE("Error::is_acme needs an ACME URN of that exact short type", "[error]") {
  Problem p;
  p.type = "urn:ietf:params:acme:error:rateLimited";
  CHECK(Error(Errc::acme_problem, "", p).is_acme("rateLimited"));
  CHECK_FALSE(Error(Errc::acme_problem, "", p).is_acme("badNonce"));
  CHECK_FALSE(Error(Errc::acme_problem, "", p).is_acme("rate"));
  p.type = "rateLimited";  // not an ACME URN
  CHECK_FALSE(Error(Errc::acme_problem, "", p).is_acme("rateLimited"));
  CHECK_FALSE(Error(Errc::network, "down").is_acme("rateLimited"));
}

TEST_CASE("Error::with_context prefixes the message and keeps code and problem", "[error]") {
  Error e(Errc::acme_problem, "POST https://ca.test/x", rate_limited());
  Error c = e.with_context("creating the order");
  CHECK(c.code == Errc::acme_problem);
  CHECK(c.message == "creating the order: POST https://ca.test/x");
  REQUIRE(c.problem);
  CHECK(c.problem->detail == "too many new orders");
  CHECK(e.message == "POST https://ca.test/x");  // the original is unchanged
  CHECK(Error(Errc::io, "").with_context("saving").message == "saving");
}

TEST_CASE("Errc is a std::error_code enum in the acmed category", "[error]") {
  std::error_code ec = Errc::timeout;
  CHECK(ec.category().name() == std::string("acmed"));
  CHECK(ec.message() == "timed out");
  CHECK(ec == make_error_code(Errc::timeout));
  CHECK(ec != make_error_code(Errc::network));
  CHECK(make_error_code(Errc::challenge_failed).message() == "challenge failed");
  CHECK_FALSE(make_error_code(Errc::ok));
}

TEST_CASE("fail() builds an unexpected Result with code and message", "[error]") {
  Result<int> r = fail(Errc::config, "bad value");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::config);
  CHECK(r.error().message == "bad value");
  CHECK_FALSE(r.error().problem);
}

}  // namespace
}  // namespace acmed
