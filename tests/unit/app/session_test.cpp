// SPDX-License-Identifier: Apache-2.0
// acmed::app::Session and renew_certificate with every part faked: an in-memory store,
// a FixedClock and a scripted CA behind the fake HTTP client. Covers the account
// lifecycle (first registration, an interrupted registration, recovery after the CA
// forgot the account, key rollover, refusals) and the renewal run across several runs
// (back-off schedule, --force, not due). No network, no disk, no sleeps.
#include "acmed/app/session.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <mutex>

#include "acmed/app/issuance.hpp"
#include "acmed/core/base64.hpp"
#include "acmed/core/files.hpp"
#include "acmed/core/time.hpp"
#include "acmed/storage/file_store.hpp"
#include "acmed/storage/memory_store.hpp"
#include "fake_http_client.hpp"
#include "fake_solver.hpp"
#include "signature.hpp"
#include "temp_dir.hpp"
#include "test_certs.hpp"

namespace acmed::app {
namespace {

using json = nlohmann::json;
using transport::HttpRequest;
using transport::HttpResponse;
using namespace std::chrono;

constexpr const char* dir_url = "https://ca.test/dir";
const std::string ca = storage::ca_id(dir_url);

json decode_part(const std::string& b64) {
  auto raw = base64url_decode(b64);
  REQUIRE(raw);
  return raw->empty() ? json() : json::parse(*raw);
}

/// Just enough of an ACME CA for account work: accounts are keyed by their JWK, and
/// `forget()` makes it lose every account (as after a CA-side reset).
class MiniCa {
 public:
  bool tos_required = true;
  bool refuse_keys = false;     ///< newAccount answers badPublicKey
  bool order_fails = false;     ///< newOrder answers serverInternal
  int new_account_posts = 0, key_changes = 0, orders = 0, account_fetches = 0;
  /// Boulder's account cache: this many requests after a keyChange fail JWS verification.
  int cached_old_key_requests = 0;

  void forget() { accounts_.clear(); }
  /// Whether `key` is the key of a registered account (as keyChange left it).
  bool knows(const PrivateKey& key) const {
    json jwk = json::object();
    for (const auto& [k, v] : key.jwk_members()) jwk[k] = v;
    return accounts_.count(jwk.dump()) > 0;
  }
  std::size_t accounts() const { return accounts_.size(); }

  Result<HttpResponse> operator()(const HttpRequest& r) {
    if (r.url == dir_url) {
      json d = {{"newNonce", "https://ca.test/nonce"},
                {"newAccount", "https://ca.test/new-acct"},
                {"newOrder", "https://ca.test/new-order"},
                {"revokeCert", "https://ca.test/revoke"},
                {"keyChange", "https://ca.test/key-change"}};
      if (tos_required) d["meta"] = {{"termsOfService", "https://ca.test/tos"}};
      return ok(200, d.dump());
    }
    if (r.url == "https://ca.test/nonce") return ok(200, "");
    json outer = json::parse(r.body);
    json header = decode_part(outer["protected"]);
    json payload = decode_part(outer["payload"]);
    if (r.url == "https://ca.test/new-acct") {
      ++new_account_posts;
      const std::string jwk = header["jwk"].dump();
      if (auto it = accounts_.find(jwk); it != accounts_.end()) return ok(200, R"({"status":"valid"})", it->second);
      if (payload.value("onlyReturnExisting", false)) return problem(400, "accountDoesNotExist", "no such account");
      if (refuse_keys) return problem(400, "badPublicKey", "key type not accepted");
      const std::string url = "https://ca.test/acct/" + std::to_string(++next_);
      accounts_[jwk] = url;
      return ok(201, R"({"status":"valid"})", url);
    }
    if (r.url == "https://ca.test/key-change") {
      ++key_changes;
      json inner = json::parse(payload.dump());
      json inner_header = decode_part(inner["protected"]);
      for (auto it = accounts_.begin(); it != accounts_.end(); ++it)
        if (it->second == header["kid"]) {
          std::string url = it->second;
          accounts_.erase(it);
          accounts_[inner_header["jwk"].dump()] = url;
          stale_ = cached_old_key_requests;
          return ok(200, R"({"status":"valid"})");
        }
      return problem(400, "accountDoesNotExist", "no such account");
    }
    if (r.url.rfind("https://ca.test/acct/", 0) == 0) {
      // POST-as-GET on the account: only a JWS signed by the account's current key.
      ++account_fetches;
      if (stale_ > 0) {
        --stale_;
        return problem(400, "malformed", "Unable to validate JWS :: JWS verification error");
      }
      for (const auto& [jwk, url] : accounts_)
        if (url == r.url && header["kid"] == url &&
            (json::parse(jwk).value("crv", "") != "P-256" ||  // (only P-256 signatures are checked here)
             test::verify_jws_signature("ES256", p256_spki(json::parse(jwk)),
                                       outer["protected"].get<std::string>() + "." + outer["payload"].get<std::string>(),
                                       *base64url_decode(outer["signature"].get<std::string>()))))
          return ok(200, R"({"status":"valid"})");
      return problem(403, "unauthorized", "JWS verification error");
    }
    if (r.url == "https://ca.test/new-order") {
      ++orders;
      bool known = false;
      for (const auto& [k, url] : accounts_) known |= url == header["kid"];
      if (!known) return problem(400, "accountDoesNotExist", "no such account");
      if (order_fails) return problem(500, "serverInternal", "the CA is having a bad day");
    }
    return problem(404, "malformed", "not here: " + r.url);
  }

