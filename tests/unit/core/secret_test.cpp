// SPDX-License-Identifier: Apache-2.0
#include "acmed/core/secret.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <type_traits>

#include "acmed/core/files.hpp"
#include "temp_dir.hpp"

namespace acmed {
namespace {

using test::TempDir;

static_assert(!std::is_copy_constructible_v<Secret>);
static_assert(!std::is_copy_assignable_v<Secret>);
static_assert(std::is_nothrow_move_constructible_v<Secret>);

TEST_CASE("Secret moves its bytes and leaves the source empty", "[secret]") {
  Secret a(std::string("hunter2"));
  CHECK(a.view() == "hunter2");
  CHECK(a.size() == 7);
  Secret b(std::move(a));
  CHECK(b.view() == "hunter2");
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  Secret c;
  c = std::move(b);
  CHECK(c.view() == "hunter2");
  CHECK(b.empty());  // NOLINT(bugprone-use-after-move)
}

TEST_CASE("read_secret_file reads a private file and drops trailing newlines", "[secret]") {
  TempDir dir;
  const std::string path = dir.path() + "/eab.key";
  REQUIRE(write_file_atomic(path, "c2VjcmV0LWtleQ\r\n\n", 0600));
  auto s = read_secret_file(path);
  REQUIRE(s);
  CHECK(s->view() == "c2VjcmV0LWtleQ");
}

TEST_CASE("read_secret_file refuses a file others can read and says how to fix it", "[secret]") {
  TempDir dir;
  const std::string path = dir.path() + "/eab.key";
  for (unsigned mode : {0640u, 0604u, 0644u}) {
    INFO("mode " << mode);
    REQUIRE(write_file_atomic(path, "key", mode));
    auto s = read_secret_file(path);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == Errc::config);
    CHECK_THAT(s.error().message, Catch::Contains("chmod 600 " + path));
  }
}

TEST_CASE("read_secret_file reports missing and oversized files", "[secret]") {
  TempDir dir;
  auto missing = read_secret_file(dir.path() + "/nope");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::config);
  CHECK_THAT(missing.error().message, Catch::Contains(dir.path() + "/nope"));

  const std::string big = dir.path() + "/big";
  REQUIRE(write_file_atomic(big, std::string(64 * 1024 + 1, 'k'), 0600));
  CHECK_FALSE(read_secret_file(big));
}

}  // namespace
}  // namespace acmed
