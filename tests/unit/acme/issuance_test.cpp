// SPDX-License-Identifier: Apache-2.0
#include "acmed/acme/issuance.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "acme_test_util.hpp"
#include "acmed/solvers/dns_persist01.hpp"
#include "fake_http_client.hpp"
#include "fake_resolver.hpp"
#include "fake_solver.hpp"
#include "test_certs.hpp"

namespace acmed::acme {
namespace {

using namespace test_util;
using namespace std::chrono_literals;
using test::FakeHttpClient;
using test::FakeSolver;
using transport::HttpRequest;
using transport::HttpResponse;

const PrivateKey& account_key() {
  static const PrivateKey key = [] {
    auto k = PrivateKey::generate(KeyType::ec_p256);
    REQUIRE(k);
    return std::move(*k);
  }();
  return key;
}

const PrivateKey& certificate_key() {
  static const PrivateKey key = [] {
    auto k = PrivateKey::generate(KeyType::ec_p256);
    REQUIRE(k);
    return std::move(*k);
  }();
  return key;
}

constexpr const char* order_url = "https://ca.test/acme/order/1";
constexpr const char* finalize_url = "https://ca.test/acme/order/1/finalize";
constexpr const char* cert_url = "https://ca.test/acme/cert/1";
constexpr const char* alt_cert_url = "https://ca.test/acme/cert/1/alt";

std::string csr_public_key(const std::string& csr_der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(csr_der.data());
  std::unique_ptr<X509_REQ, decltype(&X509_REQ_free)> req(d2i_X509_REQ(nullptr, &p, static_cast<long>(csr_der.size())),
                                                          &X509_REQ_free);
  REQUIRE(req);
  unsigned char* buf = nullptr;
  int n = i2d_PUBKEY(X509_REQ_get0_pubkey(req.get()), &buf);
  REQUIRE(n > 0);
  std::string out(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
  OPENSSL_free(buf);
  return out;
}

/// The leaf a CA issues for `names` (DNS names and IP addresses, as ordered).
test::CertSpec leaf_for(const std::vector<std::string>& names) {
  test::CertSpec leaf{.subject_cn = names.empty() ? "leaf" : names.front(), .serial_hex = "1001"};
  for (const auto& n : names) {
    auto id = Identifier::parse(n);
    REQUIRE(id);
    (id->type == Identifier::Type::ip ? leaf.ip_addresses : leaf.dns_names).push_back(n);
  }
  return leaf;
}

/// One authorization of the fake CA's single order.
struct AuthzSpec {
  std::string name{};  ///< as ordered; "*.x" gives an authorization for x with wildcard=true
  std::string status = "pending";
  std::vector<std::string> challenge_types = {"http-01", "dns-01"};
  std::string outcome = "valid";  ///< status once a challenge was answered and pending_polls ran out
  int pending_polls = 0;          ///< polls after the answer that still see "pending"
  std::string error_detail{};     ///< challenge error detail when outcome is "invalid"
  /// dns-persist-01 challenges: no token, these issuer-domain-names, and accounturi when set.
  std::vector<std::string> issuers = {"ca.test"};
  std::optional<std::string> accounturi{};
};

/// A tiny in-memory ACME CA for one order. It answers the protocol, checks that every
/// POST is a JWS signed by the account key with a fresh nonce, and records what it saw.
class FakeCa {
 public:
  explicit FakeCa(std::vector<AuthzSpec> authzs, std::vector<std::string>* journal = nullptr)
      : specs_(std::move(authzs)), journal_(journal) {
    for (std::size_t i = 0; i < specs_.size(); ++i) state_.push_back({specs_[i].status, -1, ""});
  }

  /// Served at cert_url. Left empty, finalize issues it for the CSR's key and the ordered names.
  std::string chain_pem;
  std::string alt_chain_pem;  ///< served at every alt_urls entry, offered through Link rel="alternate", when not empty
  std::vector<std::string> alt_urls = {alt_cert_url};
  int cert_downloads = 0;     ///< requests for cert_url or an alternate
  int order_processing_polls = 1;   ///< order polls after finalize that still see "processing"
  bool answer_valid = false;        ///< the challenge POST itself answers "valid" (validated at once)
  bool finalize_valid = false;      ///< finalize answers "valid" with the certificate URL (issued at once)
  std::string finalize_outcome = "valid";

  // Draft -02 mode: with a hash prefix the directory carries accountHashPrefix and
  // issuerDomainNames, challenges carry issuerDomainNames only, and a dns-persist-01
  // answer is validated against `validation_dns` the way a -02 CA does: a record of one
  // of its issuers whose accounturi is the hash of the name or of "*", made with any of
  // `account_thumbprints` (the current key and every earlier one).
  std::optional<std::string> hash_prefix;
  std::vector<std::string> directory_issuers = {"ca.test"};
  test::FakeResolver* validation_dns = nullptr;
  std::vector<std::string> account_thumbprints;
  int refused_validations = 0;

  std::vector<std::string> challenge_posts;  ///< challenge URLs answered, in order
  std::vector<std::string> challenge_payloads;
  std::string csr_der;
  int finalize_calls = 0;
  int authz_fetches = 0;
  int bad_jws = 0;       ///< POSTs not signed by the account key with kid
  int reused_nonce = 0;  ///< POSTs whose nonce this CA never issued or already saw

  FakeHttpClient::Handler handler() {
    return [this](const HttpRequest& r) { return handle(r); };
  }

  static std::string authz_url(std::size_t i) { return "https://ca.test/acme/authz/" + std::to_string(i + 1); }
  static std::string challenge_url(std::size_t i, const std::string& type) {
    return "https://ca.test/acme/chall/" + std::to_string(i + 1) + "/" + type;
  }
  static std::string token(std::size_t i, const std::string& type) { return "tok-" + std::to_string(i + 1) + "_" + type; }

 private:
  struct State {
    std::string status;
    int polls_left;  ///< -1 until a challenge is answered
    std::string answered_type;
  };

  HttpResponse reply(int status, json body, std::vector<transport::HttpHeader> extra = {}) {
    HttpResponse r;
    r.status = status;
    r.headers = json_headers(fresh_nonce(), std::move(extra));
    r.body = body.dump();
    return r;
  }

  std::string fresh_nonce() {
    std::string n = "nonce" + std::to_string(++nonce_counter_);
    issued_.insert(n);
    return n;
  }

  std::string base_name(std::size_t i) const {
    const std::string& n = specs_[i].name;
    return n.rfind("*.", 0) == 0 ? n.substr(2) : n;
  }

  json authz_json(std::size_t i) const {
    const AuthzSpec& s = specs_[i];
    const State& st = state_[i];
    json challenges = json::array();
    for (const auto& type : s.challenge_types) {
      json c = {{"type", type}, {"url", challenge_url(i, type)}, {"status", "pending"}, {"token", token(i, type)}};
      if (type == "dns-persist-01") {
        c.erase("token");
        if (hash_prefix) {
          c["issuerDomainNames"] = s.issuers;
        } else {
          c["issuer-domain-names"] = s.issuers;
          if (s.accounturi) c["accounturi"] = *s.accounturi;
        }
      }
      if (type == st.answered_type) {
        c["status"] = st.status == "pending" ? "processing" : st.status;
        if (st.status == "invalid")
          c["error"] = {{"type", "urn:ietf:params:acme:error:unauthorized"}, {"detail", s.error_detail}, {"status", 403}};
      }
      challenges.push_back(c);
    }
    json a = {{"identifier", {{"type", "dns"}, {"value", base_name(i)}}}, {"status", st.status}, {"challenges", challenges}};
    if (s.name.rfind("*.", 0) == 0) a["wildcard"] = true;
    return a;
  }

  json order_json() const {
    json ids = json::array(), authzs = json::array();
    for (std::size_t i = 0; i < specs_.size(); ++i) {
      ids.push_back({{"type", "dns"}, {"value", specs_[i].name}});
      authzs.push_back(authz_url(i));
    }
    json o = {{"status", order_status_}, {"identifiers", ids}, {"authorizations", authzs}, {"finalize", finalize_url}};
    if (order_status_ == "valid") o["certificate"] = cert_url;
    if (order_status_ == "invalid")
      o["error"] = {{"type", "urn:ietf:params:acme:error:badCSR"}, {"detail", "CSR rejected by policy"}};
    return o;
  }

  HttpResponse not_found(const std::string& url) {
    HttpResponse r;
    r.status = 404;
    r.headers = problem_headers(fresh_nonce());
    r.body = problem_body("malformed", "FakeCa: no resource at " + url, 404);
    return r;
  }

  bool check_jws(const HttpRequest& r, std::string& payload) {
    try {
      json outer = json::parse(r.body);
      const std::string p64 = outer.at("protected"), b64 = outer.at("payload"), s64 = outer.at("signature");
      json header = json::parse(*base64url_decode(p64));
      payload = *base64url_decode(b64);
      const std::string nonce = header.at("nonce");
      if (!issued_.erase(nonce)) ++reused_nonce;
      return header.at("kid") == account_url && header.at("url") == r.url && !header.contains("jwk") &&
             test::verify_jws_signature(account_key().jws_alg(), account_key().public_key_der(), p64 + "." + b64,
                                        *base64url_decode(s64));
    } catch (const std::exception&) {
      return false;
    }
  }

  /// SHA-256 and base64url computed here with OpenSSL directly, independently of acmed.
  static std::string hash_02(const std::string& d, const std::string& thumbprint) {
    std::string input = std::string(1, static_cast<char>(d.size())) + d + thumbprint + account_url;
    unsigned char md[32];
    unsigned int len = 0;
    EVP_Digest(input.data(), input.size(), md, &len, EVP_sha256(), nullptr);
    unsigned char b64[64];
    int n = EVP_EncodeBlock(b64, md, static_cast<int>(len));
    std::string out(reinterpret_cast<char*>(b64), static_cast<std::size_t>(n));
    while (!out.empty() && out.back() == '=') out.pop_back();
    std::replace(out.begin(), out.end(), '+', '-');
    std::replace(out.begin(), out.end(), '/', '_');
    return out;
  }

  bool validates_02(std::size_t i) {
    auto txt = validation_dns->lookup_txt("_validation-persist." + base_name(i));
    if (!txt) return false;
    const bool wildcard = specs_[i].name.rfind("*.", 0) == 0;
    for (const auto& v : txt->values) {
      const std::string issuer = v.substr(0, v.find(';'));
      if (std::find(directory_issuers.begin(), directory_issuers.end(), issuer) == directory_issuers.end()) continue;
      if (wildcard && v.find("; policy=wildcard") == std::string::npos) continue;
      for (const auto& tp : account_thumbprints)
        for (const std::string& d : {base_name(i), std::string("*")}) {
          const std::string want = "; accounturi=" + *hash_prefix + "sha-256/" + hash_02(d, tp);
          auto at = v.find(want);
          if (at != std::string::npos && (at + want.size() == v.size() || v[at + want.size()] == ';')) return true;
        }
    }
    return false;
  }

  void note(const std::string& e) {
    if (journal_) journal_->push_back(e);
  }

  Result<HttpResponse> handle(const HttpRequest& r) {
    if (r.method == "GET" && r.url == dir_url) {
      HttpResponse d;
      d.status = 200;
      d.headers = {{"Content-Type", "application/json"}};
      d.body = directory_body();
      if (hash_prefix) {
        json dir = json::parse(d.body);
        dir["meta"]["accountHashPrefix"] = *hash_prefix;
        dir["meta"]["issuerDomainNames"] = directory_issuers;
        dir["meta"]["caaIdentities"] = directory_issuers;
        d.body = dir.dump();
      }
      return d;
    }
    if (r.method == "HEAD" && r.url == nonce_url) {
      HttpResponse n;
      n.status = 200;
      n.headers = {{"Replay-Nonce", fresh_nonce()}};
      return n;
    }
    std::string payload;
    if (r.method != "POST" || !check_jws(r, payload)) ++bad_jws;

    if (r.url == order_endpoint) return reply(201, order_json(), {{"Location", order_url}});
    for (std::size_t i = 0; i < specs_.size(); ++i) {
      if (r.url == authz_url(i)) {
        ++authz_fetches;
        State& st = state_[i];
        if (st.polls_left == 0) st.status = specs_[i].outcome;
        if (st.polls_left > 0) --st.polls_left;
        return reply(200, authz_json(i));
      }
      for (const auto& type : specs_[i].challenge_types) {
        if (r.url != challenge_url(i, type)) continue;
        challenge_posts.push_back(r.url);
        challenge_payloads.push_back(payload);
        note("answer " + r.url);
        if (type == "dns-persist-01" && hash_prefix && validation_dns && !validates_02(i)) {
          ++refused_validations;
          state_[i].answered_type = type;
          state_[i].status = "invalid";
          HttpResponse p;
          p.status = 403;
          p.headers = problem_headers(fresh_nonce());
          p.body = problem_body("unauthorized", "No valid TXT record found for DNS-PERSIST-01 challenge", 403);
          return p;
        }
        state_[i].answered_type = type;
        state_[i].polls_left = specs_[i].pending_polls;
        if (answer_valid) {
          state_[i].status = "valid";
          state_[i].polls_left = 0;
        }
        return reply(200, {{"type", type},
                           {"url", r.url},
                           {"status", answer_valid ? "valid" : "processing"},
                           {"token", token(i, type)}});
      }
    }
    if (r.url == finalize_url) {
      ++finalize_calls;
      note("finalize");
      csr_der = *base64url_decode(json::parse(payload).at("csr").get<std::string>());
      if (chain_pem.empty()) {
        std::vector<std::string> names;
        for (const auto& spec : specs_) names.push_back(spec.name);
        chain_pem = test::make_chain_pem_for_key(leaf_for(names), csr_public_key(csr_der), "Root A");
      }
      order_status_ = finalize_valid ? finalize_outcome : "processing";
      return reply(200, order_json(), {{"Location", order_url}});
    }
    if (r.url == order_url) {
      if (order_status_ == "processing" && order_processing_polls-- <= 0) order_status_ = finalize_outcome;
      return reply(200, order_json());
    }
    const bool alternate =
        !alt_chain_pem.empty() && std::find(alt_urls.begin(), alt_urls.end(), r.url) != alt_urls.end();
    if (r.url == cert_url || alternate) {
      ++cert_downloads;
      note("download " + r.url);
      HttpResponse c;
      c.status = 200;
      c.headers = {{"Content-Type", "application/pem-certificate-chain"}, {"Replay-Nonce", fresh_nonce()}};
      if (r.url == cert_url && !alt_chain_pem.empty()) {
        std::string links;
        for (const auto& u : alt_urls) links += (links.empty() ? "<" : ", <") + u + ">;rel=\"alternate\"";
        c.headers.push_back({"Link", links});
      }
      c.body = r.url == cert_url ? chain_pem : alt_chain_pem;
      return c;
    }
    return not_found(r.url);
  }

  std::vector<AuthzSpec> specs_;
  std::vector<std::string>* journal_;
  std::vector<State> state_;
  std::string order_status_ = "pending";
  int nonce_counter_ = 0;
  std::set<std::string> issued_;
};

IssueRequest request_for(const std::vector<std::string>& names, std::vector<SolverBinding> solvers) {
  IssueRequest req;
  for (const auto& n : names) {
    auto id = Identifier::parse(n);
    REQUIRE(id);
    req.identifiers.push_back(*id);
  }
  req.solvers = std::move(solvers);
  req.poll = PollPolicy{.initial = 1ms, .max_interval = 5ms, .overall = 5s};
  return req;
}

/// A client wired to `ca`, signed in as the test account.
struct Harness {
  FakeHttpClient http;
  Client client{http, {.directory_url = dir_url}};
  explicit Harness(FakeCa& ca) {
    http.set_handler(ca.handler());
    client.set_account(&account_key(), std::string(account_url));
  }
};

std::size_t index_of(const std::vector<std::string>& v, const std::string& item) {
  auto it = std::find(v.begin(), v.end(), item);
  REQUIRE(it != v.end());
  return static_cast<std::size_t>(it - v.begin());
}

// --- issue_certificate ---------------------------------------------------------------

TEST_CASE("issue_certificate presents, answers, finalizes and downloads for two names", "[issuance]") {
  std::vector<std::string> journal;
  FakeCa ca({{.name = "a.example"}, {.name = "b.example", .pending_polls = 2}}, &journal);
  Harness h(ca);
  FakeSolver solver("fake-http", &journal);
  auto req = request_for({"a.example", "b.example"}, {{"http-01", {}, &solver}});

  auto r = issue_certificate(h.client, req, certificate_key());
  REQUIRE(r);
  CHECK(r->order_url == order_url);
  CHECK(r->certificate_url == cert_url);
  CHECK(r->fullchain_pem == ca.chain_pem);

  // One present per authorization, with the values RFC 8555 §8.1 derives.
  REQUIRE(solver.presented().size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& ctx = solver.presented()[i];
    INFO("authorization " << i);
    CHECK(ctx.identifier.value == (i == 0 ? "a.example" : "b.example"));
    CHECK_FALSE(ctx.wildcard);
    CHECK(ctx.challenge_type == "http-01");
    CHECK(ctx.challenge_url == FakeCa::challenge_url(i, "http-01"));
    CHECK(ctx.token == FakeCa::token(i, "http-01"));
    CHECK(ctx.key_authorization == FakeCa::token(i, "http-01") + "." + account_key().thumbprint());
    CHECK(ctx.account_uri == account_url);
  }
  CHECK(solver.wait_ready_calls() == 1);
  CHECK(solver.active().empty());
  CHECK(solver.cleaned_up().size() == 2);

  // Only the chosen challenge type was answered, each once, with "{}".
  CHECK(ca.challenge_posts == std::vector<std::string>{FakeCa::challenge_url(0, "http-01"), FakeCa::challenge_url(1, "http-01")});
  CHECK(ca.challenge_payloads == std::vector<std::string>{"{}", "{}"});
  CHECK(ca.finalize_calls == 1);
  CHECK(csr_public_key(ca.csr_der) == certificate_key().public_key_der());
  CHECK(ca.bad_jws == 0);
  CHECK(ca.reused_nonce == 0);

  // Present everything, wait once, then answer; clean up after the order is done.
  const auto wait = index_of(journal, "wait_ready");
  CHECK(index_of(journal, "present " + FakeCa::challenge_url(1, "http-01")) < wait);
  CHECK(wait < index_of(journal, "answer " + FakeCa::challenge_url(0, "http-01")));
  CHECK(index_of(journal, "finalize") < index_of(journal, "cleanup " + FakeCa::challenge_url(0, "http-01")));
}

TEST_CASE("issue_certificate skips an authorization that is already valid", "[issuance]") {
  FakeCa ca({{.name = "a.example", .status = "valid"}, {.name = "b.example"}});
  Harness h(ca);
  FakeSolver solver;
  auto r = issue_certificate(h.client, request_for({"a.example", "b.example"}, {{"http-01", {}, &solver}}), certificate_key());
  REQUIRE(r);
  REQUIRE(solver.presented().size() == 1);
  CHECK(solver.presented()[0].identifier.value == "b.example");
  CHECK(ca.challenge_posts == std::vector<std::string>{FakeCa::challenge_url(1, "http-01")});
  CHECK(solver.active().empty());
}

TEST_CASE("issue_certificate fails with unsupported when only unknown challenge types are offered", "[issuance]") {
  FakeCa ca({{.name = "a.example"}, {.name = "b.example", .challenge_types = {"dns-account-01", "future-99"}}});
  Harness h(ca);
  FakeSolver solver;
  auto r = issue_certificate(h.client, request_for({"a.example", "b.example"}, {{"http-01", {}, &solver}}), certificate_key());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::unsupported);
  CHECK_THAT(r.error().message,
             Catch::Contains("b.example") && Catch::Contains("dns-account-01") && Catch::Contains("future-99"));
  CHECK(ca.challenge_posts.empty());
  CHECK(solver.presented().empty());
  CHECK(ca.finalize_calls == 0);
}

TEST_CASE("issue_certificate reports an invalid authorization with the CA's problem and still cleans up", "[issuance]") {
  const std::string detail = "Invalid response from http://b.example/.well-known/acme-challenge/tok-2_http-01: 404";
  FakeCa ca({{.name = "a.example"}, {.name = "b.example", .outcome = "invalid", .pending_polls = 1, .error_detail = detail}});
  Harness h(ca);
  FakeSolver solver;
  auto r = issue_certificate(h.client, request_for({"a.example", "b.example"}, {{"http-01", {}, &solver}}), certificate_key());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::challenge_failed);
  CHECK_THAT(r.error().message, Catch::Contains("b.example"));
  REQUIRE(r.error().problem);
  CHECK(r.error().problem->detail == detail);
  CHECK(r.error().problem->short_type() == "unauthorized");
  CHECK(solver.presented().size() == 2);
  CHECK(solver.cleaned_up().size() == 2);
  CHECK(solver.active().empty());
  CHECK(ca.finalize_calls == 0);
}

TEST_CASE("issue_certificate answers no challenge when a solver cannot present", "[issuance]") {
  FakeCa ca({{.name = "a.example"}, {.name = "b.example"}});
  Harness h(ca);
  FakeSolver solver;
  solver.fail_present_for("b.example");
  auto r = issue_certificate(h.client, request_for({"a.example", "b.example"}, {{"http-01", {}, &solver}}), certificate_key());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::solver);
  CHECK_THAT(r.error().message, Catch::Contains("b.example"));
  CHECK(ca.challenge_posts.empty());
  // cleanup runs for every present, the failed one included (partial work).
  CHECK(solver.presented().size() == 2);
  CHECK(solver.cleaned_up().size() == 2);
  CHECK(solver.active().empty());
}

