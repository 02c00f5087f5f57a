// SPDX-License-Identifier: Apache-2.0
// File: acmed/acme/client.hpp
//
// The RFC 8555 protocol client: directory, nonces, JWS, accounts, orders,
// authorizations, finalize, download, revocation and key rollover. It speaks
// through an abstract HttpClient and knows nothing about solvers or storage.
//
//   acme::Client c(http, {.directory_url = "https://127.0.0.1:14000/dir"});
//   c.set_account(key, cached_url);           // kid requests, no lookup
//   auto order = c.new_order(ids, std::nullopt);
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "acmed/acme/nonce_pool.hpp"
#include "acmed/acme/types.hpp"
#include "acmed/core/crypto.hpp"
#include "acmed/core/result.hpp"
#include "acmed/transport/http_client.hpp"

namespace acmed::acme {

struct ClientOptions {
  std::string directory_url;
  int bad_nonce_retries = 10;  ///< extra attempts after a badNonce answer (each carries a fresh nonce)
  /// A CA that caches accounts (Boulder's WFE) may fail the new key's signatures for a
  /// while after keyChange. Within `jws_retry_window` of the last rollover (see
  /// Client::set_key_changed_at), a request signed with the account key and refused with a
  /// JWS verification error is retried with back-off (from `jws_retry_first_delay`,
  /// doubling, at most 4 s apart) for up to `jws_retry_for`.
  std::chrono::seconds jws_retry_window{60};
  std::chrono::seconds jws_retry_for{30};
  std::chrono::milliseconds jws_retry_first_delay{250};
};

/// True for a CA's refusal of a request's signature: a malformed or unauthorized problem
/// whose detail says the JWS did not verify (Boulder and Pebble: "JWS verification error").
bool is_jws_verification_error(const Error& e);

/// What Client::download_certificate fetches besides the certificate itself.
struct DownloadOptions {
  /// Also fetch the alternate chains the CA links to (Link rel="alternate", RFC 8555
  /// §7.4.2); only worth their requests when a preferred chain is configured.
  bool alternates = false;
  std::size_t max_alternates = 10;  ///< more offered ones are not fetched (logged)
};

class Client {
 public:
  Client(transport::HttpClient& http, ClientOptions options);

  /// Fetches and caches the directory (one GET per Client).
  [[nodiscard]] Result<Directory> directory();

  /// The key every signed request uses, and the account URL when known (kid).
  void set_account(const PrivateKey* key, std::optional<std::string> account_url);
  std::optional<std::string> account_url() const {
    std::lock_guard g(mu_);
    return account_url_;
  }
  const PrivateKey* account_key() const {
    std::lock_guard g(mu_);
    return key_;
  }

  [[nodiscard]] Result<Account> new_account(const NewAccountOptions& options);
  /// newAccount with onlyReturnExisting; fails with accountDoesNotExist when there is none.
  [[nodiscard]] Result<Account> find_account();
  [[nodiscard]] Result<Account> fetch_account();
  [[nodiscard]] Result<Account> update_contact(const std::vector<std::string>& contact);
  /// When the account key last changed (kept in state by the caller: a rollover and the
  /// next renew are separate processes); requests soon after it retry JWS verification errors.
  void set_key_changed_at(std::optional<std::chrono::system_clock::time_point> t) {
    std::lock_guard g(mu_);
    key_changed_at_ = t;
  }
  std::optional<std::chrono::system_clock::time_point> key_changed_at() const {
    std::lock_guard g(mu_);
    return key_changed_at_;
  }
  /// keyChange (RFC 8555 §7.3.5). On success the client signs with `new_key` from then on
  /// (never again with the old one) and notes the time as with set_key_changed_at.
  [[nodiscard]] Result<void> rollover_key(const PrivateKey& new_key);
  [[nodiscard]] Result<Account> deactivate_account();

