// SPDX-License-Identifier: Apache-2.0
#include "acmed/acme/client.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "acmed/acme/wire.hpp"
#include "acmed/core/base64.hpp"
#include "acmed/core/cancel.hpp"
#include "acmed/core/text.hpp"

namespace acmed::acme {
namespace {

using json = nlohmann::json;

json jwk_json(const PrivateKey& key) {
  json j = json::object();
  for (const auto& [k, v] : key.jwk_members()) j[k] = v;
  return j;
}

bool content_type_is(const transport::HttpResponse& r, std::string_view want) {
  auto ct = r.header("Content-Type");
  if (!ct) return false;
  std::string v = *ct;
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  auto semi = v.find(';');
  std::string base = v.substr(0, semi);
  while (!base.empty() && base.back() == ' ') base.pop_back();
  return base == want;
}

Result<void> expect_json(const transport::HttpResponse& r, const std::string& what) {
  if (content_type_is(r, "application/json")) return {};
  return fail(Errc::bad_response, what + ": expected Content-Type application/json, got '" +
                                      r.header("Content-Type").value_or("none") + "'");
}

}  // namespace

bool is_jws_verification_error(const Error& e) {
  if (!e.problem || !(e.is_acme("malformed") || e.is_acme("unauthorized"))) return false;
  std::string d = e.problem->detail;
  std::transform(d.begin(), d.end(), d.begin(), [](unsigned char c) { return std::tolower(c); });
  return d.find("jws verification error") != std::string::npos;
}

Client::Client(transport::HttpClient& http, ClientOptions options) : http_(http), options_(std::move(options)) {}

void Client::set_account(const PrivateKey* key, std::optional<std::string> account_url) {
  std::lock_guard g(mu_);
  key_ = key;
  account_url_ = std::move(account_url);
}

std::optional<std::chrono::system_clock::time_point> Client::last_retry_after() const {
  std::lock_guard g(mu_);
  auto it = retry_after_.find(std::this_thread::get_id());
  return it == retry_after_.end() ? std::nullopt : it->second;
}

void Client::note_retry_after(std::optional<std::chrono::system_clock::time_point> t) {
  std::lock_guard g(mu_);
  retry_after_[std::this_thread::get_id()] = t;
}

Result<transport::HttpResponse> Client::send(transport::HttpRequest req) {
  ++requests_;
  auto r = http_.send(req);
  if (!r) return r;
  nonces_.add(r->header("Replay-Nonce"));
  std::optional<std::chrono::system_clock::time_point> retry_after;
  if (auto ra = r->header("Retry-After")) retry_after = parse_retry_after(*ra, std::chrono::system_clock::now());
  note_retry_after(retry_after);
  return r;
}

Error Client::error_from(const transport::HttpResponse& r, const std::string& what) const {
  auto problem = parse_problem(r.body);
  if (problem && (content_type_is(r, "application/problem+json") || !problem->type.empty())) {
    problem->retry_after = last_retry_after();
    if (problem->status == 0) problem->status = r.status;
    return Error(Errc::acme_problem, what, std::move(*problem));
  }
  // The body's start, without the newline that ends most plain-text bodies ("404 page
  // not found\n" read "404 page not found?"), escaped: it is the server's text.
  std::string_view body = r.body;
  while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back()))) body.remove_suffix(1);
  while (!body.empty() && std::isspace(static_cast<unsigned char>(body.front()))) body.remove_prefix(1);
  const std::string snippet = escape_untrusted(body, 200);
  return Error(Errc::http, what + ": HTTP " + std::to_string(r.status) + (snippet.empty() ? "" : ": " + snippet));
}

Result<Directory> Client::directory() {
  std::lock_guard fetching(directory_mu_);
  if (directory_) return *directory_;
  // A failed fetch answers the workers queued behind it for a while, instead of each
  // waiting out its own connect timeout in turn.
  if (directory_error_ && std::chrono::steady_clock::now() - directory_error_at_ < std::chrono::seconds(30))
    return fail(*directory_error_);
  auto fetched = fetch_directory();
  if (!fetched) {
    directory_error_ = fetched.error();
    directory_error_at_ = std::chrono::steady_clock::now();
    return fetched;
  }
  directory_error_.reset();
  directory_ = std::move(*fetched);
  return *directory_;
}