 private:
  /// SubjectPublicKeyInfo DER of a P-256 JWK (the default account key type).
  static std::string p256_spki(const json& jwk) {
    static const unsigned char prefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
                                           0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};
    return std::string(reinterpret_cast<const char*>(prefix), sizeof prefix) +
           base64url_decode(jwk.at("x").get<std::string>()).value_or("") +
           base64url_decode(jwk.at("y").get<std::string>()).value_or("");
  }
  HttpResponse ok(int status, std::string body, const std::string& location = "") {
    return test::acme_reply(status, std::move(body), nonce_, location);
  }
  HttpResponse problem(int status, const std::string& type, const std::string& detail) {
    return test::acme_problem(status, type, detail, nonce_);
  }

  std::map<std::string, std::string> accounts_;  ///< JWK -> account URL
  int next_ = 0, nonce_ = 0, stale_ = 0;
};

/// A session over fakes; the test keeps pointers to look inside.
struct Rig {
  MiniCa ca_server;
  test::FakeHttpClient* http = nullptr;
  FixedClock clock{system_clock::time_point(seconds(1'800'000'000))};
  solver::SolverRegistry solvers;
  std::unique_ptr<Session> session;

  explicit Rig(bool agree_tos = true, std::unique_ptr<storage::StateStore> store = std::make_unique<storage::MemoryStateStore>()) {
    REQUIRE(solvers.add(std::make_unique<test::FakeSolverFactory>("fake-01", "http-01")));
    auto fake = std::make_unique<test::FakeHttpClient>();
    fake->set_handler([this](const HttpRequest& r) { return ca_server(r); });
    http = fake.get();
    SessionParts parts;
    parts.config.ca.directory_url = dir_url;
    parts.config.account.agree_tos = agree_tos;
    parts.config_dir = "memory:config";
    parts.http = std::move(fake);
    parts.store = std::move(store);
    parts.clock = &clock;
    parts.solvers = &solvers;
    session = std::make_unique<Session>(std::move(parts));
  }
  const storage::StateStore& store() const { return session->store(); }
  std::optional<std::string> stored_url() const {
    auto u = store().load_account_url(ca);
    REQUIRE(u);
    return *u;
  }
};

TEST_CASE("Session registers once, stores key and URL first, and reuses them without a request", "[app][session]") {
  Rig rig;
  REQUIRE(rig.session->ensure_account());
  CHECK(rig.ca_server.new_account_posts == 1);
  CHECK(rig.stored_url() == "https://ca.test/acct/1");
  auto tp = rig.store().load_account_thumbprint(ca);
  REQUIRE(tp);
  CHECK(*tp == rig.session->account_thumbprint());
  CHECK_FALSE(tp->empty());

  // A second session on the same store: the stored URL means no request at all.
  auto sent = rig.http->requests_sent();
  REQUIRE(rig.session->ensure_account());
  CHECK(rig.http->requests_sent() == sent);
}

TEST_CASE("Session refuses to register without agreeing to the terms, and says how to agree", "[app][session]") {
  Rig rig(false);
  auto r = rig.session->ensure_account();
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::config);
  CHECK_THAT(r.error().message, Catch::Contains("https://ca.test/tos") && Catch::Contains("--agree-tos"));
  CHECK(rig.ca_server.new_account_posts == 0);
}

TEST_CASE("Session with allow_register=false never creates an account", "[app][session]") {
  Rig rig;
  auto r = rig.session->ensure_account(false);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::not_found);
  CHECK_THAT(r.error().message, Catch::Contains("acmed account register"));
  CHECK(rig.http->requests_sent() == 0);
}

TEST_CASE("Session finishes an interrupted registration by asking the CA for the stored key's account", "[app][session]") {
  Rig first;
  REQUIRE(first.session->ensure_account());
  // The same key, but the URL was never written (a crash between the two writes).
  auto acct = first.store().load_account(ca);
  REQUIRE(acct);
  REQUIRE(*acct);
  auto store = std::make_unique<storage::MemoryStateStore>();
  REQUIRE(store->save_account_key(ca, (*acct)->key_pem));
  Rig rig(true, std::move(store));
  rig.ca_server = first.ca_server;  // the CA knows the key
  REQUIRE(rig.session->ensure_account());
  CHECK(rig.stored_url() == "https://ca.test/acct/1");
  CHECK(rig.ca_server.accounts() == 1);  // found, not registered anew
}

TEST_CASE("Session recovers after the CA forgot the account: same key, new URL, recorded", "[app][session]") {
  Rig rig;
  REQUIRE(rig.session->ensure_account());
  const std::string tp = rig.session->account_thumbprint();
  rig.ca_server.forget();
  const std::string old_url = *rig.session->client().account_url();
  REQUIRE(rig.session->recover_account(old_url));
  CHECK(rig.stored_url() == "https://ca.test/acct/2");
  CHECK(rig.session->client().account_url() == "https://ca.test/acct/2");
  CHECK(rig.session->account_thumbprint() == tp);  // the stored key was kept
  // A second worker that saw the same failure finds the URL already replaced: no new account.
  const int posts = rig.ca_server.new_account_posts;
  REQUIRE(rig.session->recover_account(old_url));
  CHECK(rig.ca_server.new_account_posts == posts);
  CHECK(rig.session->client().account_url() == "https://ca.test/acct/2");
}

TEST_CASE("Session key rollover keeps the old thumbprint for draft -02 and signs with the new key", "[app][session]") {
  Rig rig;
  REQUIRE(rig.session->ensure_account());
  const std::string old_tp = rig.session->account_thumbprint();
  REQUIRE(rig.session->rollover_account_key(KeyType::ec_p384));
  CHECK(rig.ca_server.key_changes == 1);
  CHECK(rig.session->account_thumbprint() != old_tp);
  auto earlier = rig.store().load_earlier_thumbprints(ca);
  REQUIRE(earlier);
  CHECK(*earlier == std::vector<std::string>{old_tp});
  CHECK_FALSE(rig.store().has_pending_account_key(ca));
  auto tp = rig.store().load_account_thumbprint(ca);
  REQUIRE(tp);
  CHECK(*tp == rig.session->account_thumbprint());
  CHECK(rig.stored_url() == "https://ca.test/acct/1");  // same account
}

TEST_CASE("Session key rollover returns once the CA verifies the new key, and later runs know it changed",
          "[app][session][rollover]") {
  test::TempDir dir;
  Rig rig(true, std::make_unique<storage::FileStateStore>(dir.path()));
  REQUIRE(rig.session->ensure_account());
  // The CA answers 200 to keyChange, then its account cache refuses the new key twice.
  rig.ca_server.cached_old_key_requests = 2;
  const int fetches = rig.ca_server.account_fetches;
  REQUIRE(rig.session->rollover_account_key(KeyType::ec_p256));
  CHECK(rig.ca_server.account_fetches == fetches + 3);
  auto facts = rig.store().load_ca_facts(ca);
  REQUIRE(facts);
  REQUIRE(facts->key_changed_at);
  // Another process (the renew after 'account rollover') knows the key changed just now.
  Rig next(true, std::make_unique<storage::FileStateStore>(dir.path()));
  next.ca_server = rig.ca_server;
  REQUIRE(next.session->ensure_account());
  REQUIRE(next.session->client().key_changed_at());
  CHECK(std::chrono::duration_cast<std::chrono::seconds>(next.session->client().key_changed_at()->time_since_epoch())
            .count() == *facts->key_changed_at);
}

TEST_CASE("Session key rollover refused by the CA discards the unused key and keeps the old one", "[app][session]") {
  Rig rig;
  REQUIRE(rig.session->ensure_account());
  const std::string old_tp = rig.session->account_thumbprint();
  rig.ca_server.forget();  // keyChange now fails
  auto r = rig.session->rollover_account_key(KeyType::ec_p256);
  REQUIRE_FALSE(r);
  CHECK(r.error().is_acme("accountDoesNotExist"));
  CHECK_FALSE(rig.store().has_pending_account_key(ca));
  CHECK(rig.session->account_thumbprint() == old_tp);
}

/// A StateStore that forwards to another one, except for the failures a test injects.
class FaultyStore final : public storage::StateStore {
 public:
  explicit FaultyStore(std::unique_ptr<storage::StateStore> inner) : inner_(std::move(inner)) {}
  bool fail_commit = false;  ///< commit_pending_account_key fails (a full disk, a read-only state dir)
  mutable std::string pending_pem;  ///< the last key save_pending_account_key stored

