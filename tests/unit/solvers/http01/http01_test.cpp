// SPDX-License-Identifier: Apache-2.0
#include "acmed/solvers/http01.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "acmed/transport/beast_client.hpp"
#include "temp_dir.hpp"

namespace acmed::solver {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

constexpr const char* file = "certs.d/www.yaml";

/// A solver section as the config layer hands it over, every value with its own origin.
SolverConfig section(std::vector<std::tuple<std::string, std::string, int>> entries) {
  SolverConfig c;
  c.type = "http-01";
  c.settings = ConfigValue::make_map(std::string(file) + ":3:5");
  c.settings.map["type"] = ConfigValue::make_scalar("http-01", std::string(file) + ":3:11");
  for (const auto& [key, value, line] : entries)
    c.settings.map[key] = ConfigValue::make_scalar(value, std::string(file) + ":" + std::to_string(line) + ":13");
  return c;
}

std::string error_of(const Result<void>& r) {
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::config);
  return r.error().message;
}

TEST_CASE("http-01 factory describes itself", "[http01]") {
  auto f = make_http01_factory();
  CHECK(f->name() == "http-01");
  CHECK(f->challenge_type() == "http-01");
  CHECK_FALSE(f->capabilities().wildcard);
  CHECK(f->capabilities().needs_inbound_port);
  CHECK_FALSE(f->capabilities().writes_dns);
}

TEST_CASE("http-01 validate accepts the documented settings", "[http01]") {
  auto f = make_http01_factory();
  CHECK(f->validate(section({})));
  CHECK(f->validate(section({{"mode", "standalone", 4}, {"listen", "127.0.0.1:8080", 5}})));
  CHECK(f->validate(section({{"listen", "[::1]:8080", 5}})));
  CHECK(f->validate(section({{"listen", ":80", 5}})));
  CHECK(f->validate(section({{"mode", "webroot", 4}, {"webroot", "/var/www/html", 5}})));
  CHECK(f->validate(section({{"domains", "example.com", 4}})));
}

TEST_CASE("http-01 validate names an unknown key and where it is", "[http01]") {
  auto f = make_http01_factory();
  const std::string msg = error_of(f->validate(section({{"mode", "standalone", 4}, {"port", "80", 5}})));
  CHECK_THAT(msg, Catch::Contains("certs.d/www.yaml:5:13") && Catch::Contains("'port'") &&
                      Catch::Contains("mode, listen, webroot"));
}

TEST_CASE("http-01 validate rejects an unknown mode", "[http01]") {
  auto f = make_http01_factory();
  const std::string msg = error_of(f->validate(section({{"mode", "ftp", 4}})));
  CHECK_THAT(msg, Catch::Contains("certs.d/www.yaml:4:13") && Catch::Contains("'ftp'"));
}

TEST_CASE("http-01 validate rejects bad listen addresses", "[http01]") {
  auto f = make_http01_factory();
  for (const char* bad : {"localhost:80", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:80x", "[::1]8080",
                          "[::1", "999.0.0.1:80"}) {
    INFO("listen '" << bad << "'");
    const std::string msg = error_of(f->validate(section({{"listen", bad, 6}})));
    CHECK_THAT(msg, Catch::Contains("certs.d/www.yaml:6:13"));
  }
}

TEST_CASE("http-01 validate needs an absolute webroot", "[http01]") {
  auto f = make_http01_factory();
  CHECK_THAT(error_of(f->validate(section({{"mode", "webroot", 4}, {"webroot", "var/www", 5}}))),
             Catch::Contains("certs.d/www.yaml:5:13") && Catch::Contains("absolute"));
  CHECK_THAT(error_of(f->validate(section({{"mode", "webroot", 4}}))), Catch::Contains("webroot"));
}

TEST_CASE("http-01 validate rejects a section that is not a mapping", "[http01]") {
  auto f = make_http01_factory();
  SolverConfig c;
  c.type = "http-01";
  c.settings = ConfigValue::make_scalar("standalone", "certs.d/www.yaml:3:5");
  CHECK_THAT(error_of(f->validate(c)), Catch::Contains("certs.d/www.yaml:3:5"));
}

TEST_CASE("http-01 create refuses an invalid section", "[http01]") {
  auto f = make_http01_factory();
  auto s = f->create(section({{"mode", "ftp", 4}}), SolverDeps{});
  REQUIRE_FALSE(s);
  CHECK(s.error().code == Errc::config);
}

ChallengeContext ctx(const std::string& token, const std::string& url = "https://ca.test/chall/1") {
  ChallengeContext c;
  c.identifier = *Identifier::parse("a.example");
  c.challenge_type = "http-01";
  c.challenge_url = url;
  c.token = token;
  c.key_authorization = token + ".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI";
  return c;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::unique_ptr<ChallengeSolver> webroot_solver(const std::string& root) {
  auto s = make_http01_factory()->create(section({{"mode", "webroot", 4}, {"webroot", root, 5}}), SolverDeps{});
  REQUIRE(s);
  return std::move(*s);
}

TEST_CASE("http-01 webroot writes the key authorization world-readable and removes it", "[http01][webroot]") {
  TempDir root;
  test::ScopedUmask umask(077);  // the file must be readable by the web server anyway
  auto s = webroot_solver(root.path());
  auto c = ctx("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA");
  REQUIRE(s->present(c));

  const fs::path dir = fs::path(root.path()) / ".well-known" / "acme-challenge";
  const fs::path f = dir / c.token;
  REQUIRE(fs::is_regular_file(f));
  CHECK(slurp(f) == c.key_authorization);
  CHECK(test::file_mode(f.string()) == 0644);
  CHECK(test::file_mode(dir.string()) == 0755);
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);  // no temp file left

  s->cleanup(c);
  CHECK_FALSE(fs::exists(f));
}