  /// `replaces` is the ARI certID of the certificate this order renews (RFC 9773 §5).
  [[nodiscard]] Result<Order> new_order(const std::vector<Identifier>& identifiers,
                                        const std::optional<std::string>& profile,
                                        const std::optional<std::string>& replaces = std::nullopt);
  /// ARI (RFC 9773): the CA's suggested renewal window for `cert_id`; unauthenticated GET.
  [[nodiscard]] Result<RenewalInfo> renewal_info(const std::string& cert_id);
  [[nodiscard]] Result<Order> fetch_order(const std::string& url);
  [[nodiscard]] Result<Authorization> fetch_authorization(const std::string& url);
  /// POSTs {} to the challenge URL (RFC 8555 §7.5.1).
  [[nodiscard]] Result<Challenge> respond_challenge(const std::string& url);
  [[nodiscard]] Result<Authorization> deactivate_authorization(const std::string& url);
  [[nodiscard]] Result<Order> finalize(const Order& order, const std::string& csr_der);
  /// Downloads the chain and, when `options` ask for them, at most `max_alternates` of the
  /// alternate chains the CA links to on its own origin (the directory URL's scheme, host
  /// and port). Every download is bounded by the HTTP client's body limit.
  [[nodiscard]] Result<CertificateChains> download_certificate(const std::string& url,
                                                               const DownloadOptions& options = {});
  /// Signed by the account key, or by the certificate's key when `certificate_key` is given.
  [[nodiscard]] Result<void> revoke(const std::string& certificate_der, RevocationReason reason,
                                    const PrivateKey* certificate_key = nullptr);

  /// Retry-After of the last response, if it carried one.
  /// (Per thread: a client shared by the workers of one run tells each its own.)
  std::optional<std::chrono::system_clock::time_point> last_retry_after() const;
  /// HTTP requests this client sent (HEAD newNonce included).
  std::size_t requests_sent() const { return requests_.load(); }

 private:
  struct Reply {
    transport::HttpResponse response;
    std::optional<std::string> location;
  };
  [[nodiscard]] Result<Directory> fetch_directory();
  [[nodiscard]] Result<Reply> get(const std::string& url);
  /// Signs and POSTs `payload` (nullopt = POST-as-GET). Handles nonces and badNonce retries.
  [[nodiscard]] Result<Reply> post(const std::string& url, const std::optional<std::string>& payload,
                                   bool use_jwk = false, const PrivateKey* signer = nullptr,
                                   std::string_view accept = "application/json");
  [[nodiscard]] Result<std::string> nonce();
  [[nodiscard]] Result<transport::HttpResponse> send(transport::HttpRequest req);
  [[nodiscard]] Result<std::string> sign(const std::string& url, const std::optional<std::string>& payload,
                                         const std::string& nonce, bool use_jwk, const PrivateKey& key) const;
  [[nodiscard]] Error error_from(const transport::HttpResponse& r, const std::string& what) const;

  /// The Retry-After of the last response this thread received (not_after: none).
  void note_retry_after(std::optional<std::chrono::system_clock::time_point> t);

  // Several threads may share one Client (renew --all -j N): the directory, account and
  // Retry-After state are guarded, the nonce pool guards itself, and the HttpClient
  // must be safe to share (transport::SharedHttpClient).
  transport::HttpClient& http_;
  ClientOptions options_;
  mutable std::mutex mu_;
  std::mutex directory_mu_;  ///< held while the directory is fetched: one fetch serves all
  std::optional<Directory> directory_;
  std::optional<Error> directory_error_;  ///< the last failed fetch, reused for 30 s
  std::chrono::steady_clock::time_point directory_error_at_;
  NoncePool nonces_;
  const PrivateKey* key_ = nullptr;
  std::optional<std::string> account_url_;
  std::optional<std::chrono::system_clock::time_point> key_changed_at_;
  std::map<std::thread::id, std::optional<std::chrono::system_clock::time_point>> retry_after_;
  std::atomic<std::size_t> requests_{0};
};

}  // namespace acmed::acme