TEST_CASE("issue_certificate answers no challenge when the solver is not ready", "[issuance]") {
  FakeCa ca({{.name = "a.example"}});
  Harness h(ca);
  FakeSolver solver;
  solver.fail_wait_ready();
  auto r = issue_certificate(h.client, request_for({"a.example"}, {{"http-01", {}, &solver}}), certificate_key());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::timeout);
  CHECK(ca.challenge_posts.empty());
  CHECK(solver.active().empty());
}

TEST_CASE("issue_certificate picks solvers by preference and domain", "[issuance]") {
  FakeCa ca({{.name = "a.example"}, {.name = "www.other.example"}});
  Harness h(ca);
  FakeSolver http_solver("http"), dns_solver("dns");
  auto req = request_for({"a.example", "www.other.example"},
                         {{"http-01", {"other.example"}, &http_solver}, {"dns-01", {}, &dns_solver}});
  auto r = issue_certificate(h.client, req, certificate_key());
  REQUIRE(r);
  REQUIRE(http_solver.presented().size() == 1);
  CHECK(http_solver.presented()[0].identifier.value == "www.other.example");
  CHECK(http_solver.presented()[0].challenge_type == "http-01");
  REQUIRE(dns_solver.presented().size() == 1);
  CHECK(dns_solver.presented()[0].identifier.value == "a.example");
  CHECK(dns_solver.presented()[0].challenge_type == "dns-01");
  CHECK(http_solver.wait_ready_calls() == 1);
  CHECK(dns_solver.wait_ready_calls() == 1);
  std::vector<std::string> posts = ca.challenge_posts;
  std::sort(posts.begin(), posts.end());
  CHECK(posts == std::vector<std::string>{FakeCa::challenge_url(0, "dns-01"), FakeCa::challenge_url(1, "http-01")});
}

