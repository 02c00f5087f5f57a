// SPDX-License-Identifier: Apache-2.0
// File: acmed/solvers/solver_base.hpp
//
// SolverBase is the NVI base every built-in solver derives from. The public
// present/wait_ready/cleanup are final: they log with the identifier, time each
// step, keep cleanup idempotent and exception-free, then call the do_* hooks.
//
//   class MySolver final : public SolverBase {
//     Result<void> do_present(const ChallengeContext&) override; void do_cleanup(...) override; };
#pragma once

#include <set>
#include <string>

#include "acmed/solver/solver.hpp"

namespace acmed::solver {

class SolverBase : public ChallengeSolver {
 public:
  explicit SolverBase(std::string name) : name_(std::move(name)) {}
  std::string_view name() const final { return name_; }
  Result<void> present(const ChallengeContext& ctx) final;
  Result<void> wait_ready(std::chrono::steady_clock::time_point deadline) final;
  void cleanup(const ChallengeContext& ctx) noexcept final;

 protected:
  virtual Result<void> do_present(const ChallengeContext& ctx) = 0;
  virtual Result<void> do_wait_ready(std::chrono::steady_clock::time_point /*deadline*/) { return {}; }
  virtual void do_cleanup(const ChallengeContext& ctx) = 0;

 private:
  std::string name_;
  std::set<std::string> presented_;  ///< challenge URLs presented and not yet cleaned up
};

/// base64url(SHA-256(key authorization)) — the dns-01 TXT value (RFC 8555 §8.4).
std::string dns01_txt_value(std::string_view key_authorization);

/// True when `token` is a plausible ACME token (base64url alphabet, 1..256 chars),
/// so it is safe to use as a file name or URL path segment.
bool is_safe_token(std::string_view token);

}  // namespace acmed::solver
