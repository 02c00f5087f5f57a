// SPDX-License-Identifier: Apache-2.0
// File: acmed/config/config.hpp
//
// Typed configuration: the global acmed.yaml and one certs.d/NAME.yaml per
// certificate. Loading is strict: unknown keys and wrong types are errors that
// name file:line:column and what was expected.
//
//   auto global = config::load_global("/etc/acmed/acmed.yaml");
//   auto cert = config::load_certificate("/etc/acmed/certs.d/www.yaml");
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "acmed/config/value.hpp"
#include "acmed/core/crypto.hpp"
#include "acmed/core/identifier.hpp"
#include "acmed/core/result.hpp"

namespace acmed::config {

struct EabConfig {
  std::string key_id;
  std::string hmac_key_file;  ///< file holding the base64url HMAC key (0600)
  std::string algorithm = "HS256";
};

struct CaConfig {
  std::string directory_url;  ///< after resolving shortcuts ("letsencrypt", "letsencrypt-staging")
  std::string trust_bundle;   ///< PEM roots for the CA's HTTPS endpoint; empty = system store
  std::string dry_run_directory;  ///< staging CA for `renew --dry-run`
  /// Requests to the CA in flight at once, whatever `renew -j` says. 4 stays far below
  /// Let's Encrypt's documented per-endpoint request rates even at 10 ms per request.
  int max_in_flight = 4;
};

struct AccountConfig {
  KeyType key_type = KeyType::ec_p256;
  std::string pkcs11_module = "/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so";  ///< for token-held account keys
  std::string pkcs11_pin_file;  ///< file with the token PIN (0600); empty: no PIN
  std::vector<std::string> contact;
  bool agree_tos = false;
  std::optional<EabConfig> eab;
};

struct DnsConfig {
  std::vector<std::string> resolvers;  ///< "IP[:port]"; empty = /etc/resolv.conf
  std::chrono::milliseconds timeout{3000};
  std::string dnssec = "auto";  ///< off | auto (when the trust anchor exists) | on
  std::string trust_anchor;     ///< empty: /usr/share/dns/root.key
};

/// Where acmed keeps its state (accounts, certificate versions, renewal state).
struct StateConfig {
  std::string backend = "file";  ///< file | postgresql (a fleet sharing one store, docs/fleet.md)
  std::string dsn_file;          ///< postgresql: file holding the libpq connection string (0600)
  std::string dsn_credential;    ///< ... or the systemd credential holding it
  std::string key_file;          ///< postgresql: 32-byte key sealing private keys (raw or base64)
  std::string key_credential;    ///< ... or the systemd credential holding it
  std::string node;              ///< this node's name; empty = the host name
};

/// A deploy hook: the program to run and where the configuration names it.
struct Hook {
  std::string path;    ///< absolute
  std::string origin;  ///< "file:line:column" of the entry, for messages
};

struct GlobalConfig {
  CaConfig ca;
  StateConfig state;
  AccountConfig account;
  DnsConfig dns;
  std::vector<Hook> deploy_hooks;  ///< run after every successful issuance/renewal
  /// hooks.mode: queue: the renewal does not run deploy hooks; it queues the certificate
  /// for `acmed deploy --queued`, run as root by acmed-deploy.service.
  bool queue_deploy_hooks = false;
  std::string source;  ///< file it came from, or "" for defaults
};

struct SolverEntry {
  std::string type;
  std::vector<std::string> domains;
  ConfigValue settings;
};

struct CertificateConfig {
  std::string name;
  std::vector<Identifier> identifiers;
  KeyType key_type = KeyType::ec_p256;
  std::vector<SolverEntry> solvers;  ///< preference order
  std::optional<std::string> profile;
  std::optional<std::string> preferred_chain;
  /// Renew when less than this is left; default: 1/3 of the lifetime (1/2 under 10 days). ARI wins.
  std::optional<std::chrono::seconds> renew_before;
  std::vector<Hook> deploy_hooks;  ///< run after the global hooks
  std::string source;
};

/// "30d", "12h", "90m", "45s" or plain seconds.
[[nodiscard]] Result<std::chrono::seconds> parse_duration(const std::string& text);

/// A named CA directory (--server NAME, ca.directory: NAME).
struct DirectoryShortcut {
  std::string name;
  std::string url;
};
/// Every named shortcut, for resolve_directory and the --server help.
const std::vector<DirectoryShortcut>& directory_shortcuts();
/// A shortcut's URL, or the URL itself when it is https; otherwise an error listing the shortcuts.
[[nodiscard]] Result<std::string> resolve_directory(const std::string& text);

/// Parses YAML text into a ConfigValue tree with file:line:column origins.
[[nodiscard]] Result<ConfigValue> parse_yaml(std::string_view text, const std::string& source_name);
/// The tree as YAML (block style, every scalar quoted as YAML needs) that parse_yaml reads
/// back as the same tree; `header` lines become leading comments.
[[nodiscard]] std::string to_yaml(const ConfigValue& root, const std::vector<std::string>& header = {});

/// `text` (a YAML file read from `source`) with `section.key: value` added for each of
/// `settings`, in that order, its comments and layout kept: a section it lacks is
/// appended at the end; into a block-style section the keys go first, indented like
/// its other keys. Fails (the caller says what to add by hand) when a key is already
/// there, or the section is not a block mapping (flow style `{...}`, or empty).
[[nodiscard]] Result<std::string> add_settings(std::string_view text, const std::string& source,
                                               const std::string& section,
                                               const std::vector<std::pair<std::string, ConfigValue>>& settings);

[[nodiscard]] Result<GlobalConfig> load_global(const std::string& path);
[[nodiscard]] Result<GlobalConfig> parse_global(const ConfigValue& root, const std::string& source);
[[nodiscard]] Result<CertificateConfig> load_certificate(const std::string& path);
[[nodiscard]] Result<CertificateConfig> parse_certificate(const ConfigValue& root, const std::string& name,
                                                          const std::string& source);

}  // namespace acmed::config
