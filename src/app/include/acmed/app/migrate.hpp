// SPDX-License-Identifier: Apache-2.0
// File: acmed/app/migrate.hpp
//
// Moving a certificate between DNS-01 (writes DNS, holds credentials) and
// DNS-PERSIST-01 (read-only), and back. The file is edited as text so comments and
// layout survive: the dns-01 entry is kept as marked comments, which is what the way
// back restores. Nothing is written until every record the new file needs verifies
// (read-only) and the new text parses; then it replaces the old file atomically,
// keeping its mode.
//
//   auto m = app::migrate_to_persist(session, "shop", {.issuer = "ca.example"});
//   if (m && !m->health.failed) ... m->written is true, m->credentials can be revoked
//   auto back = app::migrate_to_dns01(config_dir, "shop");
#pragma once

#include <string>
#include <vector>

#include "acmed/app/persist.hpp"
#include "acmed/app/session.hpp"

namespace acmed::app {

struct ToPersistOptions {
  std::string issuer;         ///< issuer domain name for the new entry ("" = the CA's)
  std::string persist_until;  ///< persistUntil for the new entry ("" = none)
};

struct ToPersist {
  std::string path;                      ///< certs.d/NAME.yaml
  PersistPlan plan;                      ///< the records the new file needs
  PersistHealth health;                  ///< their read-only check now
  bool written = false;                  ///< the file was switched (only when no record failed)
  std::vector<std::string> credentials;  ///< "provider.key=value" the dns-01 entry used
  std::vector<std::string> still_used_by;  ///< other certificates that use any of them
};
/// `migrate NAME --to dns-persist-01`.
[[nodiscard]] Result<ToPersist> migrate_to_persist(Session& s, const std::string& name, const ToPersistOptions& o);

/// `migrate NAME --to dns-01`: restores the dns-01 entry the way there kept, removes the
/// dns-persist-01 entry it added, and returns the file's path.
[[nodiscard]] Result<std::string> migrate_to_dns01(const std::string& config_dir, const std::string& name);

/// The credential files and systemd credential names a dns-01 entry refers to
/// ("provider.key=value"): the settings its providers declare as credentials.
std::vector<std::string> credentials_of(const config::SolverEntry& entry,
                                        const std::vector<solver::DeclaredSettings>& providers);

}  // namespace acmed::app
