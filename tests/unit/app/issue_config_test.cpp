// SPDX-License-Identifier: Apache-2.0
#include <sys/stat.h>
#include <unistd.h>

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

TEST_CASE("plan_setup: -d that names other names than certs.d/NAME.yaml refuses, naming both; --force replaces it",
          "[issue][config][names]") {
  test::TempDir dir;
  IssueRequest first;
  first.name = "www";
  first.domains = {"www.example.test", "example.test"};
  auto planned = plan_setup(first, {}, dir.path(), false);
  REQUIRE(planned);
  REQUIRE(save_setup(*planned));
  IssueRequest other;
  other.name = "www";
  other.domains = {"other.example.test"};
  auto refused = plan_setup(other, {}, dir.path(), false);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::config);
  CHECK_THAT(refused.error().message,
             Catch::Contains("www.example.test, example.test") && Catch::Contains("other.example.test") &&
                 Catch::Contains("--force"));
  // The same names with other settings: kept, with a note.
  IssueRequest same = first;
  same.webroot = "/var/www";
  auto kept = plan_setup(same, {}, dir.path(), false);
  REQUIRE(kept);
  CHECK(kept->cert_text.empty());
  CHECK(kept->notes.size() == 1);
  // --force replaces the file (the old one kept beside it).
  auto forced = plan_setup(other, {}, dir.path(), true);
  REQUIRE(forced);
  CHECK(forced->replaced == "www.example.test, example.test");
  REQUIRE(save_setup(*forced));
  auto now = certificate_for({.name = "www"}, dir.path());
  REQUIRE(now);
  REQUIRE(now->identifiers.size() == 1);
  CHECK(now->identifiers[0].value == "other.example.test");
  CHECK(read_file(dir.path() + "/certs.d/www.yaml.replaced", 1 << 20));
}

TEST_CASE("save_setup never copies what a linked certs.d file points at into NAME.yaml.replaced",
          "[issue][config][names]") {
  test::TempDir dir;
  REQUIRE(::mkdir((dir.path() + "/certs.d").c_str(), 0750) == 0);
  const std::string secret = dir.path() + "/secret";
  { std::ofstream(secret) << "root:not-for-the-acmed-group\n"; }
  REQUIRE(::symlink(secret.c_str(), (dir.path() + "/certs.d/www.yaml").c_str()) == 0);
  IssueRequest other;
  other.name = "www";
  other.domains = {"other.example.test"};
  auto forced = plan_setup(other, {}, dir.path(), true);  // the link "does not load": --force replaces it
  REQUIRE(forced);
  REQUIRE_FALSE(forced->replaced.empty());
  auto saved = save_setup(*forced);
  REQUIRE_FALSE(saved);
  CHECK_THAT(saved.error().message, Catch::Contains("not a regular file"));
  CHECK_FALSE(read_file(dir.path() + "/certs.d/www.yaml.replaced", 1 << 20));
  CHECK(*read_file(secret, 1 << 20) == "root:not-for-the-acmed-group\n");
}

TEST_CASE("plan_setup: the CA flags go to acmed.yaml when it does not set them; a differing setting stays",
          "[issue][config]") {
  test::TempDir dir;
  IssueRequest r;
  r.domains = {"www.example.test"};
  CaFlags flags{.server = "https://ca.example/dir", .ca_bundle = "/etc/ca.pem", .agree_tos = true,
                .contact = {"admin@example.test"}};
  auto p = plan_setup(r, flags, dir.path(), false);
  REQUIRE(p);
  CHECK(p->added.size() == 4);
  REQUIRE(save_setup(*p));
  auto g = config::load_global(dir.path() + "/acmed.yaml");
  REQUIRE(g);
  CHECK(g->ca.directory_url == "https://ca.example/dir");
  CHECK(g->ca.trust_bundle == "/etc/ca.pem");
  CHECK(g->account.agree_tos);
  CHECK(g->account.contact == std::vector<std::string>{"mailto:admin@example.test"});
  // Again with the same flags: nothing to write. With another CA: nothing written, a note.
  auto again = plan_setup(r, flags, dir.path(), false);
  REQUIRE(again);
  CHECK(again->global_text.empty());
  CHECK(again->notes.empty());
  flags.server = "https://other.example/dir";
  auto other = plan_setup(r, flags, dir.path(), false);
  REQUIRE(other);
  CHECK(other->global_text.empty());
  REQUIRE_FALSE(other->notes.empty());
  CHECK_THAT(other->notes[0], Catch::Contains("https://ca.example/dir") && Catch::Contains("kept"));
}

TEST_CASE("check_writable names the fix when the configuration directory cannot be written", "[issue][config]") {
  if (::geteuid() == 0) return;  // root writes anywhere (the e2e test first_hour runs this as another user)
  test::TempDir dir;
  IssueRequest r;
  r.domains = {"www.example.test"};
  REQUIRE(::mkdir((dir.path() + "/certs.d").c_str(), 0555) == 0);
  auto p = plan_setup(r, {}, dir.path(), false);
  REQUIRE(p);
  auto w = check_writable(*p);
  ::chmod((dir.path() + "/certs.d").c_str(), 0755);
  REQUIRE_FALSE(w);
  CHECK_THAT(w.error().message, Catch::Contains("not writable") && Catch::Contains("--no-save"));
}

}  // namespace
}  // namespace acmed::app