Result<Directory> Client::fetch_directory() {
  auto r = send({"GET", options_.directory_url, {{"Accept", "application/json"}}, {}});
  if (!r) return fail(r.error().with_context("fetching the ACME directory"));
  if (r->status != 200) return fail(error_from(*r, "fetching the ACME directory " + options_.directory_url));
  if (auto ok = expect_json(*r, "ACME directory"); !ok) return fail(ok.error());
  return parse_directory(r->body);
}

Result<std::string> Client::nonce() {
  if (auto n = nonces_.take()) return *n;
  auto dir = directory();
  if (!dir) return fail(dir.error());
  auto r = send({"HEAD", dir->new_nonce, {}, {}});
  if (!r) return fail(r.error().with_context("fetching a nonce"));
  if (r->status != 200 && r->status != 204) return fail(error_from(*r, "fetching a nonce"));
  if (auto n = nonces_.take()) return *n;
  return fail(Errc::bad_response, "newNonce response carried no usable Replay-Nonce header");
}

Result<std::string> Client::sign(const std::string& url, const std::optional<std::string>& payload,
                                 const std::string& nonce, bool use_jwk, const PrivateKey& key) const {
  json protected_header = {{"alg", key.jws_alg()}, {"nonce", nonce}, {"url", url}};
  if (use_jwk) {
    protected_header["jwk"] = jwk_json(key);
  } else {
    auto kid = account_url();
    if (!kid) return fail(Errc::invalid_argument, "no account URL known; register or look up the account first");
    protected_header["kid"] = *kid;
  }
  std::string p64 = base64url_encode(protected_header.dump());
  std::string b64 = payload ? base64url_encode(*payload) : std::string();  // "" = POST-as-GET (RFC 8555 §6.3)
  auto sig = key.sign(p64 + "." + b64);
  if (!sig) return fail(sig.error());
  return json{{"protected", p64}, {"payload", b64}, {"signature", base64url_encode(*sig)}}.dump();
}

Result<Client::Reply> Client::post(const std::string& url, const std::optional<std::string>& payload, bool use_jwk,
                                   const PrivateKey* signer, std::string_view accept) {
  const PrivateKey* key = signer ? signer : account_key();
  if (!key) return fail(Errc::invalid_argument, "no account key set");
  std::optional<std::chrono::steady_clock::time_point> jws_retry_until;
  auto jws_delay = options_.jws_retry_first_delay;
  for (int bad_nonces = 0;;) {
    auto n = nonce();
    if (!n) return fail(n.error());
    auto body = sign(url, payload, *n, use_jwk, *key);
    if (!body) return fail(body.error());
    auto r = send({"POST", url, {{"Content-Type", "application/jose+json"}, {"Accept", std::string(accept)}}, *body});
    if (!r) return fail(r.error());
    if (r->status >= 400) {
      Error e = error_from(*r, "POST " + url);
      // RFC 8555 §6.5: a badNonce response carries a fresh nonce; retry within a bound.
      if (e.is_acme("badNonce") && bad_nonces < options_.bad_nonce_retries) {
        ++bad_nonces;  // (counted apart from the JWS retries below)
        spdlog::debug("server rejected nonce (badNonce); retrying ({}/{})", bad_nonces, options_.bad_nonce_retries);
        continue;
      }
      // After a rollover, a CA's account cache may not know the new key yet: retry for a while.
      const auto changed = key_changed_at();
      if (!use_jwk && !signer && changed && is_jws_verification_error(e) &&
          std::chrono::system_clock::now() >= *changed &&  // a stamp in the future (clock skew) opens no window
          std::chrono::system_clock::now() - *changed < options_.jws_retry_window) {
        const auto now = std::chrono::steady_clock::now();
        if (!jws_retry_until) jws_retry_until = now + options_.jws_retry_for;
        if (now + jws_delay <= *jws_retry_until) {
          spdlog::warn("POST {}: the CA did not verify the new account key's signature yet ({}); the key changed "
                       "{} s ago, retrying in {} ms",
                       url, escape_untrusted(e.problem->detail),
                       std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - *changed).count(),
                       jws_delay.count());
          if (!sleep_or_cancel(jws_delay)) return fail(Errc::cancelled, "interrupted");
          jws_delay = std::min(jws_delay * 2, std::chrono::milliseconds(4000));
          continue;
        }
        e = e.with_context("the account key changed recently and the CA still refuses its signatures after " +
                           std::to_string(options_.jws_retry_for.count()) + " s");
      }
      return fail(std::move(e));
    }
    auto location = r->header("Location");
    return Reply{std::move(*r), std::move(location)};
  }
}