TEST_CASE("issue_certificate passes the wildcard flag and the base name to the solver", "[issuance]") {
  FakeCa ca(std::vector<AuthzSpec>{{.name = "*.a.example", .challenge_types = {"dns-01"}}});
  Harness h(ca);
  FakeSolver solver;
  auto r = issue_certificate(h.client, request_for({"*.a.example"}, {{"dns-01", {"a.example"}, &solver}}), certificate_key());
  REQUIRE(r);
  REQUIRE(solver.presented().size() == 1);
  CHECK(solver.presented()[0].identifier.value == "a.example");
  CHECK(solver.presented()[0].wildcard);
}

TEST_CASE("issue_certificate reports an order that turns invalid after finalize", "[issuance]") {
  FakeCa ca({{.name = "a.example"}});
  ca.finalize_outcome = "invalid";
  Harness h(ca);
  FakeSolver solver;
  auto r = issue_certificate(h.client, request_for({"a.example"}, {{"http-01", {}, &solver}}), certificate_key());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::acme_problem);
  REQUIRE(r.error().problem);
  CHECK(r.error().problem->short_type() == "badCSR");
  CHECK(solver.active().empty());
}

TEST_CASE("issue_certificate gives up when authorizations stay pending past the deadline", "[issuance]") {
  FakeCa ca({{.name = "a.example", .pending_polls = 1000000}});
  Harness h(ca);
  FakeSolver solver;
  auto req = request_for({"a.example"}, {{"http-01", {}, &solver}});
  req.poll.overall = 1s;
  auto r = issue_certificate(h.client, req, certificate_key());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::timeout);
  // It polled, and it stopped. Every wait is at least the 1 ms initial delay, so a 1 s
  // deadline allows at most about 1000 polls; one that was not honoured would go on for
  // the CA's million pending polls (and the suite's per-test timeout would fail it).
  CHECK(ca.authz_fetches > 2);
  CHECK(ca.authz_fetches <= 1003);
  CHECK(solver.active().empty());
}

