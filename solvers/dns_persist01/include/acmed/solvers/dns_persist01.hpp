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
//   registry.add(acmed::solver::make_dns_persist01_factory());
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "acmed/persist/records.hpp"
#include "acmed/solver/solver.hpp"

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

/// Reads and checks a dns-persist-01 section. DNS credential keys are rejected with the reason.
[[nodiscard]] Result<PersistSettings> read_persist_settings(const ConfigValue& section,
                                                            std::chrono::system_clock::time_point now);

std::unique_ptr<SolverFactory> make_dns_persist01_factory();

}  // namespace acmed::solver
