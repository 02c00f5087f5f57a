// SPDX-License-Identifier: Apache-2.0
#include "acmed/solver/registry.hpp"

#include <catch2/catch.hpp>

#include "fake_solver.hpp"

namespace acmed::solver {
namespace {

using test::FakeSolverFactory;

TEST_CASE("SolverRegistry finds factories by name in registration order", "[registry]") {
  SolverRegistry reg;
  REQUIRE(reg.add(std::make_unique<FakeSolverFactory>("http-01", "http-01")));
  REQUIRE(reg.add(std::make_unique<FakeSolverFactory>("dns-01", "dns-01")));
  CHECK(reg.names() == std::vector<std::string>{"http-01", "dns-01"});
  const SolverFactory* f = reg.find("dns-01");
  REQUIRE(f);
  CHECK(f->challenge_type() == "dns-01");
  CHECK(reg.find("tls-alpn-01") == nullptr);
}

TEST_CASE("SolverRegistry refuses a duplicate name and keeps the first", "[registry]") {
  SolverRegistry reg;
  REQUIRE(reg.add(std::make_unique<FakeSolverFactory>("http-01", "http-01")));
  auto r = reg.add(std::make_unique<FakeSolverFactory>("http-01", "other-type"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::invalid_argument);
  CHECK_THAT(r.error().message, Catch::Contains("duplicate") && Catch::Contains("'http-01'"));
  CHECK(reg.names().size() == 1);
  CHECK(reg.find("http-01")->challenge_type() == "http-01");
}

TEST_CASE("SolverRegistry refuses a null factory", "[registry]") {
  SolverRegistry reg;
  CHECK_FALSE(reg.add(nullptr));
  CHECK(reg.names().empty());
}

}  // namespace
}  // namespace acmed::solver
