// SPDX-License-Identifier: Apache-2.0
// File: acmed/solvers/dns_persist01.hpp
//
// The dns-persist-01 solver: READ-ONLY by construction. It links no DNS writer
// (the build refuses to configure if it did), holds no credentials, and never
// creates, changes or deletes a _validation-persist record. Before a challenge is
// answered it verifies the published record on every authoritative server and the
// recursive resolver, and refuses to answer when the record would not validate.
// Settings:
//   issuer: letsencrypt.org          optional; must be one the CA offers
//   policy: auto | wildcard | none   default auto: policy=wildcard exactly for wildcard names
//   persist_until: 2027-06-01        optional: a date, RFC 3339 time, Unix time, or duration (180d)
//   warn_before: 30d                 warn when persistUntil is closer than this
//   bind: name | any                 draft -02 only: hash the record's own name (default), or "*"
//                                    so one value serves every name (see docs/dns-persist-01.md:
//                                    "*" lets anyone who sees two records tell they share an account)
//
// DNS write settings are refused with the reason. This target cannot ask the dns-01
// providers which keys they take, so the composition root passes their declarations
// in (empty in a build without DNS writers; 'provider' is refused regardless, and any
// other unknown key is refused as unknown):
//   registry.add(acmed::solver::make_dns_persist01_factory(builtin_dns_provider_settings()));
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "acmed/persist/records.hpp"
#include "acmed/solver/solver.hpp"
#include "acmed/solvers/settings.hpp"

namespace acmed::solver {

struct PersistSettings {
  std::optional<std::string> issuer;
  persist::PolicyMode policy = persist::PolicyMode::automatic;
  std::optional<std::int64_t> persist_until;  ///< Unix seconds (a duration is resolved against now)
  std::string persist_until_spec;             ///< the configured text ("180d", "2027-06-01"); "" when unset
  bool persist_until_relative = false;        ///< given as a duration: callers anchor it in state
  persist::Bind bind = persist::Bind::name;
  std::chrono::seconds warn_before{30 * 24 * 3600};
  bool force = false;  ///< answer even when preflight fails (`acmed issue --force`)
};

/// Reads and checks a dns-persist-01 section. 'provider', and the keys and section names of
/// `dns_providers`, are refused with the reason.
[[nodiscard]] Result<PersistSettings> read_persist_settings(const ConfigValue& section,
                                                            std::chrono::system_clock::time_point now,
                                                            std::span<const DeclaredSettings> dns_providers = {});

/// `dns_providers`: the dns-01 providers of this build and the settings each declares.
std::unique_ptr<SolverFactory> make_dns_persist01_factory(std::vector<DeclaredSettings> dns_providers = {});

}  // namespace acmed::solver
