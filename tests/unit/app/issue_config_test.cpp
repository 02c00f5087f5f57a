#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "acmed/app/issuance.hpp"
#include "acmed/core/files.hpp"
#include "temp_dir.hpp"

namespace acmed::app {
namespace {

IssueRequest flags() {
  IssueRequest r;
  r.domains = {"*.example.com", "example.com", "192.0.2.7"};
  r.key_type = "ec-p384";
  r.http01_listen = "127.0.0.1:8080";
  r.profile = "shortlived";
  return r;
}

TEST_CASE("issue --domain saves certs.d/NAME.yaml that loads as the certificate it issued", "[issue][config]") {
  test::TempDir dir;
  auto saved = save_flags_config(flags(), dir.path());
  REQUIRE(saved);
  CHECK(saved->written);
  CHECK(saved->path == dir.path() + "/certs.d/example.com.yaml");
  struct stat st {};
  REQUIRE(::stat(saved->path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
  auto from_file = certificate_for({.name = "example.com"}, dir.path());
  auto from_flags = certificate_for(flags(), dir.path());
  REQUIRE(from_file);
  REQUIRE(from_flags);
  CHECK(from_file->name == "example.com");
  CHECK(from_file->identifiers == from_flags->identifiers);
  CHECK(from_file->key_type == from_flags->key_type);
  CHECK(from_file->profile == "shortlived");
  REQUIRE(from_file->solvers.size() == 1);
  CHECK(from_file->solvers[0].type == "http-01");
  const auto* listen = from_file->solvers[0].settings.find("listen");
  REQUIRE(listen);
  CHECK(listen->scalar == "127.0.0.1:8080");
}

TEST_CASE("issue --domain never overwrites an existing certs.d file", "[issue][config]") {
  test::TempDir dir;
  REQUIRE(save_flags_config(flags(), dir.path()));
  auto again = save_flags_config(flags(), dir.path());
  REQUIRE(again);
  CHECK_FALSE(again->written);
  CHECK(again->unchanged);
  IssueRequest other = flags();
  other.webroot = "/var/www/html";
  auto differs = save_flags_config(other, dir.path());
  REQUIRE(differs);
  CHECK_FALSE(differs->written);
  CHECK_FALSE(differs->unchanged);
  auto kept = certificate_for({.name = "example.com"}, dir.path());
  REQUIRE(kept);
  CHECK(kept->solvers[0].settings.find("webroot") == nullptr);
}

TEST_CASE("a webroot issue saves the webroot, and a name given wins over the first domain", "[issue][config]") {
  test::TempDir dir;
  IssueRequest r;
  r.name = "site";
  r.domains = {"www.example.org"};
  r.webroot = "/srv/www dir/with: colon";
  auto saved = save_flags_config(r, dir.path());
  REQUIRE(saved);
  CHECK(saved->path == dir.path() + "/certs.d/site.yaml");
  auto c = certificate_for({.name = "site"}, dir.path());
  REQUIRE(c);
  const auto* webroot = c->solvers[0].settings.find("webroot");
  REQUIRE(webroot);
  CHECK(webroot->scalar == "/srv/www dir/with: colon");
}

}  // namespace
}  // namespace acmed::app
