// SPDX-License-Identifier: Apache-2.0
#include "acmed/core/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include "temp_dir.hpp"

namespace acmed {
namespace {

namespace fs = std::filesystem;
using test::file_mode;
using test::ScopedUmask;
using test::TempDir;

std::set<std::string> entries(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_CASE("write_file_atomic creates the file with exactly the requested mode", "[files]") {
  TempDir dir;
  for (mode_t mask : {mode_t{0}, mode_t{022}, mode_t{077}}) {
    ScopedUmask umask(mask);
    INFO("umask " << mask);
    const std::string key = dir.path() + "/key-" + std::to_string(mask) + ".pem";
    REQUIRE(write_file_atomic(key, "PRIVATE", 0600));
    CHECK(file_mode(key) == 0600);
    const std::string pub = dir.path() + "/cert-" + std::to_string(mask) + ".pem";
    REQUIRE(write_file_atomic(pub, "PUBLIC", 0644));
    CHECK(file_mode(pub) == 0644);  // bits the umask would remove are put back
  }
}

TEST_CASE("write_file_atomic writes the exact bytes and leaves no temporary file", "[files]") {
  TempDir dir;
  const std::string path = dir.path() + "/data.bin";
  const std::string data("line1\n\0binary\xff", 14);
  REQUIRE(write_file_atomic(path, data, 0600));
  CHECK(slurp(path) == data);
  CHECK(entries(dir.path()) == std::set<std::string>{"data.bin"});
  REQUIRE(write_file_atomic(path, "", 0600));
  CHECK(slurp(path).empty());
  CHECK(entries(dir.path()) == std::set<std::string>{"data.bin"});
}

TEST_CASE("write_file_atomic replaces the file by rename, never in place", "[files]") {
  TempDir dir;
  const std::string path = dir.path() + "/key.pem";
  REQUIRE(write_file_atomic(path, "old contents", 0644));
  struct stat before {};
  REQUIRE(::stat(path.c_str(), &before) == 0);
  int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);

  REQUIRE(write_file_atomic(path, "new", 0600));
  CHECK(slurp(path) == "new");
  CHECK(file_mode(path) == 0600);  // the old, wider mode did not survive
  struct stat after {};
  REQUIRE(::stat(path.c_str(), &after) == 0);
  CHECK(after.st_ino != before.st_ino);
  // A reader that opened the old file still sees it whole: it was never truncated.
  char buf[32] = {0};
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  CHECK(std::string(buf, static_cast<std::size_t>(n > 0 ? n : 0)) == "old contents");
  CHECK(entries(dir.path()) == std::set<std::string>{"key.pem"});
}

TEST_CASE("write_file_atomic replaces a symlink instead of writing through it", "[files]") {
  TempDir dir;
  const std::string outside = dir.path() + "/outside.txt";
  REQUIRE(write_file_atomic(outside, "untouched", 0644));
  fs::create_directory(dir.path() + "/state");
  const std::string link = dir.path() + "/state/key.pem";
  fs::create_symlink(outside, link);
  REQUIRE(write_file_atomic(link, "secret", 0600));
  CHECK(slurp(outside) == "untouched");
  CHECK_FALSE(fs::is_symlink(link));
  CHECK(slurp(link) == "secret");
}

TEST_CASE("write_file_atomic fails cleanly when it cannot write", "[files]") {
  TempDir dir;
  auto missing = write_file_atomic(dir.path() + "/no/such/dir/f", "x", 0600);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::io);
  CHECK_THAT(missing.error().message, Catch::Contains(dir.path() + "/no/such/dir"));

  fs::create_directory(dir.path() + "/taken");
  auto onto_dir = write_file_atomic(dir.path() + "/taken", "x", 0600);
  REQUIRE_FALSE(onto_dir);
  CHECK(onto_dir.error().code == Errc::io);
  CHECK(entries(dir.path()) == std::set<std::string>{"taken"});  // the temp file was removed
  CHECK(fs::is_directory(dir.path() + "/taken"));
}

TEST_CASE("read_file returns the contents and reports a missing file as not_found", "[files]") {
  TempDir dir;
  const std::string path = dir.path() + "/f";
  REQUIRE(write_file_atomic(path, std::string("a\0b", 3), 0600));
  auto r = read_file(path);
  REQUIRE(r);
  CHECK(*r == std::string("a\0b", 3));

  auto missing = read_file(dir.path() + "/nope");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::not_found);
  CHECK_THAT(missing.error().message, Catch::Contains(dir.path() + "/nope"));
}

TEST_CASE("read_file refuses directories and oversized files", "[files]") {
  TempDir dir;
  auto d = read_file(dir.path());
  REQUIRE_FALSE(d);
  CHECK(d.error().code == Errc::io);

  const std::string path = dir.path() + "/big";
  REQUIRE(write_file_atomic(path, "0123456789", 0600));
  auto big = read_file(path, 9);
  REQUIRE_FALSE(big);
  CHECK(big.error().code == Errc::io);
  CHECK(read_file(path, 10));
}

TEST_CASE("ensure_dir creates missing parents with the mode", "[files]") {
  TempDir dir;
  ScopedUmask umask(022);
  const std::string deep = dir.path() + "/a/b/c";
  REQUIRE(ensure_dir(deep, 0700));
  CHECK(fs::is_directory(deep));
  CHECK(file_mode(dir.path() + "/a") == 0700);
  CHECK(file_mode(deep) == 0700);
  CHECK(ensure_dir(deep, 0700));  // idempotent

  REQUIRE(write_file_atomic(dir.path() + "/file", "x", 0600));
  auto r = ensure_dir(dir.path() + "/file", 0700);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::io);
}

}  // namespace
}  // namespace acmed
