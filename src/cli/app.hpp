// Shared state and helpers for the acmed subcommands.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "acmed/acme/client.hpp"
#include "acmed/config/config.hpp"
#include "acmed/dns/resolver.hpp"
#include "acmed/storage/file_store.hpp"

namespace acmed::cli {

/// Exit codes (documented in README.md).
enum ExitCode : int { exit_ok = 0, exit_failure = 1, exit_config = 2, exit_warning = 3 };

struct GlobalOptions {
  std::string config_dir = "/etc/acmed";
  std::string state_dir = "/var/lib/acmed";
  std::string server;     ///< overrides ca.directory
  std::string ca_bundle;  ///< overrides ca.trust_bundle
  bool agree_tos = false;
  std::vector<std::string> contact;
  std::vector<std::string> dns_resolvers;  ///< overrides dns.resolvers
  int verbosity = 0;  ///< -1 quiet, 0 info, 1 debug, 2 trace
  bool json = false;  ///< --json: machine-readable result on stdout (every command)
};

/// The CA connection of one run: HTTP client, ACME client and the account key.
class Session {
 public:
  /// Loads acmed.yaml (if present) and applies command-line overrides.
  [[nodiscard]] static Result<std::unique_ptr<Session>> open(const GlobalOptions& opts);

  const config::GlobalConfig& config() const { return config_; }
  acme::Client& client() { return *client_; }
  storage::StateStore& store() { return store_; }
  const std::string& ca() const { return ca_id_; }
  std::size_t http_requests() const { return http_->requests_sent(); }
  /// The read-only DNS resolver, created on first use from the 'dns' settings.
  [[nodiscard]] Result<dns::Resolver*> resolver();

  /// Loads the account for this CA, registering it on first use. A stored account URL
  /// means no lookup request at all.
  [[nodiscard]] Result<void> ensure_account(bool allow_register = true);
  /// Re-registers after the CA forgot the stored account URL (accountDoesNotExist).
  [[nodiscard]] Result<void> recover_account();
  /// keyChange to a freshly generated key of `type`, keeping both keys on disk throughout.
  [[nodiscard]] Result<void> rollover_account_key(KeyType type);
  /// keyChange to a key held in a PKCS#11 token; the file key is kept as private_key.old.pem.
  [[nodiscard]] Result<void> rollover_to_token(const std::string& uri);
  /// Registers a new account whose key stays in a PKCS#11 token.
  [[nodiscard]] Result<void> register_token_account(const std::string& uri);
  /// Where the account key lives: a pkcs11: URI, or empty for a file key.
  std::string key_uri() const { return account_key_ ? account_key_->token_uri() : std::string(); }
  /// RFC 7638 thumbprint of the loaded account key ("" before ensure_account).
  std::string account_thumbprint() const { return account_key_ ? account_key_->thumbprint() : std::string(); }

 private:
  Session(config::GlobalConfig cfg, std::string state_dir) : config_(std::move(cfg)), store_(std::move(state_dir)) {}
  [[nodiscard]] Result<void> register_account();
  /// Keeps the current key's thumbprint beside the account (views read it without the key).
  void note_thumbprint();
  [[nodiscard]] Result<PrivateKey> load_token_key(const std::string& uri) const;

  config::GlobalConfig config_;
  storage::FileStateStore store_;
  std::string ca_id_;
  std::unique_ptr<transport::HttpClient> http_;
  std::unique_ptr<acme::Client> client_;
  std::optional<PrivateKey> account_key_;
  std::optional<PrivateKey> previous_key_;
  std::unique_ptr<dns::Resolver> resolver_;
  bool fresh_key_ = false;  ///< generated in this run, not yet known to the CA
};

/// Maps an error to the exit code: config errors 2, everything else 1.
int exit_code_for(const Error& e);
/// Logs the error as one clear line (plus subproblems) and returns its exit code.
int report(const Error& e);

}  // namespace acmed::cli
