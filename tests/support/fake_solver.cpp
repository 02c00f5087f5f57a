// SPDX-License-Identifier: Apache-2.0
#include "fake_solver.hpp"

namespace acmed::test {

void FakeSolver::note(std::string event) {
  if (journal_) journal_->push_back(std::move(event));
}

Result<void> FakeSolver::present(const solver::ChallengeContext& ctx) {
  presented_.push_back(ctx);
  active_.insert(ctx.challenge_url);
  note("present " + ctx.challenge_url);
  if (fail_present_.count(ctx.identifier.value))
    return fail(Errc::solver, "FakeSolver: present refused for " + ctx.identifier.value);
  return {};
}

Result<void> FakeSolver::wait_ready(std::chrono::steady_clock::time_point) {
  ++wait_calls_;
  note("wait_ready");
  if (fail_wait_) return fail(Errc::timeout, "FakeSolver: not ready");
  return {};
}

void FakeSolver::cleanup(const solver::ChallengeContext& ctx) noexcept {
  cleaned_up_.push_back(ctx.challenge_url);
  active_.erase(ctx.challenge_url);
  note("cleanup " + ctx.challenge_url);
}

Result<std::unique_ptr<solver::ChallengeSolver>> FakeSolverFactory::create(const solver::SolverConfig&,
                                                                           const solver::SolverDeps&) const {
  return std::unique_ptr<solver::ChallengeSolver>(std::make_unique<FakeSolver>(name_));
}

}  // namespace acmed::test