/// A chain as the fake CA would issue it for `leaf` and the CSR's key, unless told otherwise.
std::string chain_for(const test::CertSpec& leaf, const std::string& root_cn = "Root A",
                      const PrivateKey& key = certificate_key(), const PrivateKey* leaf_signer = nullptr) {
  return test::make_chain_pem_for_key(leaf, key.public_key_der(), root_cn, leaf_signer);
}

/// The flow for `names` against `ca` with one http-01 solver, preferring `preferred_chain`.
Result<IssueResult> issue_from(FakeCa& ca, const std::vector<std::string>& names,
                               std::optional<std::string> preferred_chain = std::nullopt) {
  Harness h(ca);
  FakeSolver solver;
  auto req = request_for(names, {{"http-01", {}, &solver}});
  req.preferred_chain = std::move(preferred_chain);
  return issue_certificate(h.client, req, certificate_key());
}

TEST_CASE("issue_certificate selects the preferred alternate chain", "[issuance]") {
  FakeCa ca({{.name = "a.example"}});
  ca.alt_chain_pem = chain_for(leaf_for({"a.example"}), "Root B");
  auto r = issue_from(ca, {"a.example"}, "Root B");
  REQUIRE(r);
  CHECK(r->fullchain_pem == ca.alt_chain_pem);
}