  std::string location() const override { return inner_->location(); }
  Result<std::optional<storage::StoredAccount>> load_account(const std::string& c) const override { return inner_->load_account(c); }
  Result<void> save_account_key(const std::string& c, const Secret& k) const override { return inner_->save_account_key(c, k); }
  Result<void> save_account_url(const std::string& c, const std::string& u) const override { return inner_->save_account_url(c, u); }
  Result<std::optional<std::string>> load_account_url(const std::string& c) const override { return inner_->load_account_url(c); }
  Result<void> forget_account_url(const std::string& c) const override { return inner_->forget_account_url(c); }
  Result<void> discard_unregistered_account_key(const std::string& c) const override {
    return inner_->discard_unregistered_account_key(c);
  }
  std::string account_dir(const std::string& c) const override { return inner_->account_dir(c); }
  Result<void> save_seen_challenges(const std::string& c, const std::string& t) const override {
    return inner_->save_seen_challenges(c, t);
  }
  Result<std::optional<std::string>> load_seen_challenges(const std::string& c) const override {
    return inner_->load_seen_challenges(c);
  }
  Result<void> save_ca_facts(const std::string& c, const storage::CaFacts& f) const override { return inner_->save_ca_facts(c, f); }
  Result<storage::CaFacts> load_ca_facts(const std::string& c) const override { return inner_->load_ca_facts(c); }
  Result<void> add_earlier_thumbprint(const std::string& c, const std::string& t) const override {
    return inner_->add_earlier_thumbprint(c, t);
  }
  Result<std::vector<std::string>> load_earlier_thumbprints(const std::string& c) const override {
    return inner_->load_earlier_thumbprints(c);
  }
  Result<void> retire_earlier_thumbprints(const std::string& c) const override { return inner_->retire_earlier_thumbprints(c); }
  Result<void> save_account_thumbprint(const std::string& c, const std::string& t) const override {
    return inner_->save_account_thumbprint(c, t);
  }
  Result<std::string> load_account_thumbprint(const std::string& c) const override { return inner_->load_account_thumbprint(c); }
  Result<std::string> retire_account(const std::string& c) const override { return inner_->retire_account(c); }
  Result<void> save_pending_account_key(const std::string& c, const Secret& k) const override {
    auto r = inner_->save_pending_account_key(c, k);
    if (r) pending_pem = std::string(k.view());
    return r;
  }
  Result<void> commit_pending_account_key(const std::string& c) const override {
    if (fail_commit) return fail(Errc::io, "cannot move the new account key into place: Read-only file system");
    return inner_->commit_pending_account_key(c);
  }
  Result<void> discard_pending_account_key(const std::string& c) const override { return inner_->discard_pending_account_key(c); }
  bool has_pending_account_key(const std::string& c) const override { return inner_->has_pending_account_key(c); }
  Result<std::optional<Secret>> load_pending_account_key(const std::string& c) const override {
    return inner_->load_pending_account_key(c);
  }
  Result<void> commit_token_key(const std::string& c, const std::string& u) const override { return inner_->commit_token_key(c, u); }
  Result<int> save_certificate(const std::string& n, const std::string& pem, const Secret& k) const override {
    return inner_->save_certificate(n, pem, k);
  }
  Result<std::optional<storage::StoredCertificate>> load_certificate(const std::string& n) const override {
    return inner_->load_certificate(n);
  }
  Result<std::string> certificate_identity(const std::string& n) const override { return inner_->certificate_identity(n); }
  Result<Secret> load_certificate_key(const std::string& n) const override { return inner_->load_certificate_key(n); }
  std::string live_dir(const std::string& n) const override { return inner_->live_dir(n); }
  Result<void> repair_live(const std::string& n) const override { return inner_->repair_live(n); }
  Result<storage::RenewalState> load_renewal_state(const std::string& n) const override { return inner_->load_renewal_state(n); }
  Result<void> save_renewal_state(const std::string& n, const storage::RenewalState& st) const override {
    return inner_->save_renewal_state(n, st);
  }
  Result<storage::LockHandle> lock_certificate(const std::string& n, bool wait) const override {
    return inner_->lock_certificate(n, wait);
  }
  Result<storage::LockHandle> lock_accounts() const override { return inner_->lock_accounts(); }
  Result<void> queue_deploy(const std::string& n) const override { return inner_->queue_deploy(n); }
  Result<TakenQueue> take_deploy_queue() const override { return inner_->take_deploy_queue(); }
  Result<storage::StoredCertificate> snapshot_certificate(const std::string& n, const std::string& d) const override {
    return inner_->snapshot_certificate(n, d);
  }