Result<Client::Reply> Client::get(const std::string& url) { return post(url, std::nullopt); }

Result<Account> Client::new_account(const NewAccountOptions& options) {
  auto dir = directory();
  if (!dir) return fail(dir.error());
  if (!key_) return fail(Errc::invalid_argument, "no account key set");
  if (dir->meta.external_account_required && !options.eab)
    return fail(Errc::config, "this CA requires external account binding: configure an EAB key id and HMAC key");
  json payload = json::object();
  if (!options.contact.empty()) payload["contact"] = options.contact;
  if (options.terms_of_service_agreed) payload["termsOfServiceAgreed"] = true;
  if (options.eab) {
    // RFC 8555 §7.3.4: a JWS over the account JWK, MACed with the CA-issued key.
    auto mac_key = base64url_decode(options.eab->hmac_key_b64url);
    if (!mac_key) return fail(Errc::config, "EAB HMAC key is not valid base64url");
    json ph = {{"alg", options.eab->algorithm}, {"kid", options.eab->key_id}, {"url", dir->new_account}};
    std::string p64 = base64url_encode(ph.dump());
    std::string b64 = base64url_encode(jwk_json(*key_).dump());
    auto mac = hmac(options.eab->algorithm, *mac_key, p64 + "." + b64);
    if (!mac) return fail(mac.error());
    payload["externalAccountBinding"] = {{"protected", p64}, {"payload", b64}, {"signature", base64url_encode(*mac)}};
  }
  auto r = post(dir->new_account, payload.dump(), /*use_jwk=*/true);
  if (!r) return fail(r.error().with_context("registering the account"));
  if (!r->location) return fail(Errc::bad_response, "newAccount response has no Location header");
  if (auto ok = expect_json(r->response, "newAccount"); !ok) return fail(ok.error());
  set_account(account_key(), *r->location);
  return parse_account(r->response.body, *r->location);
}

Result<Account> Client::find_account() {
  auto dir = directory();
  if (!dir) return fail(dir.error());
  auto r = post(dir->new_account, json{{"onlyReturnExisting", true}}.dump(), /*use_jwk=*/true);
  if (!r) return fail(r.error().with_context("looking up the account"));
  if (!r->location) return fail(Errc::bad_response, "account lookup response has no Location header");
  set_account(account_key(), *r->location);
  if (r->response.body.empty()) return Account{*r->location, "valid", {}, {}};
  return parse_account(r->response.body, *r->location);
}

Result<Account> Client::fetch_account() {
  if (!account_url_) return fail(Errc::invalid_argument, "no account URL known");
  auto r = get(*account_url_);
  if (!r) return fail(r.error().with_context("fetching the account"));
  // The transport never follows redirects; the account URL must answer itself
  // (draft-ietf-acme-dns-persist-02 requires this before record values are handed out).
  if (r->response.status >= 300 && r->response.status < 400)
    return fail(Errc::bad_response, "the CA answered the account request with a redirect (HTTP " +
                                        std::to_string(r->response.status) + "), which acmed does not follow");
  return parse_account(r->response.body, *account_url_);
}

Result<Account> Client::update_contact(const std::vector<std::string>& contact) {
  if (!account_url_) return fail(Errc::invalid_argument, "no account URL known");
  auto r = post(*account_url_, json{{"contact", contact}}.dump());
  if (!r) return fail(r.error().with_context("updating the account contact"));
  return parse_account(r->response.body, *account_url_);
}