// --- What the CA returned is checked before anything is stored -------------------------

/// The flow for `names` against a CA that answers with `chain`.
Result<IssueResult> issue_with_chain(const std::vector<std::string>& names, const std::string& chain) {
  std::vector<AuthzSpec> specs;
  for (const auto& n : names) specs.push_back({.name = n});
  FakeCa ca(specs);
  ca.chain_pem = chain;
  return issue_from(ca, names);
}

/// The error of a flow whose CA answers with `chain`; it must fail only after finalize.
Error refused(const std::vector<std::string>& names, const std::string& chain) {
  auto r = issue_with_chain(names, chain);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::bad_response);
  CHECK_THAT(r.error().message, Catch::StartsWith("refusing the certificate the CA returned: "));
  return r.error();
}

TEST_CASE("issue_certificate refuses a certificate for another key than the CSR's", "[issuance][verify]") {
  auto other = PrivateKey::generate(KeyType::ec_p256);
  REQUIRE(other);
  auto e = refused({"a.example"}, chain_for(leaf_for({"a.example"}), "Root A", *other));
  CHECK_THAT(e.message, Catch::Contains("public key") && Catch::Contains("not the key of the CSR"));
}

TEST_CASE("issue_certificate refuses a certificate naming more than was ordered", "[issuance][verify]") {
  auto e = refused({"a.example"}, chain_for(leaf_for({"a.example", "evil.example"})));
  CHECK_THAT(e.message, Catch::Contains("names that were not ordered: evil.example"));
  CHECK_THAT(e.message, !Catch::Contains("missing"));
}

TEST_CASE("issue_certificate refuses a certificate lacking an ordered name", "[issuance][verify]") {
  auto e = refused({"a.example", "b.example"}, chain_for(leaf_for({"a.example"})));
  CHECK_THAT(e.message, Catch::Contains("lacks ordered names: b.example"));
}

TEST_CASE("issue_certificate refuses a certificate that replaced a wildcard by its base name", "[issuance][verify]") {
  auto e = refused({"*.a.example"}, chain_for(leaf_for({"a.example"})));
  CHECK_THAT(e.message, Catch::Contains("lacks ordered names: *.a.example") && Catch::Contains("not ordered: a.example"));
}

TEST_CASE("issue_certificate compares DNS names case-insensitively and IP addresses by value", "[issuance][verify]") {
  auto leaf = leaf_for({"A.Example"});
  leaf.ip_addresses = {"2001:0db8:0000::0001"};
  auto r = issue_with_chain({"a.example", "2001:db8::1"}, chain_for(leaf));
  REQUIRE(r);
  auto wildcard = issue_with_chain({"*.a.example", "a.example"}, chain_for(leaf_for({"a.example", "*.A.EXAMPLE"})));
  REQUIRE(wildcard);
}

TEST_CASE("issue_certificate refuses an expired certificate", "[issuance][verify]") {
  auto leaf = leaf_for({"a.example"});
  const auto now = std::chrono::system_clock::now();
  leaf.not_before = now - 24h * 90;
  leaf.not_after = now - 1h;
  auto e = refused({"a.example"}, chain_for(leaf));
  CHECK_THAT(e.message, Catch::Contains("expired"));
}

TEST_CASE("issue_certificate refuses a certificate not yet valid, allowing 5 minutes of clock skew", "[issuance][verify]") {
  auto leaf = leaf_for({"a.example"});
  const auto now = std::chrono::system_clock::now();
  leaf.not_before = now + 1h;
  auto e = refused({"a.example"}, chain_for(leaf));
  CHECK_THAT(e.message, Catch::Contains("not valid before"));
  leaf.not_before = now + 2min;  // a CA clock a little ahead of ours
  REQUIRE(issue_with_chain({"a.example"}, chain_for(leaf)));
}

TEST_CASE("issue_certificate refuses a chain whose issuer names do not link", "[issuance][verify]") {
  auto leaf = leaf_for({"a.example"});
  leaf.issuer_cn = "Some Other Intermediate";
  auto e = refused({"a.example"}, chain_for(leaf));
  CHECK_THAT(e.message, Catch::Contains("certificate 1") && Catch::Contains("not issued by certificate 2") &&
                            Catch::Contains("issuer name"));
}

TEST_CASE("issue_certificate refuses a chain whose signature does not verify", "[issuance][verify]") {
  auto stranger = PrivateKey::generate(KeyType::ec_p256);
  REQUIRE(stranger);
  auto e = refused({"a.example"}, chain_for(leaf_for({"a.example"}), "Root A", certificate_key(), &*stranger));
  CHECK_THAT(e.message, Catch::Contains("certificate 1") && Catch::Contains("signature"));
}

TEST_CASE("issue_certificate checks the preferred alternate chain it picks", "[issuance][verify]") {
  auto other = PrivateKey::generate(KeyType::ec_p256);
  REQUIRE(other);
  FakeCa ca({{.name = "a.example"}});
  ca.alt_chain_pem = chain_for(leaf_for({"a.example"}), "Root B", *other);
  auto r = issue_from(ca, {"a.example"}, "Root B");
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("Root B") && Catch::Contains("not the key of the CSR"));
}

// --- Alternate chains are bounded ------------------------------------------------------

std::vector<std::string> many_alternates(std::size_t n, const std::string& base = "https://ca.test/acme/cert/1/alt/") {
  std::vector<std::string> urls;
  for (std::size_t i = 0; i < n; ++i) urls.push_back(base + std::to_string(i));
  return urls;
}

TEST_CASE("issue_certificate fetches no alternate chain without a preferred chain", "[issuance][alternates]") {
  FakeCa ca({{.name = "a.example"}});
  ca.alt_chain_pem = chain_for(leaf_for({"a.example"}), "Root B");
  ca.alt_urls = many_alternates(150);
  auto r = issue_from(ca, {"a.example"});
  REQUIRE(r);
  CHECK(ca.cert_downloads == 1);
  CHECK(r->fullchain_pem == ca.chain_pem);
}

TEST_CASE("issue_certificate fetches at most 10 alternate chains", "[issuance][alternates]") {
  FakeCa ca({{.name = "a.example"}});
  ca.alt_chain_pem = chain_for(leaf_for({"a.example"}), "Root B");
  ca.alt_urls = many_alternates(150);
  auto r = issue_from(ca, {"a.example"}, "Root B");
  REQUIRE(r);
  CHECK(ca.cert_downloads == 1 + 10);
  CHECK(r->fullchain_pem == ca.alt_chain_pem);
}