TEST_CASE("http-01 webroot refuses tokens that are not base64url", "[http01][webroot]") {
  TempDir root;
  const std::string inner = root.path() + "/www";
  fs::create_directories(inner);
  auto s = webroot_solver(inner);
  for (const char* bad : {"../../escape", "../x", "a/b", ""}) {
    INFO("token '" << bad << "'");
    auto r = s->present(ctx(bad, std::string("https://ca.test/chall/") + bad));
    REQUIRE_FALSE(r);
    s->cleanup(ctx(bad, std::string("https://ca.test/chall/") + bad));
  }
  CHECK_FALSE(fs::exists(root.path() + "/escape"));
  CHECK_FALSE(fs::exists(inner + "/.well-known/x"));
  CHECK_FALSE(fs::exists(inner + "/.well-known/acme-challenge/a"));
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

Result<transport::HttpResponse> http_get(const std::string& url, const std::string& method = "GET") {
  auto client = transport::make_beast_client(
      {.ca_bundle = "", .connect_timeout = std::chrono::milliseconds(2000), .read_timeout = std::chrono::milliseconds(2000),
       .max_body = 4096, .user_agent = "acmed-unit-test"});
  REQUIRE(client);
  transport::HttpRequest req;
  req.method = method;
  req.url = url;
  return (*client)->send(req);
}

TEST_CASE("http-01 standalone serves the key authorization and nothing else", "[http01][standalone]") {
  const int port = free_port();
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  auto s = make_http01_factory()->create(section({{"listen", "127.0.0.1:" + std::to_string(port), 5}}), SolverDeps{});
  REQUIRE(s);
  auto c1 = ctx("token-one", "https://ca.test/chall/1");
  auto c2 = ctx("token-two", "https://ca.test/chall/2");
  REQUIRE((*s)->present(c1));
  REQUIRE((*s)->present(c2));
  REQUIRE((*s)->wait_ready(std::chrono::steady_clock::now() + std::chrono::seconds(5)));

  auto ok = http_get(base + "/.well-known/acme-challenge/token-one");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->body == c1.key_authorization);

  auto other = http_get(base + "/.well-known/acme-challenge/unknown-token");
  REQUIRE(other);
  CHECK(other->status == 404);
  CHECK(other->body.find("9jg46") == std::string::npos);
  auto root = http_get(base + "/");
  REQUIRE(root);
  CHECK(root->status == 404);
  auto prefix = http_get(base + "/.well-known/acme-challenge/");
  REQUIRE(prefix);
  CHECK(prefix->status == 404);
  auto post = http_get(base + "/.well-known/acme-challenge/token-one", "POST");
  REQUIRE(post);
  CHECK(post->status == 405);
  CHECK(post->body.empty());

  // Cleaning up one token keeps serving the other.
  (*s)->cleanup(c1);
  auto gone = http_get(base + "/.well-known/acme-challenge/token-one");
  REQUIRE(gone);
  CHECK(gone->status == 404);
  auto still = http_get(base + "/.well-known/acme-challenge/token-two");
  REQUIRE(still);
  CHECK(still->status == 200);
  CHECK(still->body == c2.key_authorization);

  // After the last cleanup the port is released.
  (*s)->cleanup(c2);
  auto closed = http_get(base + "/.well-known/acme-challenge/token-two");
  REQUIRE_FALSE(closed);
  CHECK(closed.error().code == Errc::network);
}

TEST_CASE("http-01 standalone solvers of parallel renewals share one port", "[http01][standalone]") {
  // `acmed renew -j N` runs several certificates at once, each with its own solver on :80.
  const int port = free_port();
  const std::string base = "http://127.0.0.1:" + std::to_string(port) + "/.well-known/acme-challenge/";
  auto cfg = section({{"listen", "127.0.0.1:" + std::to_string(port), 5}});
  auto first = make_http01_factory()->create(cfg, SolverDeps{});
  auto second = make_http01_factory()->create(cfg, SolverDeps{});
  REQUIRE(first);
  REQUIRE(second);
  auto a = ctx("token-a", "https://ca.test/chall/a");
  auto b = ctx("token-b", "https://ca.test/chall/b");
  REQUIRE((*first)->present(a));
  REQUIRE((*second)->present(b));  // no EADDRINUSE
  CHECK(http_get(base + "token-a")->body == a.key_authorization);
  CHECK(http_get(base + "token-b")->body == b.key_authorization);
  (*first)->cleanup(a);
  auto still = http_get(base + "token-b");
  REQUIRE(still);  // the port stays open while the second solver serves
  CHECK(still->status == 200);
  CHECK(http_get(base + "token-a")->status == 404);
  (*second)->cleanup(b);
  CHECK_FALSE(http_get(base + "token-b"));  // last owner gone: port closed
}

TEST_CASE("http-01 standalone reports a port it cannot bind", "[http01][standalone]") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 1) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const std::string listen = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  auto s = make_http01_factory()->create(section({{"listen", listen, 5}}), SolverDeps{});
  REQUIRE(s);
  auto r = (*s)->present(ctx("token-one"));
  ::close(fd);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::solver);
  CHECK_THAT(r.error().message, Catch::Contains(listen));
  (*s)->cleanup(ctx("token-one"));
}

}  // namespace
}  // namespace acmed::solver
