// SPDX-License-Identifier: Apache-2.0
// ARI (RFC 9773) and the back-off through whole renewal runs: a fake CA that really
// issues (certificates with an authorityKeyIdentifier, so they have an ARI certID),
// answers renewalInfo, and can refuse `replaces`; an in-memory store and a FixedClock
// carry the state from one run to the next. No network, no disk, no sleeps.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>

#include "acmed/app/issuance.hpp"
#include "acmed/app/renewal.hpp"
#include "acmed/app/session.hpp"
#include "acmed/app/status.hpp"
#include "acmed/core/base64.hpp"
#include "acmed/core/time.hpp"
#include "acmed/storage/file_store.hpp"
#include "acmed/storage/memory_store.hpp"
#include "fake_http_client.hpp"
#include "fake_solver.hpp"
#include "temp_dir.hpp"
#include "test_certs.hpp"

namespace acmed::app {
namespace {

using json = nlohmann::json;
using transport::HttpRequest;
using transport::HttpResponse;
using namespace std::chrono;

constexpr const char* dir_url = "https://ca.test/dir";
constexpr const char* aki_hex = "69885B6B87464041E1B37B847BA0AE2CDE01C8D4";
constexpr const char* aki_b64 = "aYhba4dGQEHhs3uEe6CuLN4ByNQ";

json decode_part(const std::string& b64) {
  auto raw = base64url_decode(b64);
  REQUIRE(raw);
  return raw->empty() ? json() : json::parse(*raw);
}

/// An ACME CA with ARI for one name. Authorizations are already valid (the account
/// validated the name before), so each order goes straight to finalize.
class AriCa {
 public:
  /// The suggested window served for every certificate; none: renewalInfo answers 404.
  std::optional<std::pair<TimePoint, TimePoint>> window;
  std::optional<std::string> retry_after;  ///< Retry-After on renewalInfo answers
  /// A newOrder carrying `replaces` is refused with this problem type (and detail); "" accepts it.
  std::string refuse_replaces_type, refuse_replaces_detail;
  int refuse_replaces_status = 409;
  bool order_fails = false;  ///< every newOrder answers serverInternal
  bool rate_limited = false; ///< every newOrder answers rateLimited

  int ari_fetches = 0, orders = 0, issued = 0;
  std::vector<std::string> ari_paths;                    ///< the certID of each renewalInfo request
  std::vector<std::optional<std::string>> replaces_sent;  ///< per newOrder
  std::vector<std::string> serials;                      ///< hex, per issued certificate

  Result<HttpResponse> operator()(const HttpRequest& r) {
    if (r.url == dir_url)
      return ok(200, json{{"newNonce", "https://ca.test/nonce"},
                          {"newAccount", "https://ca.test/new-acct"},
                          {"newOrder", "https://ca.test/new-order"},
                          {"revokeCert", "https://ca.test/revoke"},
                          {"keyChange", "https://ca.test/key-change"},
                          {"renewalInfo", "https://ca.test/ari"}}
                         .dump());
    if (r.url == "https://ca.test/nonce") return ok(200, "");
    if (r.url.rfind("https://ca.test/ari/", 0) == 0) {
      ++ari_fetches;
      ari_paths.push_back(r.url.substr(std::string("https://ca.test/ari/").size()));
      if (!window) return problem(404, "malformed", "no renewal information for this certificate");
      auto resp = ok(200, json{{"suggestedWindow", {{"start", format_rfc3339(window->first)},
                                                     {"end", format_rfc3339(window->second)}}}}
                              .dump());
      if (retry_after) resp.headers.push_back({"Retry-After", *retry_after});
      return resp;
    }
    json outer = json::parse(r.body);
    json payload = decode_part(outer["payload"]);
    if (r.url == "https://ca.test/new-acct") return ok(201, R"({"status":"valid"})", "https://ca.test/acct/1");
    if (r.url == "https://ca.test/new-order") {
      ++orders;
      replaces_sent.push_back(payload.contains("replaces") ? std::optional<std::string>(payload["replaces"].get<std::string>()) : std::nullopt);
      if (order_fails) return problem(500, "serverInternal", "the CA is having a bad day");
      if (rate_limited) return problem(429, "rateLimited", "too many new orders recently");
      if (payload.contains("replaces") && !refuse_replaces_type.empty())
        return problem(refuse_replaces_status, refuse_replaces_type, refuse_replaces_detail);
      return ok(201, order("ready").dump(), order_url());
    }
    if (r.url == "https://ca.test/authz/1")
      return ok(200, json{{"identifier", {{"type", "dns"}, {"value", "www.example"}}},
                          {"status", "valid"},
                          {"challenges", {{{"type", "http-01"}, {"url", "https://ca.test/chall/1"}, {"status", "valid"},
                                           {"token", "tok"}}}}}
                         .dump());
    if (r.url == order_url() + "/finalize") {
      auto csr = base64url_decode(payload["csr"].get<std::string>());
      REQUIRE(csr);
      ++issued;
      // The RFC 9773 example serial (high bit set), then one more per certificate.
      std::string serial = "8765432" + std::to_string(issued);
      serials.push_back(serial);
      test::CertSpec leaf{.subject_cn = "www.example", .dns_names = {"www.example"}, .serial_hex = serial};
      leaf.authority_key_id_hex = aki_hex;
      chain_ = test::make_chain_pem_for_key(leaf, test::csr_public_key(*csr), "Root A");
      return ok(200, order("valid").dump(), order_url());
    }
    if (r.url == order_url()) return ok(200, order("valid").dump());
    if (r.url == "https://ca.test/cert/" + std::to_string(issued)) {
      HttpResponse c = ok(200, chain_);
      c.headers[0].value = "application/pem-certificate-chain";
      return c;
    }
    return problem(404, "malformed", "not here: " + r.url);
  }

