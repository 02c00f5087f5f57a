// SPDX-License-Identifier: Apache-2.0
#include "acmed/solvers/solver_base.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "acmed/core/base64.hpp"
#include "acmed/core/crypto.hpp"

namespace acmed::solver {

Result<void> SolverBase::present(const ChallengeContext& ctx) {
  const std::string who = (ctx.wildcard ? "*." : "") + ctx.identifier.value;
  spdlog::debug("[{}] presenting {} for {}", name_, ctx.challenge_type, who);
  auto started = std::chrono::steady_clock::now();
  Result<void> r = fail(Errc::solver, "solver threw");
  try {
    r = do_present(ctx);
  } catch (const std::exception& e) {
    r = fail(Errc::solver, std::string("unexpected error: ") + e.what());
  }
  // Record even failed presents: cleanup must undo partial work.
  presented_.insert(ctx.challenge_url);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  if (r) spdlog::info("[{}] {} presented for {} ({} ms)", name_, ctx.challenge_type, who, ms);
  return r;
}

Result<void> SolverBase::wait_ready(std::chrono::steady_clock::time_point deadline) {
  try {
    return do_wait_ready(deadline);
  } catch (const std::exception& e) {
    return fail(Errc::solver, std::string("unexpected error while waiting: ") + e.what());
  }
}

void SolverBase::cleanup(const ChallengeContext& ctx) noexcept {
  if (presented_.erase(ctx.challenge_url) == 0) return;  // never presented, or already cleaned up
  try {
    do_cleanup(ctx);
    spdlog::debug("[{}] cleaned up {} for {}", name_, ctx.challenge_type, ctx.identifier.value);
  } catch (const std::exception& e) {
    spdlog::warn("[{}] cleanup for {} failed: {}", name_, ctx.identifier.value, e.what());
  }
}

std::string dns01_txt_value(std::string_view key_authorization) {
  return base64url_encode(sha256(key_authorization));
}

bool is_safe_token(std::string_view token) {
  return !token.empty() && token.size() <= 256 &&
         std::all_of(token.begin(), token.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

}  // namespace acmed::solver