TEST_CASE("issue_certificate fetches alternate chains only from the CA's origin", "[issuance][alternates]") {
  FakeCa ca({{.name = "a.example"}});
  ca.alt_chain_pem = chain_for(leaf_for({"a.example"}), "Root B");
  ca.alt_urls = {"https://elsewhere.test/acme/cert/1/alt", "http://ca.test/acme/cert/1/alt",
                 "https://ca.test:8443/acme/cert/1/alt", "https://ca.test.elsewhere.test/alt"};
  auto r = issue_from(ca, {"a.example"}, "Root B");
  REQUIRE(r);
  CHECK(ca.cert_downloads == 1);
  CHECK(r->fullchain_pem == ca.chain_pem);
}

TEST_CASE("issue_certificate needs a registered account", "[issuance]") {
  FakeCa ca({{.name = "a.example"}});
  FakeHttpClient http;
  http.set_handler(ca.handler());
  Client client(http, {.directory_url = dir_url});
  client.set_account(&account_key(), std::nullopt);
  FakeSolver solver;
  auto r = issue_certificate(client, request_for({"a.example"}, {{"http-01", {}, &solver}}), certificate_key());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::invalid_argument);
  CHECK(http.requests().empty());
}

TEST_CASE("issue_certificate polls no authorization whose challenge was answered valid", "[issuance][poll]") {
  FakeCa ca({{.name = "a.example"}, {.name = "b.example"}});
  ca.answer_valid = true;
  ca.order_processing_polls = 0;
  Harness h(ca);
  FakeSolver solver("fake-http");
  auto r = issue_certificate(h.client, request_for({"a.example", "b.example"}, {{"http-01", {}, &solver}}),
                             certificate_key());
  REQUIRE(r);
  CHECK(ca.authz_fetches == 2);  // the two fetches before presenting, no poll after answering
  CHECK(ca.challenge_posts.size() == 2);
  CHECK(ca.finalize_calls == 1);
}

TEST_CASE("issue_certificate polls no order that finalize answered valid", "[issuance][poll]") {
  FakeCa ca({{.name = "a.example"}});
  ca.finalize_valid = true;
  Harness h(ca);
  FakeSolver solver("fake-http");
  auto r = issue_certificate(h.client, request_for({"a.example"}, {{"http-01", {}, &solver}}), certificate_key());
  REQUIRE(r);
  std::size_t order_polls = 0;
  for (const auto& q : h.http.requests()) order_polls += q.url == order_url;
  CHECK(order_polls == 0);
  CHECK(ca.cert_downloads == 1);
}

// --- Helpers -------------------------------------------------------------------------

/// How many polls a schedule needs to see a result that is ready `ready_after` after the answer.
int polls_until(const PollPolicy& p, std::chrono::milliseconds ready_after) {
  std::chrono::milliseconds delay{0}, at{0};
  const auto now = std::chrono::system_clock::now();
  for (int polls = 1; polls < 1000; ++polls) {
    delay = next_poll_delay(delay, p, std::nullopt, now);
    at += delay;
    if (at >= ready_after) return polls;
  }
  return 1000;
}

TEST_CASE("the default poll schedule reaches a fast CA's floor and costs a slow CA at most 2 more polls",
          "[issuance][poll]") {
  const PollPolicy now_default{};
  const PollPolicy one_second{.initial = 1000ms, .growth = 2, .max_interval = 10000ms, .overall = 300s};
  const auto now = std::chrono::system_clock::now();
  CHECK(next_poll_delay(0ms, now_default, std::nullopt, now) <= 250ms);  // the first poll
  CHECK(polls_until(now_default, 50ms) == 1);
  for (std::chrono::milliseconds slow{1}; slow < 180s; slow += 37ms) {
    INFO("a CA that takes " << slow.count() << " ms");
    CHECK(polls_until(now_default, slow) <= polls_until(one_second, slow) + 2);
  }
  CHECK(polls_until(now_default, 3000ms) == 4);  // at 0.1, 0.4, 1.3, 4.0 s
  CHECK(polls_until(one_second, 3000ms) == 2);   // at 1, 3 s
  CHECK(polls_until(now_default, 3100ms) == 4);
  CHECK(polls_until(one_second, 3100ms) == 3);   // at 1, 3, 7 s
}


TEST_CASE("next_poll_delay grows by its factor up to the cap without Retry-After", "[issuance][poll]") {
  const PollPolicy p{.initial = 1000ms, .growth = 2, .max_interval = 10000ms, .overall = 300s};
  const auto now = std::chrono::system_clock::now();
  CHECK(next_poll_delay(0ms, p, std::nullopt, now) == 1000ms);
  CHECK(next_poll_delay(1000ms, p, std::nullopt, now) == 2000ms);
  CHECK(next_poll_delay(4000ms, p, std::nullopt, now) == 8000ms);
  CHECK(next_poll_delay(8000ms, p, std::nullopt, now) == 10000ms);
  CHECK(next_poll_delay(10000ms, p, std::nullopt, now) == 10000ms);
  const PollPolicy d{};
  CHECK(next_poll_delay(0ms, d, std::nullopt, now) == 100ms);
  CHECK(next_poll_delay(100ms, d, std::nullopt, now) == 300ms);
  CHECK(next_poll_delay(8100ms, d, std::nullopt, now) == d.max_interval);
}

TEST_CASE("next_poll_delay honours Retry-After within the cap", "[issuance][poll]") {
  const PollPolicy p{.initial = 1000ms, .max_interval = 10000ms, .overall = 300s};
  const auto now = std::chrono::system_clock::now();
  CHECK(next_poll_delay(1000ms, p, now + 3s, now) == 3000ms);
  CHECK(next_poll_delay(0ms, p, now + 60s, now) == 10000ms);
  const auto past = next_poll_delay(0ms, p, now - 5s, now);
  CHECK(past > 0ms);  // a stale Retry-After must not make the loop spin
  CHECK(past <= p.max_interval);
}

TEST_CASE("next_poll_delay never exceeds max_interval, even for a stale Retry-After", "[issuance][poll]") {
  const PollPolicy fast{.initial = 1ms, .max_interval = 5ms, .overall = 5s};
  const auto now = std::chrono::system_clock::now();
  CHECK(next_poll_delay(1ms, fast, now + 1s, now) <= 5ms);
  CHECK(next_poll_delay(1ms, fast, now - 1s, now) <= 5ms);
  CHECK(next_poll_delay(1ms, fast, now, now) <= 5ms);
}

