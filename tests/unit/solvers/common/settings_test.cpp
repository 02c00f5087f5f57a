// SPDX-License-Identifier: Apache-2.0
#include "acmed/solvers/settings.hpp"

#include <catch2/catch.hpp>

namespace acmed::solver {
namespace {

ConfigValue section(std::map<std::string, std::string> kv) {
  ConfigValue s = ConfigValue::make_map("f.yaml:1:1");
  int line = 2;
  for (auto& [k, v] : kv) s.map[k] = ConfigValue::make_scalar(v, "f.yaml:" + std::to_string(line++) + ":3");
  return s;
}

TEST_CASE("get_duration understands ms, s, m, h and bare seconds", "[settings]") {
  using std::chrono::milliseconds;
  auto s = section({{"a", "500ms"}, {"b", "30s"}, {"c", "5m"}, {"d", "1h"}, {"e", "7"}, {"f", "2d"}});
  CHECK(*get_duration(s, "f", milliseconds(1), "t") == milliseconds(172800000));
  CHECK(*get_duration(s, "a", milliseconds(1), "t") == milliseconds(500));
  CHECK(*get_duration(s, "b", milliseconds(1), "t") == milliseconds(30000));
  CHECK(*get_duration(s, "c", milliseconds(1), "t") == milliseconds(300000));
  CHECK(*get_duration(s, "d", milliseconds(1), "t") == milliseconds(3600000));
  CHECK(*get_duration(s, "e", milliseconds(1), "t") == milliseconds(7000));
  CHECK(*get_duration(s, "missing", milliseconds(42), "t") == milliseconds(42));
  for (const char* bad : {"soon", "-5s", "5 s", "5w", ""}) {
    auto r = get_duration(section({{"x", bad}}), "x", milliseconds(1), "t");
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::StartsWith("f.yaml:2:3: t setting 'x' must be a duration"));
  }
}

TEST_CASE("get_integer and get_string_list check types", "[settings]") {
  CHECK(*get_integer(section({{"n", "60"}}), "n", 1, "t") == 60);
  CHECK_FALSE(get_integer(section({{"n", "6x"}}), "n", 1, "t"));
  CHECK_FALSE(get_integer(section({{"n", "-1"}}), "n", 1, "t"));
  CHECK(*get_string_list(section({{"l", "one"}}), "l", "t") == std::vector<std::string>{"one"});
  CHECK(get_string_list(section({}), "l", "t")->empty());
  ConfigValue nested = section({});
  nested.map["l"] = ConfigValue::make_map("f.yaml:9:1");
  CHECK_FALSE(get_string_list(nested, "l", "t"));
}

TEST_CASE("parse_listen_address accepts IPv4, IPv6 and empty hosts", "[settings]") {
  auto a = parse_listen_address("127.0.0.1:8080");
  REQUIRE(a);
  CHECK(a->address == "127.0.0.1");
  CHECK(a->port == 8080);
  auto b = parse_listen_address("[::1]:443");
  REQUIRE(b);
  CHECK(b->address == "::1");
  CHECK(parse_listen_address(":80")->address == "0.0.0.0");
  for (const char* bad : {"localhost:80", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "[::1:80", "1.2.3.4:8x"})
    CHECK_FALSE(parse_listen_address(bad));
}

}  // namespace
}  // namespace acmed::solver