 private:
  std::unique_ptr<storage::StateStore> inner_;
};

std::string slurp(const std::string& path) {
  auto data = read_file(path, 1 << 20);
  REQUIRE(data);
  return *data;
}

/// Whether `r` is a JWS signed by `key`, checked with OpenSSL directly.
bool signed_with(const HttpRequest& r, const PrivateKey& key) {
  json outer = json::parse(r.body);
  auto sig = base64url_decode(outer["signature"].get<std::string>());
  return sig && test::verify_jws_signature(key.jws_alg(), key.public_key_der(),
                                           outer["protected"].get<std::string>() + "." + outer["payload"].get<std::string>(),
                                           *sig);
}

TEST_CASE("Session key rollover: the CA switched but storing the new key failed; the key is kept and recoverable",
          "[app][session][rollover]") {
  test::TempDir dir;
  auto faulty = std::make_unique<FaultyStore>(std::make_unique<storage::FileStateStore>(dir.path()));
  FaultyStore* store = faulty.get();
  Rig rig(true, std::move(faulty));
  REQUIRE(rig.session->ensure_account());
  const std::string acct_dir = store->account_dir(ca);
  auto old_key = PrivateKey::from_pem(slurp(acct_dir + "/private_key.pem"));
  REQUIRE(old_key);

  store->fail_commit = true;
  auto r = rig.session->rollover_account_key(KeyType::ec_p256);
  REQUIRE_FALSE(r);
  // The error says the CA switched and where the new key is.
  CHECK_THAT(r.error().describe(), Catch::Contains("the CA switched to the new key") &&
                                       Catch::Contains("private_key.next.pem"));
  CHECK(rig.ca_server.key_changes == 1);
  auto new_key = PrivateKey::from_pem(store->pending_pem);
  REQUIRE(new_key);
  CHECK(rig.ca_server.knows(*new_key));
  CHECK_FALSE(rig.ca_server.knows(*old_key));

  // Not lost: the key the CA now holds is on disk, private, beside the old one.
  CHECK(store->has_pending_account_key(ca));
  CHECK(slurp(acct_dir + "/private_key.next.pem") == store->pending_pem);
  CHECK(test::file_mode(acct_dir + "/private_key.next.pem") == 0600);
  CHECK(PrivateKey::from_pem(slurp(acct_dir + "/private_key.pem"))->thumbprint() == old_key->thumbprint());
  // This run goes on with the key the CA holds.
  CHECK(rig.session->account_thumbprint() == new_key->thumbprint());
  // The next run knows the key changed just now (a CA's account cache may still refuse it).
  CHECK(store->load_ca_facts(ca)->key_changed_at);

  // A second rollover refuses to overwrite the pending key.
  store->fail_commit = false;
  auto again = rig.session->rollover_account_key(KeyType::ec_p256);
  REQUIRE_FALSE(again);
  CHECK_THAT(again.error().describe(), Catch::Contains("private_key.next.pem exists"));
  CHECK(slurp(acct_dir + "/private_key.next.pem") == store->pending_pem);

  // The next run asks the CA which key it holds, finishes the rollover and signs with
  // the new key; nobody has to move files by hand.
  Rig next(true, std::make_unique<storage::FileStateStore>(dir.path()));
  next.ca_server = rig.ca_server;
  REQUIRE(next.session->ensure_account());
  CHECK(next.ca_server.account_fetches == 1);
  CHECK(next.session->account_thumbprint() == new_key->thumbprint());
  CHECK(slurp(acct_dir + "/private_key.pem") == store->pending_pem);
  CHECK(PrivateKey::from_pem(slurp(acct_dir + "/private_key.old.pem"))->thumbprint() == old_key->thumbprint());
  CHECK_FALSE(next.store().has_pending_account_key(ca));
  CHECK(next.stored_url() == "https://ca.test/acct/1");
  auto order = next.session->client().new_order({*Identifier::parse("www.example")}, std::nullopt, std::nullopt);
  CHECK_FALSE(order);  // MiniCa issues nothing, but it must know the account the request names
  CHECK_FALSE(order.error().is_acme("accountDoesNotExist"));
  CHECK(signed_with(next.http->requests().back(), *new_key));

  // The run after that has nothing left to finish: no extra request.
  Rig third(true, std::make_unique<storage::FileStateStore>(dir.path()));
  third.ca_server = next.ca_server;
  REQUIRE(third.session->ensure_account());
  CHECK(third.ca_server.account_fetches == 1);
  CHECK(third.session->account_thumbprint() == new_key->thumbprint());
}

TEST_CASE("Session keeps the current key when the pending one never reached the CA", "[app][session][rollover]") {
  test::TempDir dir;
  Rig rig(true, std::make_unique<storage::FileStateStore>(dir.path()));
  REQUIRE(rig.session->ensure_account());
  const std::string old_tp = rig.session->account_thumbprint();
  // A run killed between storing the new key and sending keyChange.
  auto unsent = PrivateKey::generate(KeyType::ec_p256);
  REQUIRE(unsent);
  REQUIRE(rig.store().save_pending_account_key(ca, unsent->to_pem()));

  Rig next(true, std::make_unique<storage::FileStateStore>(dir.path()));
  next.ca_server = rig.ca_server;
  REQUIRE(next.session->ensure_account());
  CHECK(next.ca_server.account_fetches == 1);  // asked once with the pending key: refused
  CHECK(next.session->account_thumbprint() == old_tp);
  CHECK(next.store().has_pending_account_key(ca));  // kept: nothing is deleted on a guess
  auto order = next.session->client().new_order({*Identifier::parse("www.example")}, std::nullopt, std::nullopt);
  REQUIRE_FALSE(order);
  CHECK_FALSE(order.error().is_acme("accountDoesNotExist"));
  auto stored = next.store().load_account(ca);
  REQUIRE(stored);
  REQUIRE(*stored);
  auto old_key = PrivateKey::from_pem((*stored)->key_pem.view());
  REQUIRE(old_key);
  CHECK(old_key->thumbprint() == old_tp);
  CHECK(signed_with(next.http->requests().back(), *old_key));
}

TEST_CASE("A URL that is not an ACME directory (404, not JSON, unreachable) leaves no account key and no state",
          "[app][session][bad-server]") {
  std::vector<test::FakeHttpClient::Handler> answers = {
      [](const HttpRequest&) -> Result<HttpResponse> { return HttpResponse{404, {}, "404 page not found"}; },
      [](const HttpRequest&) -> Result<HttpResponse> {
        return HttpResponse{200, {{"Content-Type", "text/html"}}, "<html>hello</html>"};
      },
      [](const HttpRequest&) -> Result<HttpResponse> { return fail(Errc::io, "connection refused"); }};
  for (const auto& answer : answers) {
    Rig rig;
    rig.http->set_handler(answer);
    auto r = rig.session->ensure_account();
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().describe(), Catch::Contains("no ACME directory"));
    auto acct = rig.store().load_account(ca);
    REQUIRE(acct);
    CHECK_FALSE(acct->has_value());  // no key generated, let alone stored

    // Neither a renewal nor an issue records a failure: nothing was attempted.
    config::CertificateConfig cert;
    cert.name = "www";
    cert.identifiers = {*Identifier::parse("www.example")};
    cert.solvers.push_back({"fake-01", {}, ConfigValue::make_map("test")});
    CHECK(renew_certificate(*rig.session, cert, {.force = true, .dry_run = false, .stop_before_order = false}).action ==
          RenewAction::failed);
    CHECK_FALSE(issue_now(*rig.session, cert, {}));
    auto st = rig.store().load_renewal_state("www");
    REQUIRE(st);
    CHECK(*st == storage::RenewalState{});
    acct = rig.store().load_account(ca);
    REQUIRE(acct);
    CHECK_FALSE(acct->has_value());
  }
}

TEST_CASE("Session drops a fresh key the CA refuses, so the next run generates the configured type", "[app][session]") {
  Rig rig;
  rig.ca_server.refuse_keys = true;
  auto r = rig.session->ensure_account();
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().describe(), Catch::Contains("account.key_type"));
  auto acct = rig.store().load_account(ca);
  REQUIRE(acct);
  CHECK_FALSE(acct->has_value());  // nothing left behind
}

