// SPDX-License-Identifier: Apache-2.0
#include "acmed/solvers/solver_base.hpp"

#include <openssl/sha.h>

#include <catch2/catch.hpp>

#include <stdexcept>

#include "acmed/core/base64.hpp"
#include "acmed/solvers/settings.hpp"

namespace acmed::solver {
namespace {

/// Counts hook calls and can be told to fail or throw.
class CountingSolver final : public SolverBase {
 public:
  CountingSolver() : SolverBase("counting") {}
  int presents = 0, waits = 0, cleanups = 0;
  bool fail_present = false, throw_present = false, throw_wait = false, throw_cleanup = false;

 protected:
  Result<void> do_present(const ChallengeContext&) override {
    ++presents;
    if (throw_present) throw std::runtime_error("disk on fire");
    if (fail_present) return fail(Errc::solver, "cannot present");
    return {};
  }
  Result<void> do_wait_ready(std::chrono::steady_clock::time_point) override {
    ++waits;
    if (throw_wait) throw std::runtime_error("resolver exploded");
    return {};
  }
  void do_cleanup(const ChallengeContext&) override {
    ++cleanups;
    if (throw_cleanup) throw std::runtime_error("cannot delete");
  }
};

ChallengeContext ctx(const std::string& url = "https://ca.test/chall/1") {
  ChallengeContext c;
  c.identifier = *Identifier::parse("a.example");
  c.challenge_type = "http-01";
  c.challenge_url = url;
  c.token = "tok";
  c.key_authorization = "tok.thumb";
  return c;
}

const auto far = std::chrono::steady_clock::now() + std::chrono::hours(1);

TEST_CASE("SolverBase::cleanup without present is a no-op", "[solver_base]") {
  CountingSolver s;
  s.cleanup(ctx());
  CHECK(s.cleanups == 0);
  CHECK(s.name() == "counting");
}

TEST_CASE("SolverBase::cleanup twice calls do_cleanup once", "[solver_base]") {
  CountingSolver s;
  REQUIRE(s.present(ctx()));
  s.cleanup(ctx());
  s.cleanup(ctx());
  CHECK(s.presents == 1);
  CHECK(s.cleanups == 1);
}

TEST_CASE("SolverBase tracks presents per challenge URL", "[solver_base]") {
  CountingSolver s;
  REQUIRE(s.present(ctx("https://ca.test/chall/1")));
  REQUIRE(s.present(ctx("https://ca.test/chall/2")));
  s.cleanup(ctx("https://ca.test/chall/2"));
  s.cleanup(ctx("https://ca.test/chall/3"));  // never presented
  CHECK(s.cleanups == 1);
  s.cleanup(ctx("https://ca.test/chall/1"));
  CHECK(s.cleanups == 2);
}

TEST_CASE("SolverBase cleans up after a failed present", "[solver_base]") {
  CountingSolver s;
  s.fail_present = true;
  auto r = s.present(ctx());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::solver);
  s.cleanup(ctx());
  CHECK(s.cleanups == 1);  // partial work is undone
}

TEST_CASE("SolverBase turns exceptions from hooks into errors", "[solver_base]") {
  CountingSolver s;
  s.throw_present = true;
  auto r = s.present(ctx());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::solver);
  CHECK_THAT(r.error().message, Catch::Contains("disk on fire"));

  s.throw_wait = true;
  auto w = s.wait_ready(far);
  REQUIRE_FALSE(w);
  CHECK(w.error().code == Errc::solver);
  CHECK_THAT(w.error().message, Catch::Contains("resolver exploded"));

  s.throw_cleanup = true;
  CHECK_NOTHROW(s.cleanup(ctx()));
  CHECK(s.cleanups == 1);
}

TEST_CASE("SolverBase::wait_ready calls the hook", "[solver_base]") {
  CountingSolver s;
  CHECK(s.wait_ready(far));
  CHECK(s.waits == 1);
}

TEST_CASE("dns01_txt_value is base64url(SHA-256(key authorization))", "[solver_base]") {
  const std::string ka = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI";
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(ka.data()), ka.size(), md);
  const std::string expected = base64url_encode(std::string(reinterpret_cast<char*>(md), sizeof md));
  CHECK(dns01_txt_value(ka) == expected);
  CHECK(dns01_txt_value(ka).size() == 43);
}

TEST_CASE("is_safe_token accepts base64url tokens only", "[solver_base]") {
  CHECK(is_safe_token("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"));
  CHECK(is_safe_token(std::string(256, 'a')));
  CHECK_FALSE(is_safe_token(std::string(257, 'a')));
  for (const char* bad : {"", "../etc/passwd", "a/b", "a.b", "..", "a b", "a%2F", "tok\n"}) {
    INFO("token '" << bad << "'");
    CHECK_FALSE(is_safe_token(bad));
  }
}

TEST_CASE("check_keys names the unknown key, its origin and the allowed keys", "[settings]") {
  ConfigValue section = ConfigValue::make_map("www.yaml:4:5");
  section.map["type"] = ConfigValue::make_scalar("http-01", "www.yaml:4:11");
  section.map["domains"] = ConfigValue::make_scalar("example.com", "www.yaml:5:14");
  section.map["mode"] = ConfigValue::make_scalar("webroot", "www.yaml:6:11");
  CHECK(check_keys(section, {"mode", "webroot"}, "http-01"));
  section.map["prot"] = ConfigValue::make_scalar("80", "www.yaml:7:11");
  auto r = check_keys(section, {"mode", "webroot"}, "http-01");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::config);
  CHECK_THAT(r.error().message,
             Catch::StartsWith("www.yaml:7:11: ") && Catch::Contains("'prot'") && Catch::Contains("mode, webroot"));
}

TEST_CASE("get_string returns the fallback when absent and fails on a non-scalar", "[settings]") {
  ConfigValue section = ConfigValue::make_map("f:1:1");
  section.map["mode"] = ConfigValue::make_scalar("webroot", "f:2:7");
  section.map["listen"] = ConfigValue::make_map("f:3:3");
  CHECK(get_string(section, "mode", "standalone", "http-01") == std::string("webroot"));
  CHECK(get_string(section, "webroot", "/srv", "http-01") == std::string("/srv"));
  auto bad = get_string(section, "listen", "", "http-01");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::StartsWith("f:3:3") && Catch::Contains("'listen'"));
}

}  // namespace
}  // namespace acmed::solver