Result<void> Client::rollover_key(const PrivateKey& new_key) {
  auto dir = directory();
  if (!dir) return fail(dir.error());
  if (!key_ || !account_url_) return fail(Errc::invalid_argument, "rollover needs the current key and account URL");
  // RFC 8555 §7.3.5: inner JWS signed by the new key (jwk, no nonce), outer by the old key (kid).
  json ph = {{"alg", new_key.jws_alg()}, {"jwk", jwk_json(new_key)}, {"url", dir->key_change}};
  std::string p64 = base64url_encode(ph.dump());
  std::string b64 = base64url_encode(json{{"account", *account_url_}, {"oldKey", jwk_json(*key_)}}.dump());
  auto sig = new_key.sign(p64 + "." + b64);
  if (!sig) return fail(sig.error());
  json inner = {{"protected", p64}, {"payload", b64}, {"signature", base64url_encode(*sig)}};
  auto r = post(dir->key_change, inner.dump());
  if (!r) return fail(r.error().with_context("rolling over the account key"));
  // From the CA's 200 on, only the new key is the account's: the old one is never used again.
  set_account(&new_key, account_url());
  set_key_changed_at(std::chrono::system_clock::now());
  return {};
}

Result<Account> Client::deactivate_account() {
  if (!account_url_) return fail(Errc::invalid_argument, "no account URL known");
  auto r = post(*account_url_, json{{"status", "deactivated"}}.dump());
  if (!r) return fail(r.error().with_context("deactivating the account"));
  return parse_account(r->response.body, *account_url_);
}

Result<Order> Client::new_order(const std::vector<Identifier>& identifiers, const std::optional<std::string>& profile,
                                const std::optional<std::string>& replaces) {
  auto dir = directory();
  if (!dir) return fail(dir.error());
  if (profile && !dir->meta.profiles.empty() && !dir->meta.profiles.count(*profile))
    return fail(Errc::config, "the CA does not offer profile '" + *profile + "'");
  json ids = json::array();
  for (const auto& id : identifiers) ids.push_back({{"type", id.type_string()}, {"value", id.value}});
  json payload = {{"identifiers", ids}};
  if (profile) payload["profile"] = *profile;
  if (replaces && dir->renewal_info) payload["replaces"] = *replaces;
  auto r = post(dir->new_order, payload.dump());
  if (!r) return fail(r.error().with_context("creating the order"));
  if (!r->location) return fail(Errc::bad_response, "newOrder response has no Location header");
  if (auto ok = expect_json(r->response, "newOrder"); !ok) return fail(ok.error());
  return parse_order(r->response.body, *r->location);
}

Result<RenewalInfo> Client::renewal_info(const std::string& cert_id) {
  auto dir = directory();
  if (!dir) return fail(dir.error());
  if (!dir->renewal_info) return fail(Errc::unsupported, "the CA does not offer ARI (no renewalInfo in its directory)");
  std::string base = *dir->renewal_info;
  if (!base.empty() && base.back() != '/') base += '/';
  auto r = send({"GET", base + cert_id, {{"Accept", "application/json"}}, {}});
  if (!r) return fail(r.error().with_context("fetching renewal information"));
  if (r->status == 404) return fail(Errc::not_found, "the CA has no renewal information for this certificate");
  if (r->status != 200) return fail(error_from(*r, "fetching renewal information"));
  auto info = parse_renewal_info(r->body);
  if (!info) return fail(info.error());
  info->retry_after = last_retry_after();
  return info;
}

Result<Order> Client::fetch_order(const std::string& url) {
  auto r = get(url);
  if (!r) return fail(r.error().with_context("fetching the order"));
  if (auto ok = expect_json(r->response, "order"); !ok) return fail(ok.error());
  return parse_order(r->response.body, url);
}