// --- the renewal run ---

config::CertificateConfig certificate(const std::string& name) {
  config::CertificateConfig c;
  c.name = name;
  c.identifiers = {*Identifier::parse("www.example")};
  c.solvers.push_back({"fake-01", {}, ConfigValue::make_map("test")});
  return c;
}

TEST_CASE("renew_certificate: failures back off 1 min, 10 min, 100 min across runs; --force ignores it", "[app][renew]") {
  Rig rig;
  rig.ca_server.order_fails = true;
  const auto cert = certificate("www");
  const auto t0 = rig.clock.now();

  auto first = renew_certificate(*rig.session, cert, {});
  CHECK(first.action == RenewAction::failed);
  REQUIRE(first.error);
  CHECK(first.error->is_acme("serverInternal"));
  REQUIRE(first.next_due);
  CHECK(*first.next_due == t0 + minutes(1));

  rig.clock.advance(seconds(30));  // the next timer run, too early
  auto waiting = renew_certificate(*rig.session, cert, {});
  CHECK(waiting.action == RenewAction::backoff);
  CHECK(rig.ca_server.orders == 1);

  rig.clock.advance(seconds(31));
  auto second = renew_certificate(*rig.session, cert, {});
  CHECK(second.action == RenewAction::failed);
  CHECK(*second.next_due == rig.clock.now() + minutes(10));
  auto third = renew_certificate(*rig.session, cert, {});
  CHECK(third.action == RenewAction::backoff);

  // --force runs at once whatever the back-off, and a failure still counts.
  auto forced = renew_certificate(*rig.session, cert, {.force = true});
  CHECK(forced.action == RenewAction::failed);
  CHECK(*forced.next_due == rig.clock.now() + minutes(100));
  auto st = rig.store().load_renewal_state("www");
  REQUIRE(st);
  CHECK(st->failures == 3);
  CHECK_THAT(st->last_error, Catch::Contains("bad day"));
  CHECK(rig.session->state_save_failures() == 0);
}

