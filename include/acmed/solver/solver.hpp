// SPDX-License-Identifier: Apache-2.0
// File: acmed/solver/solver.hpp
//
// The challenge-solver plugin API. The ACME core hands each authorization's
// chosen challenge to a ChallengeSolver; solvers never see the ACME client.
//
//   auto s = factory.create(cfg, deps);            // Result<std::unique_ptr<ChallengeSolver>>
//   (*s)->present(ctx); (*s)->wait_ready(deadline); /* POST {} */ (*s)->cleanup(ctx);
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "acmed/config/value.hpp"
#include "acmed/core/identifier.hpp"
#include "acmed/core/result.hpp"

namespace acmed::dns {
class Resolver;
}

namespace acmed::solver {

/// What a solver kind can do; checked before an order is placed.
struct Capabilities {
  bool wildcard = false;            ///< can validate "*.name" authorizations
  bool ip_identifiers = false;      ///< can validate RFC 8738 IP identifiers
  bool needs_inbound_port = false;  ///< the CA must reach this host
  bool writes_dns = false;          ///< holds DNS write credentials (dns-01 only)
  bool dns_lookups = false;         ///< reads DNS: SolverDeps::resolver is given only then
};

/// One challenge of one authorization, as the CA described it, plus derived values.
struct ChallengeContext {
  Identifier identifier;  ///< the authorization's identifier ("example.com" for "*.example.com")
  bool wildcard = false;
  std::string challenge_type;
  std::string challenge_url;
  std::string token;              ///< empty for token-less challenges (dns-persist-01)
  std::string key_authorization;  ///< token "." thumbprint (RFC 8555 §8.1); empty without a token
  std::string account_uri;        ///< our account URL
  std::optional<std::string> challenge_account_uri;  ///< "accounturi" the CA put in the challenge, if any
  std::vector<std::string> issuer_domain_names;      ///< dns-persist-01 issuers, exactly as sent (C)
  std::string account_thumbprint;  ///< RFC 7638 thumbprint of the account's current key
  // From the CA's directory meta, for dns-persist-01:
  std::vector<std::string> directory_issuer_domain_names;  ///< draft -02 meta.issuerDomainNames (D)
  std::vector<std::string> caa_identities;                 ///< meta.caaIdentities (I)
  std::optional<std::string> account_hash_prefix;          ///< draft -02 meta.accountHashPrefix
};

/// A configured solver instance. present/wait_ready/cleanup are called by the core in that
/// order for every challenge of an order; cleanup is called even when present failed.
class ChallengeSolver {
 public:
  virtual ~ChallengeSolver() = default;
  virtual std::string_view name() const = 0;
  /// Make the response for `ctx` available to the CA.
  [[nodiscard]] virtual Result<void> present(const ChallengeContext& ctx) = 0;
  /// Block until everything presented so far is visible to the CA, or the deadline passes.
  [[nodiscard]] virtual Result<void> wait_ready(std::chrono::steady_clock::time_point deadline) = 0;
  /// Undo what present() did for `ctx`. Safe after a failed or partial present().
  virtual void cleanup(const ChallengeContext& ctx) noexcept = 0;
};

/// A solver section from a certificate config: `type` and the type's own keys.
struct SolverConfig {
  std::string type;      ///< challenge type / factory name, e.g. "http-01"
  ConfigValue settings;  ///< the whole section (a map), origins included
  /// The operator's --force: answer even when the solver's own pre-check fails.
  bool force = false;
};

/// What a solver may use. Read-only services only: DNS writers are wired inside the
/// dns-01 target and appear nowhere in this type.
struct SolverDeps {
  dns::Resolver* resolver = nullptr;  ///< read-only DNS; set only for factories declaring dns_lookups
  std::string work_dir;               ///< private directory for journals; "" = none
  std::vector<Identifier> certificate_identifiers;  ///< every name of the certificate being issued
  /// Thumbprints of keys the account had before rollovers (dns-persist-01 draft -02
  /// records hashed with them still validate).
  std::vector<std::string> earlier_account_thumbprints;
};

class SolverFactory {
 public:
  virtual ~SolverFactory() = default;
  /// Unique registry key, e.g. "http-01".
  virtual std::string_view name() const = 0;
  /// The ACME challenge type this factory answers.
  virtual std::string_view challenge_type() const = 0;
  /// The challenge type a configured instance answers; differs from challenge_type()
  /// only for generic factories such as the external-program solver.
  virtual std::string challenge_type_for(const SolverConfig& /*config*/) const { return std::string(challenge_type()); }
  virtual Capabilities capabilities() const = 0;
  /// Checks the section without side effects; errors name the file:line of the bad key.
  [[nodiscard]] virtual Result<void> validate(const SolverConfig& config) const = 0;
  /// What `acmed config check` should point out about a section that validates (each
  /// line starts with the file:line:column it concerns).
  virtual std::vector<std::string> warnings(const SolverConfig& /*config*/) const { return {}; }
  [[nodiscard]] virtual Result<std::unique_ptr<ChallengeSolver>> create(const SolverConfig& config,
                                                                        const SolverDeps& deps) const = 0;
};

}  // namespace acmed::solver
