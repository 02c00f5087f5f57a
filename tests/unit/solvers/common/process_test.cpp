// SPDX-License-Identifier: Apache-2.0
#include "acmed/solvers/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

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
  auto r = run_process({path}, {}, "", std::chrono::milliseconds(300));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::timeout);
  CHECK_THAT(r.error().message, Catch::Contains("was killed"));
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

namespace acmed::solver {
namespace {

TEST_CASE("run_process returns when the program exits, even if a background child keeps its output open",
          "[process]") {
  test::TempDir dir;
  std::string path = dir.path() + "/s.sh";
  std::ofstream(path) << "#!/bin/sh\nsleep 30 &\necho started\nexit 0\n";
  ::chmod(path.c_str(), 0755);
  // Waiting for the pipe to close would outlast the 20 s timeout (the child sleeps 30 s)
  // and fail with Errc::timeout instead of returning the exit status.
  auto r = run_process({path}, {}, "", std::chrono::seconds(20));
  REQUIRE(r);
  CHECK(r->exit_code == 0);
  CHECK(r->out == "started\n");
}

TEST_CASE("run_process gives the program no inherited descriptors and default SIGPIPE", "[process]") {
  test::TempDir dir;
  std::string path = dir.path() + "/s.sh";
  std::ofstream(path) << "#!/bin/sh\nls /proc/self/fd | wc -l\ngrep SigIgn /proc/self/status\n";
  ::chmod(path.c_str(), 0755);
  int leaked = ::open("/dev/null", O_RDONLY);  // not close-on-exec, like an Asio socket
  auto previous = ::signal(SIGPIPE, SIG_IGN);  // as acmed's main() does
  auto r = run_process({path}, {}, "", std::chrono::seconds(5));
  ::signal(SIGPIPE, previous);
  ::close(leaked);
  REQUIRE(r);
  // ls sees 0, 1, 2 and its own directory descriptor: 4.
  CHECK(r->out.substr(0, r->out.find('\n')) == "4");
  auto pos = r->out.find("SigIgn:");
  REQUIRE(pos != std::string::npos);
  unsigned long long ignored = std::stoull(r->out.substr(pos + 7), nullptr, 16);
  CHECK((ignored & (1ULL << (SIGPIPE - 1))) == 0);
}

}  // namespace
}  // namespace acmed::solver