Result<Authorization> Client::fetch_authorization(const std::string& url) {
  auto r = get(url);
  if (!r) return fail(r.error().with_context("fetching the authorization"));
  if (auto ok = expect_json(r->response, "authorization"); !ok) return fail(ok.error());
  return parse_authorization(r->response.body, url);
}

Result<Challenge> Client::respond_challenge(const std::string& url) {
  auto r = post(url, std::string("{}"));
  if (!r) return fail(r.error().with_context("answering the challenge"));
  if (auto ok = expect_json(r->response, "challenge"); !ok) return fail(ok.error());
  return parse_challenge(r->response.body);
}

Result<Authorization> Client::deactivate_authorization(const std::string& url) {
  auto r = post(url, json{{"status", "deactivated"}}.dump());
  if (!r) return fail(r.error().with_context("deactivating the authorization"));
  return parse_authorization(r->response.body, url);
}

Result<Order> Client::finalize(const Order& order, const std::string& csr_der) {
  auto r = post(order.finalize, json{{"csr", base64url_encode(csr_der)}}.dump());
  if (!r) return fail(r.error().with_context("finalizing the order"));
  if (auto ok = expect_json(r->response, "finalize"); !ok) return fail(ok.error());
  return parse_order(r->response.body, r->location.value_or(order.url));
}

Result<CertificateChains> Client::download_certificate(const std::string& url, const DownloadOptions& options) {
  auto fetch = [&](const std::string& u) -> Result<transport::HttpResponse> {
    auto r = post(u, std::nullopt, false, nullptr, "application/pem-certificate-chain");
    if (!r) return fail(r.error().with_context("downloading the certificate"));
    if (!content_type_is(r->response, "application/pem-certificate-chain"))
      return fail(Errc::bad_response, "certificate download: expected Content-Type application/pem-certificate-chain, got '" +
                                          r->response.header("Content-Type").value_or("none") + "'");
    if (auto chain = parse_pem_chain(r->response.body); !chain)
      return fail(chain.error().with_context("certificate download from " + u));
    return std::move(r->response);
  };
  auto main = fetch(url);
  if (!main) return fail(main.error());
  CertificateChains out;
  out.default_chain_pem = main->body;
  const auto offered = parse_link_urls(main->headers_named("Link"), "alternate");
  if (!options.alternates) {
    if (!offered.empty()) spdlog::debug("not fetching the {} alternate chain(s) offered: no preferred chain", offered.size());
    return out;
  }
  // A Link header may name any URL; only the CA's own origin gets a signed request.
  auto origin = [](std::string_view u) -> std::optional<std::string> {
    auto p = transport::parse_url(u);
    if (!p) return std::nullopt;
    std::string host = p->host;
    std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
    std::size_t zeros = p->port.find_first_not_of('0');
    return p->scheme + "://" + host + ":" + (zeros == std::string::npos ? "0" : p->port.substr(zeros));
  };
  const auto ca_origin = origin(options_.directory_url);
  std::size_t fetched = 0;
  for (const auto& alt : offered) {
    if (!ca_origin || origin(alt) != ca_origin) {
      spdlog::warn("skipping alternate chain {}: not on the CA's origin", alt);
      continue;
    }
    if (fetched == options.max_alternates) {
      spdlog::warn("the CA offers {} alternate chains; only the first {} on its origin were fetched", offered.size(),
                   options.max_alternates);
      break;
    }
    ++fetched;
    auto a = fetch(alt);
    if (!a) {
      spdlog::warn("skipping alternate chain {}: {}", alt, a.error().describe());
      continue;
    }
    out.alternate_chain_pems.push_back(std::move(a->body));
  }
  return out;
}

Result<void> Client::revoke(const std::string& certificate_der, RevocationReason reason,
                            const PrivateKey* certificate_key) {
  auto dir = directory();
  if (!dir) return fail(dir.error());
  json payload = {{"certificate", base64url_encode(certificate_der)}, {"reason", static_cast<int>(reason)}};
  auto r = post(dir->revoke_cert, payload.dump(), certificate_key != nullptr, certificate_key);
  if (!r) return fail(r.error().with_context("revoking the certificate"));
  return {};
}

}  // namespace acmed::acme