TEST_CASE("renew_certificate: a back-off ending past 2262 is reported saturated, not wrapped into the past",
          "[app][renew][time]") {
  Rig rig;
  rig.ca_server.order_fails = true;
  // The last second a time point can hold: now + 1 minute of back-off no longer fits.
  rig.clock.set(time_from_unix(253'402'300'799));
  auto r = renew_certificate(*rig.session, certificate("www"), {});
  CHECK(r.action == RenewAction::failed);
  REQUIRE(r.next_due);
  CHECK(*r.next_due >= rig.clock.now());
  CHECK(format_rfc3339(*r.next_due) == "2262-04-11T23:47:16Z");
}

TEST_CASE("renew_certificate: a stored certificate far from expiry is not due, and costs no order", "[app][renew]") {
  Rig rig;
  auto pem = test::make_chain_pem({"www.example"}, "Root A");
  auto key = PrivateKey::generate(KeyType::ec_p256);
  REQUIRE(key);
  REQUIRE(rig.store().save_certificate("www", pem, key->to_pem()));
  auto chain = parse_pem_chain(pem);
  REQUIRE(chain);
  auto info = inspect_certificate(chain->front());
  REQUIRE(info);
  rig.clock.set(info->not_before + hours(1));

  auto r = renew_certificate(*rig.session, certificate("www"), {});
  CHECK(r.action == RenewAction::not_due);
  REQUIRE(r.next_due);
  CHECK(*r.next_due > rig.clock.now());
  CHECK(rig.ca_server.orders == 0);
  CHECK(rig.ca_server.new_account_posts == 0);
}

TEST_CASE("renew_certificate: a certificate another run holds is skipped as locked", "[app][renew]") {
  Rig rig;
  auto held = rig.store().lock_certificate("www", false);
  REQUIRE(held);
  auto r = renew_certificate(*rig.session, certificate("www"), {});
  CHECK(r.action == RenewAction::locked);
  CHECK(to_string(r.action) == "locked");
  CHECK(rig.http->requests_sent() == 0);
}

TEST_CASE("renew_all: every worker shares one session", "[app][renew]") {
  test::TempDir dir;
  REQUIRE(ensure_dir(dir.path() + "/certs.d", 0700));
  std::vector<std::string> names;
  for (int i = 0; i < 12; ++i) {
    names.push_back("c" + std::to_string(i));
    // A solver this session lacks: each renewal fails in obtain, after it got the session.
    REQUIRE(write_file_atomic(dir.path() + "/certs.d/" + names.back() + ".yaml",
                              "names: [c" + std::to_string(i) + ".example]\nsolvers:\n  - type: nope-01\n", 0600));
  }
  std::atomic<int> sessions{0};
  Rig rig;  // owns the clock and solvers the session points at
  auto sum = renew_all(names, dir.path(),
                       [&]() -> Result<std::unique_ptr<Session>> {
                         if (++sessions > 1) return fail(Errc::config, "a second session");
                         return std::move(rig.session);
                       },
                       {{}, 4});
  CHECK(sessions.load() == 1);
  REQUIRE(sum.outcomes.size() == names.size());
  for (const auto& n : sum.outcomes) CHECK_THAT(n.outcome.detail, Catch::Contains("solver type 'nope-01'"));
  CHECK(sum.failed == names.size());
}

TEST_CASE("renew_all: outcomes in the order given; an unreadable file is a config error and opens no session",
          "[app][renew]") {
  int sessions = 0;
  std::vector<std::string> seen;
  std::mutex m;
  auto sum = renew_all({"b", "a", "c"}, "/nonexistent/acmed-config",
                       [&]() -> Result<std::unique_ptr<Session>> {
                         ++sessions;
                         return fail(Errc::config, "unused");
                       },
                       {{}, 2},
                       [&](const NamedOutcome& n) {
                         std::lock_guard<std::mutex> lock(m);
                         seen.push_back(n.name);
                       });
  REQUIRE(sum.outcomes.size() == 3);
  CHECK(sum.outcomes[0].name == "b");
  CHECK(sum.outcomes[1].name == "a");
  CHECK(sum.outcomes[2].name == "c");
  for (const auto& n : sum.outcomes) {
    CHECK(n.outcome.action == RenewAction::config_error);
    CHECK_THAT(n.outcome.detail, Catch::Contains(n.name + ".yaml"));
  }
  CHECK(sum.failed == 3);
  CHECK(sum.renewed == 0);
  CHECK(sessions == 0);
  CHECK(seen.size() == 3);
}

}  // namespace
}  // namespace acmed::app
