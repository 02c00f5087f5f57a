// SPDX-License-Identifier: Apache-2.0
#include "acmed/acme/client.hpp"

#include <catch2/catch.hpp>

#include "acme_test_util.hpp"
#include "fake_http_client.hpp"
#include "test_certs.hpp"

namespace acmed::acme {
namespace {

using namespace test_util;
using test::FakeHttpClient;
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

ClientOptions options(int bad_nonce_retries = 5) { return {.directory_url = dir_url, .bad_nonce_retries = bad_nonce_retries}; }

/// Directory plus one HEAD newNonce reply, the usual opening of a conversation.
void push_opening(FakeHttpClient& http, const std::string& nonce = "nonce-head", bool eab = false) {
  http.push(200, {{"Content-Type", "application/json"}}, directory_body(eab));
  http.push(200, {{"Replay-Nonce", nonce}, {"Cache-Control", "no-store"}}, "");
}

std::vector<Identifier> one_name() { return {*Identifier::parse("a.example")}; }

TEST_CASE("Client fetches the directory once and caches it", "[client]") {
  FakeHttpClient http;
  http.push(200, {{"Content-Type", "application/json"}}, directory_body());
  Client c(http, options());
  auto d1 = c.directory();
  auto d2 = c.directory();
  REQUIRE(d1);
  REQUIRE(d2);
  CHECK(d2->new_order == order_endpoint);
  REQUIRE(http.requests().size() == 1);
  CHECK(http.requests()[0].method == "GET");
  CHECK(http.requests()[0].url == dir_url);
}

TEST_CASE("Client quotes a plain-text error body without its trailing newline", "[client]") {
  FakeHttpClient http;
  http.push(404, {{"Content-Type", "text/plain; charset=utf-8"}}, "404 page not found\n");
  Client c(http, options());
  auto d = c.directory();
  REQUIRE_FALSE(d);
  CHECK_THAT(d.error().message, Catch::EndsWith("HTTP 404: 404 page not found"));

  FakeHttpClient http2;  // control characters inside stay visible as escapes
  http2.push(500, {{"Content-Type", "text/plain"}}, "bad\x1b[31mred\n");
  Client c2(http2, options());
  auto d2 = c2.directory();
  REQUIRE_FALSE(d2);
  CHECK_THAT(d2.error().message, Catch::EndsWith("HTTP 500: bad\\x1b[31mred"));
}

TEST_CASE("Client reports a directory that is not JSON or not 200", "[client]") {
  FakeHttpClient http;
  http.push(503, {{"Content-Type", "text/html"}}, "<html>down for maintenance</html>");
  Client c(http, options());
  auto d = c.directory();
  REQUIRE_FALSE(d);
  CHECK(d.error().code == Errc::http);
  CHECK_THAT(d.error().message, Catch::Contains("503"));

  FakeHttpClient http2;
  http2.push(200, {{"Content-Type", "text/html"}}, "<html></html>");
  Client c2(http2, options());
  auto d2 = c2.directory();
  REQUIRE_FALSE(d2);
  CHECK(d2.error().code == Errc::bad_response);
}

TEST_CASE("Client sends HEAD newNonce only when the nonce pool is empty", "[client][nonce]") {
  FakeHttpClient http;
  push_opening(http, "nonce-1");
  http.push(201, json_headers("nonce-2", {{"Location", account_url}}), R"({"status":"valid"})");
  http.push(201, json_headers("nonce-3", {{"Location", "https://ca.test/acme/order/1"}}), order_body());
  http.push(200, json_headers(""), order_body());  // no Replay-Nonce: the pool runs dry
  http.push(200, {{"Replay-Nonce", "nonce-4"}}, "");
  http.push(200, json_headers("nonce-5"), order_body());

  Client c(http, options());
  c.set_account(&account_key(), std::nullopt);
  REQUIRE(c.new_account({.contact = {"mailto:admin@example.com"}, .terms_of_service_agreed = true, .eab = std::nullopt}));
  REQUIRE(c.new_order(one_name(), std::nullopt));
  REQUIRE(c.fetch_order("https://ca.test/acme/order/1"));
  REQUIRE(c.fetch_order("https://ca.test/acme/order/1"));

  std::vector<std::string> methods;
  for (const auto& r : http.requests()) methods.push_back(r.method);
  CHECK(methods == std::vector<std::string>{"GET", "HEAD", "POST", "POST", "POST", "HEAD", "POST"});
  CHECK(http.requests()[1].url == nonce_url);
  // Each POST used the freshest nonce available at the time.
  CHECK(decode_jws(http.requests()[2].body).header["nonce"] == "nonce-1");
  CHECK(decode_jws(http.requests()[3].body).header["nonce"] == "nonce-2");
  CHECK(decode_jws(http.requests()[4].body).header["nonce"] == "nonce-3");
  CHECK(decode_jws(http.requests()[6].body).header["nonce"] == "nonce-4");
  CHECK(c.requests_sent() == 7);
}

TEST_CASE("Client fails clearly when newNonce carries no Replay-Nonce", "[client][nonce]") {
  FakeHttpClient http;
  http.push(200, {{"Content-Type", "application/json"}}, directory_body());
  http.push(200, {}, "");
  Client c(http, options());
  c.set_account(&account_key(), account_url);
  auto o = c.new_order(one_name(), std::nullopt);
  REQUIRE_FALSE(o);
  CHECK(o.error().code == Errc::bad_response);
  CHECK_THAT(o.error().message, Catch::Contains("Replay-Nonce"));
  CHECK(count_method(http.requests(), "POST") == 0);
}

TEST_CASE("Client retries a badNonce answer with the nonce that came with it", "[client][nonce]") {
  FakeHttpClient http;
  push_opening(http, "nonce-1");
  http.push(400, problem_headers("nonce-fresh"), problem_body("badNonce", "JWS has an invalid anti-replay nonce", 400));
  http.push(201, json_headers("nonce-3", {{"Location", "https://ca.test/acme/order/1"}}), order_body());
  Client c(http, options());
  c.set_account(&account_key(), account_url);
  auto o = c.new_order(one_name(), std::nullopt);
  REQUIRE(o);
  CHECK(o->url == "https://ca.test/acme/order/1");
  CHECK(count_method(http.requests(), "POST") == 2);
  CHECK(count_method(http.requests(), "HEAD") == 1);
  CHECK(decode_jws(http.requests()[2].body).header["nonce"] == "nonce-1");
  CHECK(decode_jws(http.requests()[3].body).header["nonce"] == "nonce-fresh");
}

TEST_CASE("Client gives up after 1 + bad_nonce_retries POSTs when every answer is badNonce", "[client][nonce]") {
  for (int retries : {0, 1, 3}) {
    INFO("bad_nonce_retries = " << retries);
    FakeHttpClient http;
    int n = 0;
    http.set_handler([&](const HttpRequest& r) -> Result<HttpResponse> {
      HttpResponse resp;
      resp.headers = {{"Replay-Nonce", "nonce-" + std::to_string(++n)}};
      if (r.method == "GET") {
        resp.status = 200;
        resp.headers.push_back({"Content-Type", "application/json"});
        resp.body = directory_body();
      } else if (r.method == "HEAD") {
        resp.status = 200;
      } else {
        resp.status = 400;
        resp.headers.push_back({"Content-Type", "application/problem+json"});
        resp.body = problem_body("badNonce", "bad nonce", 400);
      }
      return resp;
    });
    Client c(http, options(retries));
    c.set_account(&account_key(), account_url);
    auto o = c.new_order(one_name(), std::nullopt);
    REQUIRE_FALSE(o);
    CHECK(o.error().code == Errc::acme_problem);
    CHECK(o.error().is_acme("badNonce"));
    CHECK(count_method(http.requests(), "POST") == static_cast<std::size_t>(1 + retries));
  }
}

TEST_CASE("Client turns a rateLimited problem with Retry-After into an Error carrying both", "[client][problem]") {
  FakeHttpClient http;
  push_opening(http);
  http.push(429, problem_headers("nonce-2", {{"Retry-After", "120"}}),
            problem_body("rateLimited", "too many new orders", 429));
  Client c(http, options());
  c.set_account(&account_key(), account_url);
  const auto before = std::chrono::system_clock::now();
  auto o = c.new_order(one_name(), std::nullopt);
  const auto after = std::chrono::system_clock::now();
  REQUIRE_FALSE(o);
  const Error& e = o.error();
  CHECK(e.code == Errc::acme_problem);
  CHECK(e.is_acme("rateLimited"));
  REQUIRE(e.problem);
  CHECK(e.problem->detail == "too many new orders");
  CHECK(e.problem->status == 429);
  REQUIRE(e.problem->retry_after);
  CHECK(*e.problem->retry_after >= before + std::chrono::seconds(120));
  CHECK(*e.problem->retry_after <= after + std::chrono::seconds(120));
  CHECK_THAT(e.describe(), Catch::Contains("rateLimited: too many new orders; retry after "));
  CHECK(count_method(http.requests(), "POST") == 1);  // rate limits are not retried
  CHECK(c.last_retry_after() == e.problem->retry_after);
}

TEST_CASE("Client rejects an order answered with the wrong Content-Type", "[client]") {
  FakeHttpClient http;
  push_opening(http);
  http.push(201, {{"Content-Type", "text/html"}, {"Replay-Nonce", "n2"}, {"Location", "https://ca.test/acme/order/1"}},
            "<html>" + order_body() + "</html>");
  http.push(200, {{"Content-Type", "text/html"}, {"Replay-Nonce", "n3"}}, order_body());
  Client c(http, options());
  c.set_account(&account_key(), account_url);
  auto o = c.new_order(one_name(), std::nullopt);
  REQUIRE_FALSE(o);
  CHECK(o.error().code == Errc::bad_response);
  CHECK_THAT(o.error().message, Catch::Contains("text/html"));
  auto f = c.fetch_order("https://ca.test/acme/order/1");
  REQUIRE_FALSE(f);
  CHECK(f.error().code == Errc::bad_response);
}

TEST_CASE("Client accepts application/json with parameters", "[client]") {
  FakeHttpClient http;
  push_opening(http);
  http.push(200, {{"Content-Type", "Application/JSON; charset=utf-8"}, {"Replay-Nonce", "n2"}}, order_body());
  Client c(http, options());
  c.set_account(&account_key(), account_url);
  auto o = c.fetch_order("https://ca.test/acme/order/1");
  REQUIRE(o);
  CHECK(o->status == "pending");
}

TEST_CASE("Client reports an HTTP error without a problem document", "[client][problem]") {
  FakeHttpClient http;
  push_opening(http);
  http.push(500, {{"Content-Type", "text/html"}, {"Replay-Nonce", "n2"}}, "<h1>Internal Server Error</h1>");
  Client c(http, options());
  c.set_account(&account_key(), account_url);
  auto o = c.fetch_order("https://ca.test/acme/order/1");
  REQUIRE_FALSE(o);
  CHECK(o.error().code == Errc::http);
  CHECK_THAT(o.error().message, Catch::Contains("500") && Catch::Contains("Internal Server Error"));
  CHECK_FALSE(o.error().problem);
}

TEST_CASE("Client passes transport failures through", "[client]") {
  FakeHttpClient http;
  http.push_error(Error(Errc::network, "connection refused"));
  Client c(http, options());
  auto d = c.directory();
  REQUIRE_FALSE(d);
  CHECK(d.error().code == Errc::network);
  CHECK_THAT(d.error().message, Catch::Contains("connection refused"));
}

TEST_CASE("new_account signs with jwk and later requests use kid", "[client][jws]") {
  FakeHttpClient http;
  push_opening(http, "nonce-1");
  http.push(201, json_headers("nonce-2", {{"Location", account_url}}), R"({"status":"valid","contact":["mailto:a@example.com"]})");
  http.push(201, json_headers("nonce-3", {{"Location", "https://ca.test/acme/order/1"}}), order_body());
  Client c(http, options());
  c.set_account(&account_key(), std::nullopt);
  auto acct = c.new_account({.contact = {"mailto:a@example.com"}, .terms_of_service_agreed = true, .eab = std::nullopt});
  REQUIRE(acct);
  CHECK(acct->url == account_url);
  CHECK(acct->status == "valid");
  CHECK(c.account_url() == account_url);

  const HttpRequest& reg = http.requests()[2];
  CHECK(reg.url == account_endpoint);
  CHECK(request_header(reg, "Content-Type") == "application/jose+json");
  Jws jws = decode_jws(reg.body);
  CHECK(jws.header["alg"] == "ES256");
  CHECK(jws.header["url"] == account_endpoint);
  CHECK(jws.header["nonce"] == "nonce-1");
  CHECK(jws.header["jwk"] == jwk_of(account_key()));
  CHECK_FALSE(jws.header.contains("kid"));
  CHECK(signed_by(jws, account_key()));
  auto payload = json::parse(jws.payload);
  CHECK(payload["contact"] == json{"mailto:a@example.com"});
  CHECK(payload["termsOfServiceAgreed"] == true);
  CHECK_FALSE(payload.contains("externalAccountBinding"));

  // The account URL from Location is the kid of every later request.
  REQUIRE(c.new_order(one_name(), std::nullopt));
  Jws later = decode_jws(http.requests()[3].body);
  CHECK(later.header["kid"] == account_url);
  CHECK_FALSE(later.header.contains("jwk"));
  CHECK(later.header["nonce"] == "nonce-2");
  CHECK(signed_by(later, account_key()));
}

TEST_CASE("new_order signs with kid and lists the identifiers", "[client][jws]") {
  FakeHttpClient http;
  push_opening(http, "nonce-1");
  http.push(201, json_headers("nonce-2", {{"Location", "https://ca.test/acme/order/1"}}), order_body());
  Client c(http, options());
  c.set_account(&account_key(), account_url);
  std::vector<Identifier> ids{*Identifier::parse("a.example"), *Identifier::parse("192.0.2.1")};
  auto o = c.new_order(ids, std::nullopt);
  REQUIRE(o);
  Jws jws = decode_jws(http.requests()[2].body);
  CHECK(jws.header["kid"] == account_url);
  CHECK_FALSE(jws.header.contains("jwk"));
  CHECK(jws.header["url"] == order_endpoint);
  CHECK(signed_by(jws, account_key()));
  auto payload = json::parse(jws.payload);
  CHECK(payload["identifiers"] == json::parse(R"([{"type":"dns","value":"a.example"},{"type":"ip","value":"192.0.2.1"}])"));
  CHECK_FALSE(payload.contains("profile"));
}

TEST_CASE("POST-as-GET sends an empty payload", "[client][jws]") {
  FakeHttpClient http;
  push_opening(http);
  http.push(200, json_headers("n2"),
            R"({"identifier":{"type":"dns","value":"a.example"},"status":"pending","challenges":[]})");
  Client c(http, options());
  c.set_account(&account_key(), account_url);
  auto a = c.fetch_authorization("https://ca.test/acme/authz/1");
  REQUIRE(a);
  const HttpRequest& req = http.requests()[2];
  CHECK(req.method == "POST");
  CHECK(req.url == "https://ca.test/acme/authz/1");
  CHECK(json::parse(req.body)["payload"] == "");
  Jws jws = decode_jws(req.body);
  CHECK(jws.payload.empty());
  CHECK(jws.header["url"] == "https://ca.test/acme/authz/1");
  CHECK(signed_by(jws, account_key()));
}

TEST_CASE("respond_challenge POSTs an empty JSON object", "[client][jws]") {
  FakeHttpClient http;
  push_opening(http);
  http.push(200, json_headers("n2"), R"({"type":"http-01","url":"https://ca.test/acme/chall/1","status":"processing","token":"t"})");
  Client c(http, options());
  c.set_account(&account_key(), account_url);
  auto ch = c.respond_challenge("https://ca.test/acme/chall/1");
  REQUIRE(ch);
  CHECK(ch->status == "processing");
  CHECK(decode_jws(http.requests()[2].body).payload == "{}");
}

TEST_CASE("new_account with external account binding MACs the account JWK", "[client][eab]") {
  const std::string mac_key = "an HMAC key handed out by the CA!";
  FakeHttpClient http;
  push_opening(http, "nonce-1", /*eab=*/true);
  http.push(201, json_headers("nonce-2", {{"Location", account_url}}), R"({"status":"valid"})");
  Client c(http, options());
  c.set_account(&account_key(), std::nullopt);
  auto acct = c.new_account({.contact = {},
                             .terms_of_service_agreed = true,
                             .eab = ExternalAccountBinding{.key_id = "kid-1", .hmac_key_b64url = base64url_encode(mac_key)}});
  REQUIRE(acct);

  Jws outer = decode_jws(http.requests()[2].body);
  CHECK(outer.header.contains("jwk"));
  CHECK(signed_by(outer, account_key()));
  json eab = json::parse(outer.payload).at("externalAccountBinding");
  REQUIRE(eab.is_object());
  const std::string p64 = eab.at("protected"), b64 = eab.at("payload"), s64 = eab.at("signature");
  json eab_header = json::parse(b64url_decode_or_fail(p64));
  CHECK(eab_header == json{{"alg", "HS256"}, {"kid", "kid-1"}, {"url", account_endpoint}});
  CHECK(json::parse(b64url_decode_or_fail(b64)) == jwk_of(account_key()));
  CHECK(b64url_decode_or_fail(s64) == test::openssl_hmac("HS256", mac_key, p64 + "." + b64));
}

TEST_CASE("new_account refuses to register without EAB when the CA requires it", "[client][eab]") {
  FakeHttpClient http;
  http.push(200, {{"Content-Type", "application/json"}}, directory_body(/*eab=*/true));
  Client c(http, options());
  c.set_account(&account_key(), std::nullopt);
  auto acct = c.new_account({.contact = {}, .terms_of_service_agreed = true, .eab = std::nullopt});
  REQUIRE_FALSE(acct);
  CHECK(acct.error().code == Errc::config);
  CHECK_THAT(acct.error().message, Catch::Contains("external account binding"));
  CHECK(http.requests().size() == 1);  // nothing was POSTed

  FakeHttpClient http2;
  http2.push(200, {{"Content-Type", "application/json"}}, directory_body(/*eab=*/true));
  Client c2(http2, options());
  c2.set_account(&account_key(), std::nullopt);
  auto bad = c2.new_account({.contact = {},
                             .terms_of_service_agreed = true,
                             .eab = ExternalAccountBinding{.key_id = "kid-1", .hmac_key_b64url = "not*base64"}});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::config);
}

TEST_CASE("find_account sends onlyReturnExisting with jwk", "[client][account]") {
  FakeHttpClient http;
  push_opening(http);
  http.push(200, json_headers("n2", {{"Location", account_url}}), R"({"status":"valid"})");
  Client c(http, options());
  c.set_account(&account_key(), std::nullopt);
  auto acct = c.find_account();
  REQUIRE(acct);
  CHECK(c.account_url() == account_url);
  Jws jws = decode_jws(http.requests()[2].body);
  CHECK(jws.header.contains("jwk"));
  CHECK(json::parse(jws.payload) == json{{"onlyReturnExisting", true}});
}

TEST_CASE("find_account reports accountDoesNotExist as an ACME problem", "[client][account]") {
  FakeHttpClient http;
  push_opening(http);
  http.push(400, problem_headers("n2"), problem_body("accountDoesNotExist", "No account exists with the provided key", 400));
  Client c(http, options());
  c.set_account(&account_key(), std::nullopt);
  auto acct = c.find_account();
  REQUIRE_FALSE(acct);
  CHECK(acct.error().is_acme("accountDoesNotExist"));
  CHECK_FALSE(c.account_url());
}

TEST_CASE("rollover_key sends an inner JWS signed by the new key", "[client][keychange]") {
  auto new_key = PrivateKey::generate(KeyType::ed25519);
  REQUIRE(new_key);
  FakeHttpClient http;
  push_opening(http, "nonce-1");
  http.push(200, json_headers("nonce-2"), R"({"status":"valid"})");
  http.push(200, json_headers("nonce-3"), R"({"status":"valid"})");
  Client c(http, options());
  c.set_account(&account_key(), account_url);
  REQUIRE(c.rollover_key(*new_key));

  const HttpRequest& req = http.requests()[2];
  CHECK(req.url == key_change_endpoint);
  Jws outer = decode_jws(req.body);
  CHECK(outer.header["kid"] == account_url);
  CHECK(outer.header["url"] == key_change_endpoint);
  CHECK(signed_by(outer, account_key()));

  Jws inner = decode_jws(outer.payload);
  CHECK(inner.header["alg"] == "EdDSA");
  CHECK(inner.header["jwk"] == jwk_of(*new_key));
  CHECK(inner.header["url"] == key_change_endpoint);
  CHECK_FALSE(inner.header.contains("nonce"));  // RFC 8555 §7.3.5: the inner JWS has no nonce
  CHECK_FALSE(inner.header.contains("kid"));
  CHECK(signed_by(inner, *new_key));
  CHECK(json::parse(inner.payload) == json{{"account", account_url}, {"oldKey", jwk_of(account_key())}});

  // From now on the client signs with the new key.
  CHECK(c.account_key() == &*new_key);
  REQUIRE(c.fetch_account());
  Jws next = decode_jws(http.requests()[3].body);
  CHECK(next.header["kid"] == account_url);
  CHECK(signed_by(next, *new_key));
}

TEST_CASE("fetch_account is a POST-as-GET with an empty payload and follows no redirect", "[client][account]") {
  FakeHttpClient http;
  push_opening(http);
  http.push(200, json_headers("nonce-2"), R"({"status":"deactivated"})");
  http.push(301, json_headers("nonce-3", {{"Location", "https://elsewhere.test/acct/1"}}), "");
  Client c(http, options());
  c.set_account(&account_key(), account_url);
  auto a = c.fetch_account();
  REQUIRE(a);
  CHECK(a->status == "deactivated");
  const HttpRequest& req = http.requests().back();
  CHECK(req.url == account_url);
  CHECK(decode_jws(req.body).payload.empty());
  auto moved = c.fetch_account();
  REQUIRE_FALSE(moved);
  CHECK_THAT(moved.error().message, Catch::Contains("redirect (HTTP 301)"));
  CHECK(http.requests().back().url == account_url);  // nothing was sent to the Location
}

TEST_CASE("revoke with the certificate key signs with that key's jwk", "[client][revoke]") {
  auto cert_key = PrivateKey::generate(KeyType::ec_p384);
  REQUIRE(cert_key);
  const std::string der = test::make_certificate_der({.subject_cn = "a.example", .dns_names = {"a.example"}}, *cert_key, *cert_key);
  FakeHttpClient http;
  push_opening(http);
  http.push(200, {{"Replay-Nonce", "n2"}}, "");
  Client c(http, options());
  REQUIRE(c.revoke(der, RevocationReason::key_compromise, &*cert_key));

  const HttpRequest& req = http.requests()[2];
  CHECK(req.url == revoke_endpoint);
  Jws jws = decode_jws(req.body);
  CHECK(jws.header["jwk"] == jwk_of(*cert_key));
  CHECK_FALSE(jws.header.contains("kid"));
  CHECK(jws.header["alg"] == "ES384");
  CHECK(signed_by(jws, *cert_key));
  CHECK(json::parse(jws.payload) == json{{"certificate", base64url_encode(der)}, {"reason", 1}});
}

TEST_CASE("revoke without a certificate key signs with the account kid", "[client][revoke]") {
  FakeHttpClient http;
  push_opening(http);
  http.push(200, {{"Replay-Nonce", "n2"}}, "");
  Client c(http, options());
  c.set_account(&account_key(), account_url);
  REQUIRE(c.revoke("DER", RevocationReason::superseded));
  Jws jws = decode_jws(http.requests()[2].body);
  CHECK(jws.header["kid"] == account_url);
  CHECK(signed_by(jws, account_key()));
  CHECK(json::parse(jws.payload)["reason"] == 4);
}

TEST_CASE("new_order refuses a profile the CA does not offer", "[client]") {
  FakeHttpClient http;
  json dir = json::parse(directory_body());
  dir["meta"]["profiles"] = {{"classic", "c"}};
  http.push(200, {{"Content-Type", "application/json"}}, dir.dump());
  Client c(http, options());
  c.set_account(&account_key(), account_url);
  auto o = c.new_order(one_name(), std::string("shortlived"));
  REQUIRE_FALSE(o);
  CHECK(o.error().code == Errc::config);
  CHECK_THAT(o.error().message, Catch::Contains("shortlived"));
  CHECK(http.requests().size() == 1);
}

TEST_CASE("download_certificate fetches the chain and its alternates", "[client][download]") {
  const std::string main_chain = test::make_chain_pem({"a.example"}, "Root A");
  const std::string alt_chain = test::make_chain_pem({"a.example"}, "Root B");
  FakeHttpClient http;
  push_opening(http);
  http.push(200,
            {{"Content-Type", "application/pem-certificate-chain"},
             {"Replay-Nonce", "n2"},
             {"Link", R"(<https://ca.test/acme/cert/1/1>;rel="alternate", <https://ca.test/dir>;rel="index")"}},
            main_chain);
  http.push(200, {{"Content-Type", "application/pem-certificate-chain"}, {"Replay-Nonce", "n3"}}, alt_chain);
  Client c(http, options());
  c.set_account(&account_key(), account_url);
  auto chains = c.download_certificate("https://ca.test/acme/cert/1", {.alternates = true});
  REQUIRE(chains);
  CHECK(chains->default_chain_pem == main_chain);
  CHECK(chains->alternate_chain_pems == std::vector<std::string>{alt_chain});
  REQUIRE(http.requests().size() == 4);
  CHECK(http.requests()[3].url == "https://ca.test/acme/cert/1/1");
  CHECK(request_header(http.requests()[2], "Accept") == "application/pem-certificate-chain");
  CHECK(decode_jws(http.requests()[2].body).payload.empty());
}

TEST_CASE("download_certificate fetches no alternate chain unless asked to", "[client][download]") {
  const std::string main_chain = test::make_chain_pem({"a.example"}, "Root A");
  std::string links;
  for (int i = 0; i < 150; ++i)
    links += (links.empty() ? "<" : ", <") + std::string("https://ca.test/acme/cert/1/") + std::to_string(i) +
             ">;rel=\"alternate\"";
  FakeHttpClient http;
  push_opening(http);
  http.push(200, {{"Content-Type", "application/pem-certificate-chain"}, {"Replay-Nonce", "n2"}, {"Link", links}},
            main_chain);
  Client c(http, options());
  c.set_account(&account_key(), account_url);
  auto chains = c.download_certificate("https://ca.test/acme/cert/1");
  REQUIRE(chains);
  CHECK(chains->default_chain_pem == main_chain);
  CHECK(chains->alternate_chain_pems.empty());
  CHECK(http.requests().size() == 3);  // directory, newNonce, the certificate
}

/// A client whose CA answers every certificate URL with `chain`, the main one linking `alternates`.
struct AlternatesCa {
  const std::string chain = test::make_chain_pem({"a.example"}, "Root A");
  FakeHttpClient http;
  Client client{http, options()};
  explicit AlternatesCa(const std::vector<std::string>& alternates) {
    std::string links;
    for (const auto& u : alternates) links += (links.empty() ? "<" : ", <") + u + ">;rel=\"alternate\"";
    push_opening(http);
    http.push(200, {{"Content-Type", "application/pem-certificate-chain"}, {"Replay-Nonce", "n2"}, {"Link", links}},
              chain);
    http.set_handler([this](const HttpRequest&) -> Result<HttpResponse> {
      HttpResponse r;
      r.status = 200;
      r.headers = {{"Content-Type", "application/pem-certificate-chain"}, {"Replay-Nonce", "n"}};
      r.body = chain;
      return r;
    });
    client.set_account(&account_key(), account_url);
  }
  std::vector<std::string> urls_after_opening() const {
    std::vector<std::string> out;
    for (std::size_t i = 3; i < http.requests().size(); ++i) out.push_back(http.requests()[i].url);
    return out;
  }
};

TEST_CASE("download_certificate fetches at most max_alternates alternate chains", "[client][download]") {
  std::vector<std::string> offered;
  for (int i = 0; i < 150; ++i) offered.push_back("https://ca.test/acme/cert/1/" + std::to_string(i));
  AlternatesCa ca(offered);
  auto chains = ca.client.download_certificate("https://ca.test/acme/cert/1", {.alternates = true});
  REQUIRE(chains);
  CHECK(chains->alternate_chain_pems.size() == 10);
  CHECK(ca.http.requests().size() == 3 + 10);
  CHECK(ca.urls_after_opening() == std::vector<std::string>(offered.begin(), offered.begin() + 10));

  AlternatesCa two(offered);
  REQUIRE(two.client.download_certificate("https://ca.test/acme/cert/1", {.alternates = true, .max_alternates = 2}));
  CHECK(two.http.requests().size() == 3 + 2);
}

TEST_CASE("download_certificate fetches alternate chains only from the directory's origin", "[client][download]") {
  AlternatesCa ca({"https://elsewhere.test/acme/cert/1/1", "http://ca.test/acme/cert/1/2",
                   "https://ca.test:8443/acme/cert/1/3", "https://ca.test.elsewhere.test/4", "/acme/cert/1/5",
                   "https://CA.test:443/acme/cert/1/6", "https://ca.test/acme/cert/1/7"});
  auto chains = ca.client.download_certificate("https://ca.test/acme/cert/1", {.alternates = true});
  REQUIRE(chains);
  CHECK(ca.urls_after_opening() ==
        std::vector<std::string>{"https://CA.test:443/acme/cert/1/6", "https://ca.test/acme/cert/1/7"});
  CHECK(chains->alternate_chain_pems.size() == 2);
}

TEST_CASE("download_certificate rejects a non-PEM answer", "[client][download]") {
  FakeHttpClient http;
  push_opening(http);
  http.push(200, {{"Content-Type", "application/json"}, {"Replay-Nonce", "n2"}}, "{}");
  Client c(http, options());
  c.set_account(&account_key(), account_url);
  auto chains = c.download_certificate("https://ca.test/acme/cert/1");
  REQUIRE_FALSE(chains);
  CHECK(chains.error().code == Errc::bad_response);
}

TEST_CASE("Client refuses kid requests before the account URL is known", "[client]") {
  FakeHttpClient http;
  push_opening(http);
  Client c(http, options());
  c.set_account(&account_key(), std::nullopt);
  auto o = c.fetch_order("https://ca.test/acme/order/1");
  REQUIRE_FALSE(o);
  CHECK(o.error().code == Errc::invalid_argument);
  CHECK(count_method(http.requests(), "POST") == 0);
}

// --- Renewal information (ARI, RFC 9773) ----------------------------------------------

std::string ari_directory() {
  json d = json::parse(directory_body());
  d["renewalInfo"] = "https://ca.test/acme/renewal-info";
  return d.dump();
}

TEST_CASE("renewal_info GETs <renewalInfo>/<certID> and reads the window and Retry-After", "[client][ari]") {
  FakeHttpClient http;
  http.push(200, {{"Content-Type", "application/json"}}, ari_directory());
  http.push(200, {{"Content-Type", "application/json"}, {"Retry-After", "21600"}},
            R"({"suggestedWindow": {"start": "2026-01-08T10:00:00Z", "end": "2026-01-09T10:00:00Z"}})");
  Client c(http, options());
  auto before = std::chrono::system_clock::now();
  auto ri = c.renewal_info("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
  REQUIRE(ri);
  CHECK(http.requests()[1].method == "GET");
  CHECK(http.requests()[1].url == "https://ca.test/acme/renewal-info/aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
  CHECK(ri->window_end - ri->window_start == std::chrono::hours(24));
  REQUIRE(ri->retry_after);
  CHECK(*ri->retry_after >= before + std::chrono::seconds(21600));
}

TEST_CASE("renewal_info: a 404 is not_found, a reversed window is refused, no renewalInfo is unsupported",
          "[client][ari]") {
  FakeHttpClient http;
  http.push(200, {{"Content-Type", "application/json"}}, ari_directory());
  http.push(404, problem_headers("n1"), problem_body("malformed", "no such certificate", 404));
  http.push(200, {{"Content-Type", "application/json"}},
            R"({"suggestedWindow": {"start": "2026-01-09T10:00:00Z", "end": "2026-01-08T10:00:00Z"}})");
  http.push(500, problem_headers("n2"), problem_body("serverInternal", "try later", 500));
  Client c(http, options());
  auto missing = c.renewal_info("a.b");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::not_found);
  auto reversed = c.renewal_info("a.b");
  REQUIRE_FALSE(reversed);
  CHECK(reversed.error().code == Errc::bad_response);
  CHECK_THAT(reversed.error().message, Catch::StartsWith("renewal information: "));
  auto broken = c.renewal_info("a.b");
  REQUIRE_FALSE(broken);
  CHECK(broken.error().is_acme("serverInternal"));

  FakeHttpClient plain;
  plain.push(200, {{"Content-Type", "application/json"}}, directory_body());
  Client no_ari(plain, options());
  auto none = no_ari.renewal_info("a.b");
  REQUIRE_FALSE(none);
  CHECK(none.error().code == Errc::unsupported);
  CHECK(plain.requests().size() == 1);  // nothing asked beyond the directory
}

TEST_CASE("new_order sends `replaces` only to a CA that offers ARI", "[client][ari]") {
  for (bool ari : {true, false}) {
    INFO("renewalInfo in the directory: " << ari);
    FakeHttpClient http;
    http.push(200, {{"Content-Type", "application/json"}}, ari ? ari_directory() : directory_body());
    http.push(200, {{"Replay-Nonce", "nonce-1"}}, "");
    http.push(201, json_headers("nonce-2", {{"Location", "https://ca.test/acme/order/1"}}), order_body());
    Client c(http, options());
    c.set_account(&account_key(), account_url);
    REQUIRE(c.new_order(one_name(), std::nullopt, std::string("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE")));
    auto payload = json::parse(decode_jws(http.requests()[2].body).payload);
    if (ari)
      CHECK(payload["replaces"] == "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
    else
      CHECK_FALSE(payload.contains("replaces"));
  }
}

}  // namespace
}  // namespace acmed::acme

namespace acmed::acme {
namespace {

using namespace test_util;
using test::FakeHttpClient;

ClientOptions fast_jws_retry() {
  ClientOptions o{.directory_url = dir_url, .bad_nonce_retries = 5};
  o.jws_retry_first_delay = std::chrono::milliseconds(1);
  o.jws_retry_for = std::chrono::seconds(2);
  return o;
}

const char* jws_error = "Unable to validate JWS :: JWS verification error";

TEST_CASE("is_jws_verification_error: malformed/unauthorized problems saying the JWS did not verify", "[client][keychange]") {
  auto problem = [](const std::string& type, const std::string& detail) {
    return Error(Errc::acme_problem, "POST x", Problem{"urn:ietf:params:acme:error:" + type, detail, 400, {}, {}, {}});
  };
  CHECK(is_jws_verification_error(problem("malformed", jws_error)));
  CHECK(is_jws_verification_error(problem("unauthorized", "JWS verification error")));
  CHECK_FALSE(is_jws_verification_error(problem("malformed", "Unable to validate JWS :: Invalid Content-Type header")));
  CHECK_FALSE(is_jws_verification_error(problem("badNonce", "JWS verification error")));
  CHECK_FALSE(is_jws_verification_error(Error(Errc::http, "JWS verification error")));
}

TEST_CASE("After a key rollover, a request refused with a JWS verification error is retried", "[client][keychange]") {
  auto new_key = PrivateKey::generate(KeyType::ec_p256);
  REQUIRE(new_key);
  FakeHttpClient http;
  push_opening(http, "nonce-1");
  http.push(200, json_headers("nonce-2"), R"({"status":"valid"})");  // keyChange
  // The CA's account cache still holds the old key: two refusals, then the new key verifies.
  http.push(400, problem_headers("nonce-3"), problem_body("malformed", jws_error, 400));
  http.push(400, problem_headers("nonce-4"), problem_body("malformed", jws_error, 400));
  http.push(201, json_headers("nonce-5", {{"Location", "https://ca.test/acme/order/1"}}), order_body());
  Client c(http, fast_jws_retry());
  c.set_account(&account_key(), account_url);
  REQUIRE(c.rollover_key(*new_key));
  REQUIRE(c.key_changed_at());
  auto o = c.new_order(one_name(), std::nullopt);
  REQUIRE(o);
  REQUIRE(http.requests().size() == 6);
  for (std::size_t i = 3; i < 6; ++i) CHECK(signed_by(decode_jws(http.requests()[i].body), *new_key));  // never the old key
}

TEST_CASE("JWS verification errors are retried only soon after a rollover, and not forever", "[client][keychange]") {
  SECTION("no rollover known: the error is returned at once") {
    FakeHttpClient http;
    push_opening(http, "nonce-1");
    http.push(400, problem_headers("nonce-2"), problem_body("malformed", jws_error, 400));
    Client c(http, fast_jws_retry());
    c.set_account(&account_key(), account_url);
    auto o = c.new_order(one_name(), std::nullopt);
    REQUIRE_FALSE(o);
    CHECK(count_method(http.requests(), "POST") == 1);
  }
  SECTION("a rollover two minutes ago (another process) is too long ago") {
    FakeHttpClient http;
    push_opening(http, "nonce-1");
    http.push(400, problem_headers("nonce-2"), problem_body("malformed", jws_error, 400));
    Client c(http, fast_jws_retry());
    c.set_account(&account_key(), account_url);
    c.set_key_changed_at(std::chrono::system_clock::now() - std::chrono::minutes(2));
    CHECK_FALSE(c.new_order(one_name(), std::nullopt));
    CHECK(count_method(http.requests(), "POST") == 1);
  }
  SECTION("a rollover seconds ago (another process): retried until the CA accepts") {
    FakeHttpClient http;
    push_opening(http, "nonce-1");
    http.push(400, problem_headers("nonce-2"), problem_body("malformed", jws_error, 400));
    http.push(200, json_headers("nonce-3"), R"({"status":"valid"})");
    Client c(http, fast_jws_retry());
    c.set_account(&account_key(), account_url);
    c.set_key_changed_at(std::chrono::system_clock::now() - std::chrono::seconds(5));
    REQUIRE(c.fetch_account());
    CHECK(count_method(http.requests(), "POST") == 2);
  }
  SECTION("a CA that keeps refusing: given up after jws_retry_for, saying why") {
    FakeHttpClient http;
    int n = 0;
    http.set_handler([&](const transport::HttpRequest& r) -> Result<transport::HttpResponse> {
      transport::HttpResponse resp;
      resp.headers = {{"Replay-Nonce", "nonce-" + std::to_string(++n)}};
      if (r.method == "GET") {
        resp.status = 200;
        resp.headers.push_back({"Content-Type", "application/json"});
        resp.body = directory_body();
      } else if (r.method == "HEAD") {
        resp.status = 200;
      } else {
        resp.status = 400;
        resp.headers.push_back({"Content-Type", "application/problem+json"});
        resp.body = problem_body("malformed", jws_error, 400);
      }
      return resp;
    });
    ClientOptions opts = fast_jws_retry();
    opts.jws_retry_first_delay = std::chrono::milliseconds(20);
    opts.jws_retry_for = std::chrono::seconds(1);
    Client c(http, opts);
    c.set_account(&account_key(), account_url);
    c.set_key_changed_at(std::chrono::system_clock::now());
    auto o = c.new_order(one_name(), std::nullopt);
    REQUIRE_FALSE(o);
    CHECK(o.error().is_acme("malformed"));
    CHECK_THAT(o.error().describe(), Catch::Contains("still refuses its signatures"));
    const auto posts = count_method(http.requests(), "POST");
    CHECK(posts >= 3);
    CHECK(posts <= 8);  // 20, 40, 80, 160, 320 ms... within 1 s: a handful, not a busy loop
  }
  SECTION("other refusals are not retried") {
    FakeHttpClient http;
    push_opening(http, "nonce-1");
    http.push(403, problem_headers("nonce-2"), problem_body("unauthorized", "account is not valid", 403));
    Client c(http, fast_jws_retry());
    c.set_account(&account_key(), account_url);
    c.set_key_changed_at(std::chrono::system_clock::now());
    CHECK_FALSE(c.new_order(one_name(), std::nullopt));
    CHECK(count_method(http.requests(), "POST") == 1);
  }
}

}  // namespace
}  // namespace acmed::acme
