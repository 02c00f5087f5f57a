// SPDX-License-Identifier: Apache-2.0
// File: acmed/app/session.hpp
//
// One run's connection to a CA and its account, built from parts the caller hands in:
// the HTTP client, the state store, the clock, a resolver maker and the solver
// registry. The CLI (the composition root) gives it Beast, the file store, ldns and
// the built-in solvers; tests give it the fake HTTP client, the in-memory store and a
// FixedClock. The account lifecycle lives here: load, register, recover, key
// rollover (file or PKCS#11 token).
//
//   app::SessionParts parts{.config = cfg, .http = std::move(http), .store = std::move(store)};
//   app::Session s(std::move(parts));
//   if (auto r = s.ensure_account(); !r) return fail(r.error());
//   auto order = s.client().new_order(...);
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "acmed/acme/client.hpp"
#include "acmed/config/config.hpp"
#include "acmed/core/clock.hpp"
#include "acmed/dns/resolver.hpp"
#include "acmed/solver/registry.hpp"
#include "acmed/solvers/settings.hpp"
#include "acmed/storage/store.hpp"
#include "acmed/transport/http_client.hpp"

namespace acmed::app {

/// Makes the read-only resolver from the 'dns' settings, on first use.
using ResolverMaker = std::function<Result<std::unique_ptr<dns::Resolver>>(const config::DnsConfig&)>;

struct SessionParts {
  config::GlobalConfig config;  ///< acmed.yaml with command-line overrides applied
  std::string config_dir;       ///< where certs.d/ lives
  std::string work_dir;         ///< solvers' scratch space: <work_dir>/<certificate> (empty: none)
  std::unique_ptr<transport::HttpClient> http;
  std::unique_ptr<storage::StateStore> store;
  const Clock* clock = &system_clock_instance();
  ResolverMaker make_resolver;                     ///< none: solvers that look up DNS cannot run
  const solver::SolverRegistry* solvers = nullptr;  ///< the challenge solvers this build offers
  /// The dns-01 providers' declared settings, so a dns-persist-01 section that names one
  /// is refused with the reason (it would be a DNS write credential).
  std::vector<solver::DeclaredSettings> dns_provider_settings;
};

/// One Session serves every worker thread of a run (renew --all -j N): the account
/// operations are serialized, the resolver is shared behind a lock, and the client's
/// HTTP requests go through one SharedHttpClient (ca.max_in_flight at most at once).
class Session {
 public:
  explicit Session(SessionParts parts);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const config::GlobalConfig& config() const { return parts_.config; }
  const std::string& config_dir() const { return parts_.config_dir; }
  const std::string& work_dir() const { return parts_.work_dir; }
  acme::Client& client() { return *client_; }
  const storage::StateStore& store() const { return *parts_.store; }
  const Clock& clock() const { return *parts_.clock; }
  const solver::SolverRegistry* solvers() const { return parts_.solvers; }
  const std::vector<solver::DeclaredSettings>& dns_provider_settings() const { return parts_.dns_provider_settings; }
  /// storage::ca_id of the configured directory.
  const std::string& ca() const { return ca_id_; }
  std::size_t http_requests() const { return parts_.http->requests_sent(); }
  std::size_t peak_in_flight() const { return parts_.http->peak_in_flight(); }
  /// The read-only DNS resolver, made on first use.
  [[nodiscard]] Result<dns::Resolver*> resolver();

  /// Loads the account for this CA, registering it on first use when allowed. A stored
  /// account URL means no request at all; a key without one asks the CA for it.
  [[nodiscard]] Result<void> ensure_account(bool allow_register = true);
  /// Re-registers the stored key after the CA forgot its URL (accountDoesNotExist for
  /// `failed_url`); nothing to do when another worker already replaced that URL.
  [[nodiscard]] Result<void> recover_account(const std::string& failed_url);
  /// keyChange to a freshly generated key of `type`; both keys stay stored throughout.
  [[nodiscard]] Result<void> rollover_account_key(KeyType type);
  /// keyChange to a key held in a PKCS#11 token; the file key is kept as private_key.old.pem.
  [[nodiscard]] Result<void> rollover_to_token(const std::string& uri);
  /// Registers a new account whose key stays in a PKCS#11 token.
  [[nodiscard]] Result<void> register_token_account(const std::string& uri);
  /// Where the account key lives: a pkcs11: URI, or empty for a file key.
  std::string key_uri() const {
    std::lock_guard account(account_mu_);
    return account_key_ ? account_key_->token_uri() : std::string();
  }
  /// RFC 7638 thumbprint of the loaded account key ("" before ensure_account).
  std::string account_thumbprint() const {
    std::lock_guard account(account_mu_);
    return account_key_ ? account_key_->thumbprint() : std::string();
  }
  /// Where a file account key is stored, for messages.
  std::string account_key_location() const { return store().account_dir(ca_id_) + "/private_key.pem"; }

  /// Saves the renewal state of `name`. A failure is logged and counted, never dropped:
  /// the run reports the count and ends non-zero.
  void save_renewal_state(const std::string& name, const storage::RenewalState& st);
  int state_save_failures() const { return state_save_failures_.load(); }

 private:
  [[nodiscard]] Result<void> register_account();
  /// Keeps the current key's thumbprint beside the account (views read it without the key).
  void note_thumbprint();
  /// Keeps the time of a rollover the CA accepted with the CA facts: a later run retries
  /// JWS verification errors soon after it.
  void note_key_change();
  /// Returns once the CA accepts the new key's signature on a POST-as-GET of the
  /// account (retried for up to 30 s: see acme::ClientOptions).
  [[nodiscard]] Result<void> wait_for_new_key();
  /// private_key.next.pem beside a registered account: asks the CA which key it holds
  /// and, when it is the pending one, finishes the rollover (commit) and uses it.
  void finish_interrupted_rollover();
  [[nodiscard]] Result<PrivateKey> load_token_key(const std::string& uri) const;

  SessionParts parts_;
  std::string ca_id_;
  std::unique_ptr<acme::Client> client_;
  /// Every account key this session loaded, made or rolled over to, kept until the
  /// session ends: workers may still sign with the one a rollover or reload replaced
  /// (a deque never moves its elements).
  std::deque<PrivateKey> keys_;
  PrivateKey* account_key_ = nullptr;  ///< the current one, in keys_
  std::mutex resolver_mu_;
  std::unique_ptr<dns::Resolver> resolver_;  ///< a LockedResolver around the one made
  mutable std::recursive_mutex account_mu_;  ///< account load, registration, recovery, rollover
  bool fresh_key_ = false;  ///< generated in this run, not yet known to the CA
  std::atomic<int> state_save_failures_{0};
};

}  // namespace acmed::app