  /// The certID RFC 9773 §4.1 gives for the n-th certificate issued (1-based).
  std::string cert_id(int n) const {
    std::string serial_hex = serials.at(static_cast<std::size_t>(n - 1));
    std::string raw(1, '\0');  // the high bit of 0x87 needs a sign byte
    for (std::size_t i = 0; i < serial_hex.size(); i += 2)
      raw += static_cast<char>(std::stoi(serial_hex.substr(i, 2), nullptr, 16));
    return std::string(aki_b64) + "." + base64url_encode(raw);
  }

 private:
  std::string order_url() const { return "https://ca.test/order/" + std::to_string(orders); }
  json order(const std::string& status) const {
    json o = {{"status", status},
              {"identifiers", {{{"type", "dns"}, {"value", "www.example"}}}},
              {"authorizations", {"https://ca.test/authz/1"}},
              {"finalize", order_url() + "/finalize"}};
    if (status == "valid") o["certificate"] = "https://ca.test/cert/" + std::to_string(issued);
    return o;
  }
  HttpResponse ok(int status, std::string body, const std::string& location = "") {
    return test::acme_reply(status, std::move(body), nonce_, location);
  }
  HttpResponse problem(int status, const std::string& type, const std::string& detail) {
    return test::acme_problem(status, type, detail, nonce_);
  }

  std::string chain_;
  int nonce_ = 0;
};

/// A session over the fake CA. The clock starts at the real time (whole seconds): the
/// client reads Retry-After against the system clock, as in production.
struct Rig {
  AriCa ca;
  test::FakeHttpClient* http = nullptr;
  FixedClock clock{time_point_cast<seconds>(system_clock::now())};
  solver::SolverRegistry solvers;
  std::unique_ptr<Session> session;
  config::CertificateConfig cert;