TEST_CASE("binding_matches limits a solver to its domains", "[issuance]") {
  auto id = [](const char* s) { return *Identifier::parse(s); };
  SolverBinding any{"http-01", {}, nullptr};
  CHECK(binding_matches(any, id("a.example")));
  CHECK(binding_matches(any, id("192.0.2.1")));
  SolverBinding scoped{"dns-01", {"example.com", "example.org"}, nullptr};
  CHECK(binding_matches(scoped, id("example.com")));
  CHECK(binding_matches(scoped, id("www.example.org")));
  CHECK_FALSE(binding_matches(scoped, id("badexample.com")));
  CHECK_FALSE(binding_matches(scoped, id("example.net")));
  SolverBinding star{"dns-01", {"*"}, nullptr};
  CHECK(binding_matches(star, id("anything.test")));
}

TEST_CASE("select_chain picks by the issuer of the topmost certificate", "[issuance]") {
  CertificateChains chains;
  chains.default_chain_pem = test::make_chain_pem({"a.example"}, "Root A");
  chains.alternate_chain_pems = {test::make_chain_pem({"a.example"}, "Root B"), test::make_chain_pem({"a.example"}, "Root C")};
  CHECK(select_chain(chains, std::nullopt) == chains.default_chain_pem);
  CHECK(select_chain(chains, std::string("Root A")) == chains.default_chain_pem);
  CHECK(select_chain(chains, std::string("Root C")) == chains.alternate_chain_pems[1]);
  CHECK(select_chain(chains, std::string("root c")) == chains.default_chain_pem);  // case-sensitive
  CHECK(select_chain(chains, std::string("Root A Intermediate")) == chains.default_chain_pem);
  CHECK(select_chain(chains, std::string("Nobody")) == chains.default_chain_pem);
}


// --- dns-persist-01 shapes Pebble does not produce (in-process fake CA) -----------------

struct PersistHarness {
  test::FakeResolver dns;
  std::unique_ptr<solver::ChallengeSolver> solver;
  explicit PersistHarness(const std::string& record_value, std::vector<std::string> names = {"a.example"}) {
    dns.add_zone("a.example", {{"192.0.2.1", 53, "ns1.a.example"}});
    dns.set_txt("_validation-persist.a.example", {record_value});
    solver::SolverDeps deps;
    deps.resolver = &dns;
    for (const auto& n : names) deps.certificate_identifiers.push_back(*Identifier::parse(n));
    solver::SolverConfig cfg{"dns-persist-01", ConfigValue::make_map("t.yaml:1:1")};
    auto s = solver::make_dns_persist01_factory()->create(cfg, deps);
    REQUIRE(s);
    solver = std::move(*s);
  }
};

const std::string good_record = std::string("ca.test; accounturi=") + account_url;

TEST_CASE("dns-persist-01: an already-valid authorization (reuse or JIT) is not touched", "[issuance][dns-persist-01]") {
  FakeCa ca({{.name = "a.example", .status = "valid", .challenge_types = {"dns-persist-01"}}});
  Harness h(ca);
  PersistHarness p("nothing-published-here");
  auto r = issue_certificate(h.client, request_for({"a.example"}, {{"dns-persist-01", {}, p.solver.get()}}),
                             certificate_key());
  REQUIRE(r);
  CHECK(ca.challenge_posts.empty());
  CHECK(p.dns.queries("192.0.2.1") == 0);  // no preflight needed, none made
}

TEST_CASE("dns-persist-01: a challenge without accounturi (draft -00) falls back to the account URL", "[issuance][dns-persist-01]") {
  FakeCa ca({{.name = "a.example", .challenge_types = {"http-01", "dns-persist-01"}}});
  Harness h(ca);
  PersistHarness p(good_record);
  auto r = issue_certificate(h.client, request_for({"a.example"}, {{"dns-persist-01", {}, p.solver.get()}}),
                             certificate_key());
  REQUIRE(r);
  CHECK(ca.challenge_posts == std::vector<std::string>{FakeCa::challenge_url(0, "dns-persist-01")});
  CHECK(ca.challenge_payloads.at(0) == "{}");
}

TEST_CASE("dns-persist-01: a matching accounturi in the challenge (draft -01) is accepted", "[issuance][dns-persist-01]") {
  FakeCa ca({{.name = "a.example", .challenge_types = {"dns-persist-01"}, .accounturi = std::string(account_url)}});
  Harness h(ca);
  PersistHarness p(good_record);
  REQUIRE(issue_certificate(h.client, request_for({"a.example"}, {{"dns-persist-01", {}, p.solver.get()}}),
                            certificate_key()));
  CHECK(ca.challenge_posts.size() == 1);
}

TEST_CASE("dns-persist-01: a challenge naming the account otherwise (draft -01) is the CA's name for it",
          "[issuance][dns-persist-01]") {
  // Boulder builds the accounturi from its accountURIPrefixes: the authorization was
  // fetched with this account's key, so it names this account, and the record must hold it.
  const std::string alias = "http://boulder.service.consul:4001/acme/acct/1";
  SECTION("a record holding the account URL: not answered, the record to publish shown") {
    FakeCa ca({{.name = "a.example", .challenge_types = {"dns-persist-01"}, .accounturi = alias}});
    Harness h(ca);
    PersistHarness p(good_record);
    auto r = issue_certificate(h.client, request_for({"a.example"}, {{"dns-persist-01", {}, p.solver.get()}}),
                               certificate_key());
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("wrong-account") &&
                                      Catch::Contains("_validation-persist.a.example. 3600 IN TXT \"ca.test; accounturi=" +
                                                      alias + "\""));
    CHECK(ca.challenge_posts.empty());
  }
  SECTION("a record holding the CA's name: answered") {
    FakeCa ca({{.name = "a.example", .challenge_types = {"dns-persist-01"}, .accounturi = alias}});
    Harness h(ca);
    PersistHarness p("ca.test; accounturi=" + alias);
    REQUIRE(issue_certificate(h.client, request_for({"a.example"}, {{"dns-persist-01", {}, p.solver.get()}}),
                              certificate_key()));
    CHECK(ca.challenge_posts.size() == 1);
  }
}

TEST_CASE("dns-persist-01: 11 issuer names, or an empty list, make the challenge malformed", "[issuance][dns-persist-01]") {
  std::vector<std::string> eleven;
  for (int i = 0; i < 11; ++i) eleven.push_back("ca" + std::to_string(i) + ".test");
  for (const auto& issuers : {eleven, std::vector<std::string>{}, std::vector<std::string>{"CA.test"},
                              std::vector<std::string>{"ca.test."}}) {
    FakeCa ca({{.name = "a.example", .challenge_types = {"dns-persist-01"}, .issuers = issuers}});
    Harness h(ca);
    PersistHarness p(good_record);
    auto r = issue_certificate(h.client, request_for({"a.example"}, {{"dns-persist-01", {}, p.solver.get()}}),
                               certificate_key());
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("malformed dns-persist-01 challenge"));
    CHECK(ca.challenge_posts.empty());
  }
}

