// SPDX-License-Identifier: Apache-2.0
// The external-solver protocol as documented in docs/external-solvers.md.
#include "acmed/solvers/external.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "acmed/core/files.hpp"
#include "temp_dir.hpp"

namespace acmed::solver {
namespace {

struct Program {
  test::TempDir dir;
  std::string path;
  /// A program that appends "ACTION <stdin>" to a log, then exits with the code in env-less
  /// files: exit.present / exit.wait / exit.cleanup (default 0).
  Program() {
    path = dir.path() + "/solver.sh";
    std::ofstream(path) << "#!/bin/sh\n"
                        << "input=$(cat)\n"
                        << "printf '%s %s\\n' \"$1\" \"$input\" >> " << dir.path() << "/calls\n"
                        << "[ \"$ACMED_PROTOCOL\" = 1 ] || exit 9\n"
                        << "code=0; [ -f " << dir.path() << "/exit.$1 ] && code=$(cat " << dir.path() << "/exit.$1)\n"
                        << "[ \"$code\" = 1 ] && echo \"cannot do $1\" >&2\n"
                        << "echo '{\"message\":\"hi\"}'\n"
                        << "exit $code\n";
    ::chmod(path.c_str(), 0755);
  }
  void exit_code(const std::string& action, int code) const {
    std::ofstream(dir.path() + "/exit." + action) << code;
  }
  std::vector<std::pair<std::string, nlohmann::json>> calls() const {
    std::vector<std::pair<std::string, nlohmann::json>> out;
    auto text = read_file(dir.path() + "/calls");
    if (!text) return out;
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
      auto sp = line.find(' ');
      out.emplace_back(line.substr(0, sp), nlohmann::json::parse(line.substr(sp + 1)));
    }
    return out;
  }
};

SolverConfig config(const std::string& command) {
  SolverConfig c;
  c.type = "external";
  c.settings = ConfigValue::make_map("x.yaml:2:3");
  c.settings.map["challenge"] = ConfigValue::make_scalar("dns-01", "x.yaml:3:3");
  c.settings.map["command"] = ConfigValue::make_scalar(command, "x.yaml:4:3");
  c.settings.map["timeout"] = ConfigValue::make_scalar("5s", "x.yaml:5:3");
  return c;
}

ChallengeContext challenge() {
  ChallengeContext c;
  c.identifier = *Identifier::parse("example.com");
  c.wildcard = true;
  c.challenge_type = "dns-01";
  c.challenge_url = "https://ca.test/chall/1";
  c.token = "tok";
  c.key_authorization = "tok.thumb";
  c.account_uri = "https://ca.test/acct/1";
  return c;
}

TEST_CASE("external solver: present, wait and cleanup receive the documented JSON", "[external]") {
  Program p;
  auto f = make_external_factory();
  CHECK(f->challenge_type_for(config(p.path)) == "dns-01");
  auto s = f->create(config(p.path), {});
  REQUIRE(s);
  auto c = challenge();
  REQUIRE((*s)->present(c));
  REQUIRE((*s)->wait_ready(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  (*s)->cleanup(c);
  auto calls = p.calls();
  REQUIRE(calls.size() == 3);
  CHECK(calls[0].first == "present");
  const auto& ch = calls[0].second["challenge"];
  CHECK(calls[0].second["version"] == 1);
  CHECK(ch["type"] == "dns-01");
  CHECK(ch["identifier"]["value"] == "example.com");
  CHECK(ch["identifier"]["wildcard"] == true);
  CHECK(ch["key_authorization"] == "tok.thumb");
  CHECK(ch["dns01_txt_value"].get<std::string>().size() == 43);
  CHECK(calls[1].first == "wait");
  CHECK(calls[1].second["challenges"].size() == 1);
  CHECK(calls[1].second["deadline_seconds"].get<int>() > 50);
  CHECK(calls[2].first == "cleanup");
}

TEST_CASE("external solver: exit 3 means 'not implemented' for wait, failure for present", "[external]") {
  Program p;
  p.exit_code("wait", 3);
  auto s = make_external_factory()->create(config(p.path), {});
  REQUIRE(s);
  auto c = challenge();
  REQUIRE((*s)->present(c));
  CHECK((*s)->wait_ready(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  (*s)->cleanup(c);

  Program q;
  q.exit_code("present", 1);
  auto s2 = make_external_factory()->create(config(q.path), {});
  REQUIRE(s2);
  auto r = (*s2)->present(c);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("present exited with 1: cannot do present"));
  q.exit_code("present", 3);
  CHECK_FALSE((*s2)->present(c));
}

TEST_CASE("external solver: configuration is checked", "[external]") {
  auto f = make_external_factory();
  auto c = config("relative/path");
  CHECK_FALSE(f->validate(c));
  c = config("/bin/true");
  c.settings.map.erase("challenge");
  auto r = f->validate(c);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("needs 'challenge'"));
}

}  // namespace
}  // namespace acmed::solver
