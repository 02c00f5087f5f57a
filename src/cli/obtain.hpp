// Obtaining a certificate for one configured certificate, shared by issue and renew,
// plus the pieces renewal scheduling needs (due time, back-off, deploy hooks).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "acmed/core/crypto.hpp"
#include "app.hpp"

namespace acmed::cli {

struct ObtainOptions {
  bool force_persist = false;              ///< --force: answer dns-persist-01 even when preflight fails
  std::optional<std::string> replaces;     ///< ARI certID of the certificate being renewed
  bool store = true;                       ///< false for --dry-run: nothing is written to live/ or archive/
};

struct Obtained {
  int version = 0;  ///< archive version written (0 when not stored)
  CertificateInfo info;
  std::string live_dir;
};

/// Builds the solvers of `cert`, makes sure the account exists, runs the order and stores the result.
[[nodiscard]] Result<Obtained> obtain(Session& s, const GlobalOptions& g, const config::CertificateConfig& cert,
                                      const ObtainOptions& o);

/// Runs the global then the certificate's deploy hooks; failures are returned, never rolled back.
[[nodiscard]] Result<void> run_deploy_hooks(const config::GlobalConfig& global, const config::CertificateConfig& cert,
                                            const Obtained& got);

/// All certificate names in <config-dir>/certs.d, sorted.
std::vector<std::string> configured_certificates(const std::string& config_dir);

}  // namespace acmed::cli