  explicit Rig(std::unique_ptr<storage::StateStore> store = std::make_unique<storage::MemoryStateStore>()) {
    REQUIRE(solvers.add(std::make_unique<test::FakeSolverFactory>("fake-01", "http-01")));
    auto fake = std::make_unique<test::FakeHttpClient>();
    fake->set_handler([this](const HttpRequest& r) { return ca(r); });
    http = fake.get();
    SessionParts parts;
    parts.config.ca.directory_url = dir_url;
    parts.config.account.agree_tos = true;
    parts.config_dir = "memory:config";
    parts.http = std::move(fake);
    parts.store = std::move(store);
    parts.clock = &clock;
    parts.solvers = &solvers;
    session = std::make_unique<Session>(std::move(parts));
    cert.name = "www";
    cert.identifiers = {*Identifier::parse("www.example")};
    cert.solvers.push_back({"fake-01", {}, ConfigValue::make_map("test")});
  }
  RenewOutcome run(RenewOptions o = {}) { return renew_certificate(*session, cert, o); }
  storage::RenewalState state() const {
    auto st = session->store().load_renewal_state("www");
    REQUIRE(st);
    return *st;
  }
  std::int64_t now_s() const { return duration_cast<seconds>(clock.now().time_since_epoch()).count(); }
  /// Issues the first certificate (nothing stored yet) without ARI in the way.
  void issue_first() {
    auto first = run();
    REQUIRE(first.action == RenewAction::renewed);
    REQUIRE(ca.issued == 1);
  }
};

TEST_CASE("ARI: the stored certificate's certID is what acmed asks the CA about", "[app][ari]") {
  Rig rig;
  rig.issue_first();
  CHECK(rig.ca.replaces_sent.back() == std::nullopt);  // nothing to replace yet
  rig.run();
  REQUIRE(rig.ca.ari_paths.size() == 1);
  CHECK(rig.ca.ari_paths[0] == rig.ca.cert_id(1));
  CHECK(rig.ca.ari_paths[0] == "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");  // RFC 9773's example, serial 0x87654321
}

TEST_CASE("ARI: an open window renews a certificate far from expiry; the random time is kept across runs",
          "[app][ari]") {
  Rig rig;
  rig.issue_first();
  // The certificate runs to 2035: by its lifetime it is years from due.
  const TimePoint start = rig.clock.now() + hours(24 * 10), end = start + hours(48);
  rig.ca.window = {start, end};

  auto early = rig.run();
  CHECK(early.action == RenewAction::not_due);
  CHECK_THAT(early.detail, Catch::StartsWith("ARI window"));
  REQUIRE(early.next_due);
  CHECK(*early.next_due >= start);
  CHECK(*early.next_due < end);
  const auto chosen = rig.state().ari_chosen;
  REQUIRE(chosen);
  CHECK(time_from_unix(*chosen) == *early.next_due);
  CHECK(rig.ca.ari_fetches == 1);

  // Runs before Retry-After (6 h without one) ask the CA nothing and keep the time.
  rig.clock.advance(hours(5));
  CHECK(rig.run().action == RenewAction::not_due);
  CHECK(rig.ca.ari_fetches == 1);
  // Later runs ask again; the same window keeps the same chosen time.
  for (int i = 0; i < 3; ++i) {
    rig.clock.advance(hours(7));
    auto r = rig.run();
    CHECK(r.action == RenewAction::not_due);
    CHECK(*r.next_due == time_from_unix(*chosen));
    CHECK(rig.state().ari_chosen == chosen);
  }
  CHECK(rig.ca.ari_fetches == 4);
  CHECK(rig.ca.orders == 1);

  // Past the chosen time: renewed now, years before the lifetime rule would, replacing the old one.
  rig.clock.set(time_from_unix(*chosen) + seconds(1));
  auto renewed = rig.run();
  CHECK(renewed.action == RenewAction::renewed);
  CHECK(rig.ca.orders == 2);
  CHECK(rig.ca.replaces_sent.back() == rig.ca.cert_id(1));
  // The new certificate has its own certID; the old window no longer applies to it.
  rig.ca.window.reset();
  auto after = rig.run();
  CHECK(after.action == RenewAction::not_due);
  CHECK(rig.ca.ari_paths.back() == rig.ca.cert_id(2));
}

/// stat(2) of `path` (following links): the test reads and restores mtimes with it.
struct stat stat_of(const std::string& path) {
  struct stat sb {};
  REQUIRE(::stat(path.c_str(), &sb) == 0);
  return sb;
}

TEST_CASE("An idle run reads cached certificate facts: no X.509 parse, no state write, until the file changes",
          "[app][renew]") {
  test::TempDir dir;
  Rig rig(std::make_unique<storage::FileStateStore>(dir.path()));
  rig.issue_first();
  REQUIRE(rig.run().action == RenewAction::not_due);  // fills the cache (and the ARI state)
  const auto cached = rig.state();
  CHECK_FALSE(cached.cert_identity.empty());
  REQUIRE(cached.cert_not_after);
  const std::string state_file = dir.path() + "/renewal/www";
  const std::string fullchain = dir.path() + "/live/www/fullchain.pem";
  const auto state_before = stat_of(state_file);

  // Overwrite the certificate in place with garbage of the same size and put its mtime
  // back: same inode, size and mtime, so only a parse could notice.
  const auto cert_before = stat_of(fullchain);
  {
    std::fstream f(fullchain, std::ios::in | std::ios::out | std::ios::binary);
    REQUIRE(f);
    f << std::string(static_cast<std::size_t>(cert_before.st_size), 'x');
  }
  const struct timespec times[2] = {cert_before.st_atim, cert_before.st_mtim};
  REQUIRE(::utimensat(AT_FDCWD, fullchain.c_str(), times, 0) == 0);
  rig.clock.advance(minutes(1));
  CHECK(rig.run().action == RenewAction::not_due);
  CHECK(rig.ca.orders == 1);
  const auto state_after = stat_of(state_file);
  CHECK(state_after.st_ino == state_before.st_ino);  // not rewritten (a write renames a new file in)
  CHECK(state_after.st_mtim.tv_nsec == state_before.st_mtim.tv_nsec);
  CHECK(rig.state() == cached);

  // A changed mtime is a changed certificate: parsed again, found unreadable, renewed.
  const struct timespec later[2] = {cert_before.st_atim, {cert_before.st_mtim.tv_sec + 5, 0}};
  REQUIRE(::utimensat(AT_FDCWD, fullchain.c_str(), later, 0) == 0);
  CHECK(rig.run().action == RenewAction::renewed);
  CHECK(rig.ca.orders == 2);
}

TEST_CASE("A name added to the configuration makes a cached, not yet due certificate due now", "[app][renew][names]") {
  Rig rig;
  rig.issue_first();
  REQUIRE(rig.run().action == RenewAction::not_due);  // fills the cache
  CHECK(rig.state().cert_dns_names == std::vector<std::string>{"www.example"});
  rig.cert.identifiers.push_back(*Identifier::parse("new.example"));
  rig.clock.advance(minutes(1));
  const auto r = rig.run();
  CHECK(r.action != RenewAction::not_due);
  CHECK(rig.ca.orders == 2);  // it ordered, although the certificate is far from its due time
  // A removed name too (this CA only issues www.example: back to the names it covers is not due).
  rig.cert.identifiers = {*Identifier::parse("www.example")};
  rig.clock.advance(hours(2));
  CHECK(rig.run().action == RenewAction::not_due);
}

TEST_CASE("A failed issue is recorded in the renewal state like a failed renewal", "[app][renew][issue]") {
  Rig rig;
  rig.ca.order_fails = true;
  auto r = issue_now(*rig.session, rig.cert, {});
  REQUIRE_FALSE(r);
  const auto st = rig.state();
  CHECK(st.failures == 1);
  CHECK_FALSE(st.last_error.empty());
  REQUIRE(st.next_attempt);
  CHECK(*st.next_attempt == rig.now_s() + 60);
}

TEST_CASE("Issuance remembers the certificate's facts; the status view reads them without an X.509 parse",
          "[app][renew][status]") {
  test::TempDir dir;
  Rig rig(std::make_unique<storage::FileStateStore>(dir.path()));
  rig.issue_first();
  const auto st = rig.state();
  CHECK_FALSE(st.cert_serial.empty());  // kept at issuance, before any renewal run
  CHECK(st.cert_dns_names == std::vector<std::string>{"www.example"});
  const auto& store = rig.session->store();
  const auto parsed = certificate_view(store, "www", rig.cert, rig.clock.now());
  REQUIRE(parsed.info);
  CHECK(parsed.info->serial_hex == st.cert_serial);

  // Garbage of the same size, mtime put back: only a parse could notice.
  const std::string fullchain = dir.path() + "/live/www/fullchain.pem";
  const auto cert_before = stat_of(fullchain);
  {
    std::fstream f(fullchain, std::ios::in | std::ios::out | std::ios::binary);
    REQUIRE(f);
    f << std::string(static_cast<std::size_t>(cert_before.st_size), 'x');
  }
  const struct timespec times[2] = {cert_before.st_atim, cert_before.st_mtim};
  REQUIRE(::utimensat(AT_FDCWD, fullchain.c_str(), times, 0) == 0);
  const auto cached = certificate_view(store, "www", rig.cert, rig.clock.now());
  REQUIRE(cached.info);
  CHECK(cached.info->serial_hex == parsed.info->serial_hex);
  CHECK(cached.info->not_after == parsed.info->not_after);
  CHECK(cached.info->dns_names == parsed.info->dns_names);
  CHECK(cached.due->when == parsed.due->when);
  CHECK(cached.days_left == parsed.days_left);

  // A changed mtime is a changed certificate: parsed again (and unreadable now).
  const struct timespec later[2] = {cert_before.st_atim, {cert_before.st_mtim.tv_sec + 5, 0}};
  REQUIRE(::utimensat(AT_FDCWD, fullchain.c_str(), later, 0) == 0);
  CHECK_FALSE(certificate_view(store, "www", rig.cert, rig.clock.now()).info);
}

TEST_CASE("ARI: a CA that refuses `replaces` gets the order again without it", "[app][ari]") {
  struct Refusal {
    int status;
    const char* type;
    const char* detail;
  };
  auto refusal = GENERATE(Refusal{409, "alreadyReplaced", "certificate has already been replaced"},
                          Refusal{400, "malformed", "invalid replaces: could not find an order for the given certificate"},
                          Refusal{400, "malformed", "cannot replace a certificate issued to another account"});
  INFO(refusal.type << ": " << refusal.detail);
  Rig rig;
  rig.issue_first();
  rig.ca.window = {rig.clock.now() - hours(48), rig.clock.now() - hours(24)};  // renew now
  rig.ca.refuse_replaces_status = refusal.status;
  rig.ca.refuse_replaces_type = refusal.type;
  rig.ca.refuse_replaces_detail = refusal.detail;
  auto r = rig.run();
  CHECK(r.action == RenewAction::renewed);
  REQUIRE(rig.ca.replaces_sent.size() == 3);
  CHECK(rig.ca.replaces_sent[1] == rig.ca.cert_id(1));
  CHECK(rig.ca.replaces_sent[2] == std::nullopt);
  CHECK(rig.ca.issued == 2);
  CHECK(rig.state().failures == 0);
}

TEST_CASE("ARI: a rate-limited order is not retried without `replaces`", "[app][ari]") {
  Rig rig;
  rig.issue_first();
  rig.ca.window = {rig.clock.now() - hours(48), rig.clock.now() - hours(24)};
  rig.ca.rate_limited = true;
  auto r = rig.run();
  CHECK(r.action == RenewAction::failed);
  REQUIRE(r.error);
  CHECK(r.error->is_acme("rateLimited"));
  CHECK(rig.ca.orders == 2);  // one attempt, with replaces
  CHECK(rig.ca.replaces_sent.back() == rig.ca.cert_id(1));
  CHECK(rig.state().failures == 1);
}

TEST_CASE("ARI: no renewal information (404) falls back to the lifetime rule and asks again in a day", "[app][ari]") {
  Rig rig;
  rig.issue_first();
  auto r = rig.run();
  CHECK(r.action == RenewAction::not_due);
  CHECK_THAT(r.detail, Catch::StartsWith("1/3 of the lifetime"));
  CHECK(rig.ca.ari_fetches == 1);
  auto st = rig.state();
  CHECK_FALSE(st.ari_chosen);
  CHECK(*st.ari_retry_after == rig.now_s() + 86400);
  rig.clock.advance(hours(23));
  rig.run();
  CHECK(rig.ca.ari_fetches == 1);
  rig.clock.advance(hours(2));
  rig.run();
  CHECK(rig.ca.ari_fetches == 2);
}

TEST_CASE("ARI: the CA's Retry-After is kept between 1 minute and 1 day", "[app][ari]") {
  struct Case {
    const char* header;
    std::int64_t want;  ///< seconds after now
  };
  auto c = GENERATE(Case{"5", 60}, Case{"0", 60}, Case{"Thu, 01 Jan 2015 00:00:00 GMT", 60}, Case{"604800", 86400},
                    Case{"31536000", 86400}, Case{"3600", 3600}, Case{"soon", 6 * 3600});
  INFO("Retry-After: " << c.header);
  Rig rig;
  rig.issue_first();
  rig.ca.window = {rig.clock.now() + hours(240), rig.clock.now() + hours(288)};
  rig.ca.retry_after = c.header;
  rig.clock.set(time_point_cast<seconds>(system_clock::now()));  // in step with the client's reading
  rig.run();
  REQUIRE(rig.state().ari_retry_after);
  // The header is read against the system clock; allow the test's own run time.
  CHECK(std::abs(*rig.state().ari_retry_after - (rig.now_s() + c.want)) <= 2);
}

TEST_CASE("Back-off through renewal runs: 1 min, 10 min, 100 min, then daily; a success resets it", "[app][renew]") {
  Rig rig;
  rig.ca.order_fails = true;
  const std::int64_t schedule[] = {60, 600, 6000, 86400, 86400, 86400};
  for (std::int64_t wait : schedule) {
    auto r = rig.run();
    REQUIRE(r.action == RenewAction::failed);
    REQUIRE(r.next_due);
    CHECK(*r.next_due == rig.clock.now() + seconds(wait));
    rig.clock.advance(seconds(wait - 1));
    CHECK(rig.run().action == RenewAction::backoff);
    rig.clock.advance(seconds(1));
  }
  CHECK(rig.state().failures == 6);
  CHECK(rig.ca.orders == 6);

  rig.ca.order_fails = false;
  CHECK(rig.run().action == RenewAction::renewed);
  auto st = rig.state();
  CHECK(st.failures == 0);
  CHECK_FALSE(st.next_attempt);
  CHECK(st.last_error.empty());
  // The schedule starts over: the next failure waits 1 minute, not a day.
  rig.ca.order_fails = true;
  auto again = rig.run({.force = true});
  CHECK(again.action == RenewAction::failed);
  CHECK(*again.next_due == rig.clock.now() + seconds(60));
  CHECK(rig.state().failures == 1);
}

}  // namespace
}  // namespace acmed::app