TEST_CASE("dns-persist-01: a CA that does not offer it is named in one line, with the offered types", "[issuance][dns-persist-01]") {
  FakeCa ca({{.name = "a.example", .challenge_types = {"http-01", "dns-01", "tls-alpn-01"}}});
  Harness h(ca);
  PersistHarness p(good_record);
  auto r = issue_certificate(h.client, request_for({"a.example"}, {{"dns-persist-01", {}, p.solver.get()}}),
                             certificate_key());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::unsupported);
  CHECK(r.error().message == "the CA does not offer dns-persist-01 for a.example (it offers: http-01, dns-01, tls-alpn-01)");
}

TEST_CASE("dns-persist-01: falls back to the next configured solver only when the config lists one", "[issuance][dns-persist-01]") {
  FakeCa ca(std::vector<AuthzSpec>{{.name = "a.example", .challenge_types = {"http-01"}}});
  Harness h(ca);
  PersistHarness p(good_record);
  FakeSolver http;
  auto r = issue_certificate(
      h.client, request_for({"a.example"}, {{"dns-persist-01", {}, p.solver.get()}, {"http-01", {}, &http}}),
      certificate_key());
  REQUIRE(r);
  CHECK(ca.challenge_posts == std::vector<std::string>{FakeCa::challenge_url(0, "http-01")});
}

// --- dns-persist-01 draft -02 against the in-process fake -02 CA ----------------------

constexpr const char* prefix02 = "https://ca.test/account-hash/";

const PrivateKey& earlier_account_key() {
  static const PrivateKey key = [] {
    auto k = PrivateKey::generate(KeyType::ec_p256);
    REQUIRE(k);
    return std::move(*k);
  }();
  return key;
}

/// A -02 CA and the records "the administrator" published, with the solver under test.
struct Persist02 {
  test::FakeResolver dns;
  FakeCa ca;
  Harness h{ca};
  std::unique_ptr<solver::ChallengeSolver> solver;
  explicit Persist02(std::vector<AuthzSpec> authzs, const std::string& bind = "name",
                     std::vector<std::string> earlier = {}, bool force = false)
      : ca(std::move(authzs)) {
    for (const char* zone : {"a.example", "b.example"}) dns.add_zone(zone, {{"192.0.2.1", 53, std::string("ns1.") + zone}});
    ca.hash_prefix = prefix02;
    ca.validation_dns = &dns;
    ca.account_thumbprints = {account_key().thumbprint(), earlier_account_key().thumbprint()};
    solver::SolverDeps deps;
    deps.resolver = &dns;
    deps.earlier_account_thumbprints = std::move(earlier);
    for (const char* n : {"a.example", "b.example"}) deps.certificate_identifiers.push_back(*Identifier::parse(n));
    solver::SolverConfig cfg{"dns-persist-01", ConfigValue::make_map("t.yaml:1:1")};
    cfg.settings.map["bind"] = ConfigValue::make_scalar(bind, "t.yaml:2:3");
    if (force) cfg.settings.map["force"] = ConfigValue::make_scalar("true", "t.yaml:3:3");
    auto made = solver::make_dns_persist01_factory()->create(cfg, deps);
    REQUIRE(made);
    solver = std::move(*made);
  }
  std::string value(const std::string& d, const PrivateKey& key = account_key()) {
    return "ca.test; accounturi=" + std::string(prefix02) + "sha-256/" +
           *persist::account_hash(d, key.thumbprint(), account_url);
  }
  Result<IssueResult> issue(const std::vector<std::string>& names) {
    return issue_certificate(h.client, request_for(names, {{"dns-persist-01", {}, solver.get()}}), certificate_key());
  }
};

const std::vector<std::string> p01 = {"dns-persist-01"};

TEST_CASE("draft -02: a record hashed over its own name validates at the -02 CA", "[issuance][dns-persist-02]") {
  Persist02 t({{.name = "a.example", .challenge_types = p01}});
  t.dns.add_live("_validation-persist.a.example", t.value("a.example"));
  REQUIRE(t.issue({"a.example"}));
  CHECK(t.ca.challenge_posts.size() == 1);
  CHECK(t.ca.refused_validations == 0);
}

TEST_CASE("draft -02: one record hashed over * serves two names (bind: any)", "[issuance][dns-persist-02]") {
  Persist02 t({{.name = "a.example", .challenge_types = p01}, {.name = "b.example", .challenge_types = p01}}, "any");
  const std::string star = t.value("*");
  t.dns.add_live("_validation-persist.a.example", star);
  t.dns.add_live("_validation-persist.b.example", star);
  REQUIRE(t.issue({"a.example", "b.example"}));
  CHECK(t.ca.challenge_posts.size() == 2);
  CHECK(t.ca.refused_validations == 0);
}

TEST_CASE("draft -02: a plain account URL is refused before any challenge POST", "[issuance][dns-persist-02]") {
  Persist02 t({{.name = "a.example", .challenge_types = p01}});
  t.dns.add_live("_validation-persist.a.example", std::string("ca.test; accounturi=") + account_url);
  auto r = t.issue({"a.example"});
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("stale-format") && Catch::Contains(t.value("a.example")));
  CHECK(t.ca.challenge_posts.empty());
}

TEST_CASE("draft -02: after a rollover the record made with the earlier key still validates", "[issuance][dns-persist-02]") {
  Persist02 t({{.name = "a.example", .challenge_types = p01}}, "name", {earlier_account_key().thumbprint()});
  t.dns.add_live("_validation-persist.a.example", t.value("a.example", earlier_account_key()));
  REQUIRE(t.issue({"a.example"}));
  CHECK(t.ca.refused_validations == 0);
}

TEST_CASE("draft -02: the fake CA really validates (a wrong hash forced through is refused)", "[issuance][dns-persist-02]") {
  Persist02 t({{.name = "a.example", .challenge_types = p01}}, "name", {}, true);
  t.dns.add_live("_validation-persist.a.example", t.value("b.example"));
  auto r = t.issue({"a.example"});
  REQUIRE_FALSE(r);
  CHECK(t.ca.refused_validations == 1);
}

TEST_CASE("draft -02: a challenge missing a directory issuer name is malformed, and not answered", "[issuance][dns-persist-02]") {
  Persist02 t({{.name = "a.example", .challenge_types = p01, .issuers = {"other.test"}}});
  t.dns.add_live("_validation-persist.a.example", t.value("a.example"));
  auto r = t.issue({"a.example"});
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("malformed dns-persist-01 challenge") && Catch::Contains("lack ca.test"));
  CHECK(t.ca.challenge_posts.empty());
}

}  // namespace
}  // namespace acmed::acme
