#include "acmed/solvers/process.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "temp_dir.hpp"

namespace acmed::solver {
namespace {

std::string script(const test::TempDir& dir, const std::string& body) {
  std::string path = dir.path() + "/s.sh";
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  ::chmod(path.c_str(), 0755);
  return path;
}

TEST_CASE("run_process passes argv, environment and stdin, and captures both streams", "[process]") {
  test::TempDir dir;
  auto path = script(dir, "echo \"$1-$ACMED_X\"; cat; echo oops >&2; exit 4");
  auto r = run_process({path, "arg"}, {{"ACMED_X", "env"}}, "from-stdin", std::chrono::seconds(5));
  REQUIRE(r);
  CHECK(r->exit_code == 4);
  CHECK(r->out == "arg-env\nfrom-stdin");
  CHECK(r->err == "oops\n");
}

TEST_CASE("run_process survives a program that exits without reading its stdin", "[process]") {
  test::TempDir dir;
  auto path = script(dir, "exit 3");
  // Larger than a pipe buffer, so the write certainly meets a closed pipe.
  auto r = run_process({path}, {}, std::string(1 << 20, 'x'), std::chrono::seconds(5));
  REQUIRE(r);
  CHECK(r->exit_code == 3);
}

TEST_CASE("run_process kills a program that runs past its timeout", "[process]") {
  test::TempDir dir;
  auto path = script(dir, "sleep 30");
  auto started = std::chrono::steady_clock::now();
  auto r = run_process({path}, {}, "", std::chrono::milliseconds(300));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::timeout);
  CHECK_THAT(r.error().message, Catch::Contains("was killed"));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
}

TEST_CASE("run_process refuses relative and non-executable programs", "[process]") {
  test::TempDir dir;
  CHECK_FALSE(run_process({"sh", "-c", "true"}, {}, "", std::chrono::seconds(1)));
  std::string path = dir.path() + "/plain";
  std::ofstream(path) << "x";
  auto r = run_process({path}, {}, "", std::chrono::seconds(1));
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("not executable"));
}

}  // namespace
}  // namespace acmed::solver
