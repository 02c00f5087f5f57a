// SPDX-License-Identifier: Apache-2.0
// File: acmed/import/import.hpp
//
// Moving in from certbot and lego without a new ACME account. Reading a tree builds a
// Plan (accounts, certificate lineages, certs.d configurations, and what could not be
// mapped, each with the file and line it came from); applying it writes acmed's state
// and configuration. The source tree is only read.
//
//   import::CertbotOptions o;
//   o.directory_url = "https://acme-v02.api.letsencrypt.org/directory";
//   auto plan = import::read_certbot("/etc/letsencrypt", o);
//   auto done = import::apply(*plan, store, {.config_dir = "/etc/acmed", .dry_run = true});
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "acmed/config/value.hpp"
#include "acmed/core/result.hpp"
#include "acmed/core/secret.hpp"
#include "acmed/storage/store.hpp"

namespace acmed::import {

/// Something the import could not carry over, or the operator should know.
struct Finding {
  std::string where;  ///< "renewal/www.conf:12" or a path
  std::string what;   ///< one line, already escaped
};

struct Account {
  std::string directory_url;
  std::string url;     ///< the account URL the CA gave
  Secret key_pem;      ///< PKCS#8
  std::string thumbprint;
  std::string source;  ///< the directory it came from
};

struct Version {
  std::string fullchain_pem;  ///< verified: parses, and the key matches the first certificate
  Secret key_pem;
  std::string source;         ///< file of the certificate
};

struct Certificate {
  std::string name;
  std::vector<Version> versions;  ///< oldest first; the last one is what the source serves now
  ConfigValue config;             ///< certs.d/NAME.yaml; null when no solver could be mapped
  std::vector<std::string> header;  ///< comment lines for that file
  /// Credential files to write with the configuration (path -> content), mode 0600.
  std::map<std::string, Secret> credentials;
};

struct Plan {
  std::string tool;    ///< "certbot" or "lego"
  std::string source;  ///< the tree
  std::string directory_url;
  std::vector<Account> accounts;  ///< zero or one: acmed keeps one account per CA
  std::vector<Certificate> certificates;
  std::vector<Finding> findings;
};

/// What to do for certificates whose solver cannot be read from the source (lego saves
/// none; certbot's nginx, apache, manual and DNS plugins other than rfc2136).
struct SolverChoice {
  std::string type;     ///< "", "dns-persist-01", "http-01" (standalone) or "webroot"
  std::string webroot;  ///< with "webroot"
  std::string listen;   ///< with "http-01"; default 0.0.0.0:80
};
[[nodiscard]] Result<SolverChoice> parse_solver_choice(const std::string& text);

struct CertbotOptions {
  std::string directory_url;  ///< the CA to import for; "" = the one every lineage uses
  std::string account_id;     ///< certbot's account id; "" = the one the lineages use
  std::string config_dir;     ///< acmed's configuration directory (credential paths)
  SolverChoice fallback;
  std::vector<std::string> only;  ///< lineage names; empty = all
};
[[nodiscard]] Result<Plan> read_certbot(const std::string& tree, const CertbotOptions& o);

struct LegoOptions {
  std::string directory_url;  ///< required unless the tree's server is a known CA
  std::string email;          ///< the account; "" = the only one for that server
  SolverChoice solver;
  std::vector<std::string> only;
};
[[nodiscard]] Result<Plan> read_lego(const std::string& tree, const LegoOptions& o);

struct ApplyOptions {
  std::string config_dir;
  bool dry_run = false;
  bool force = false;
};
struct Action {
  std::string what;  ///< "write", "store", "unchanged", "retire", "skip"
  std::string target;
  std::string detail;
};
/// Writes the plan. Every conflict is found before anything is written: an existing
/// certs.d file, stored certificate or account that differs is replaced only with
/// `force` (an account is then retired, never deleted); identical ones are left alone,
/// so a second run changes nothing. With dry_run nothing is written at all.
[[nodiscard]] Result<std::vector<Action>> apply(const Plan& plan, const storage::StateStore& store,
                                                const ApplyOptions& o);

// The parsers of the source files, exposed for tests and fuzzing.

/// One `key = value` of a certbot (configobj) file, with its section path
/// ("renewalparams", "renewalparams/webroot_map") and 1-based line.
struct ConfEntry {
  std::string section;
  std::string key;
  std::string value;
  int line = 0;
};
[[nodiscard]] Result<std::vector<ConfEntry>> parse_certbot_conf(std::string_view text);
/// certbot's accounts/.../private_key.json: a private JWK, as PKCS#8 PEM.
[[nodiscard]] Result<Secret> certbot_account_key(std::string_view json);
/// certbot's regr.json and lego's account.json: the account URL ("uri").
[[nodiscard]] Result<std::string> certbot_account_url(std::string_view json);
[[nodiscard]] Result<std::string> lego_account_url(std::string_view json);
/// "30 days" -> "30d"; the forms certbot's renew_before_expiry accepts that acmed can say.
[[nodiscard]] Result<std::string> certbot_interval(std::string_view text);

}  // namespace acmed::import
