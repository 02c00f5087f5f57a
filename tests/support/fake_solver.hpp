// SPDX-License-Identifier: Apache-2.0
// FakeSolver: a ChallengeSolver that records every call and can be told to fail.
// FakeSolverFactory: a SolverFactory with a chosen name, for registry tests.
//
//   FakeSolver s;                       // name "fake"
//   s.fail_present_for("b.example");    // present() for that identifier fails
//   ... issue_certificate(...) ...
//   CHECK(s.cleaned_up() == s.presented());
#pragma once

#include <set>
#include <string>
#include <vector>

#include "acmed/solver/solver.hpp"

namespace acmed::test {

class FakeSolver final : public solver::ChallengeSolver {
 public:
  explicit FakeSolver(std::string name = "fake", std::vector<std::string>* journal = nullptr)
      : name_(std::move(name)), journal_(journal) {}

  /// present() for this identifier value fails with Errc::solver.
  void fail_present_for(std::string identifier) { fail_present_.insert(std::move(identifier)); }
  /// wait_ready() fails with Errc::timeout.
  void fail_wait_ready() { fail_wait_ = true; }

  std::string_view name() const override { return name_; }
  Result<void> present(const solver::ChallengeContext& ctx) override;
  Result<void> wait_ready(std::chrono::steady_clock::time_point deadline) override;
  void cleanup(const solver::ChallengeContext& ctx) noexcept override;

  /// Every context present() was called with, in call order (failed calls included).
  const std::vector<solver::ChallengeContext>& presented() const { return presented_; }
  /// Challenge URLs cleanup() was called for, in call order.
  const std::vector<std::string>& cleaned_up() const { return cleaned_up_; }
  std::size_t wait_ready_calls() const { return wait_calls_; }
  /// Challenge URLs of presents that have not been cleaned up yet.
  const std::set<std::string>& active() const { return active_; }

 private:
  void note(std::string event);

  std::string name_;
  std::vector<std::string>* journal_;
  std::set<std::string> fail_present_;
  bool fail_wait_ = false;
  std::vector<solver::ChallengeContext> presented_;
  std::vector<std::string> cleaned_up_;
  std::set<std::string> active_;
  std::size_t wait_calls_ = 0;
};

class FakeSolverFactory final : public solver::SolverFactory {
 public:
  explicit FakeSolverFactory(std::string name, std::string challenge_type = "http-01")
      : name_(std::move(name)), challenge_type_(std::move(challenge_type)) {}
  std::string_view name() const override { return name_; }
  std::string_view challenge_type() const override { return challenge_type_; }
  solver::Capabilities capabilities() const override { return {}; }
  Result<void> validate(const solver::SolverConfig&) const override { return {}; }
  Result<std::unique_ptr<solver::ChallengeSolver>> create(const solver::SolverConfig&,
                                                          const solver::SolverDeps&) const override;

 private:
  std::string name_;
  std::string challenge_type_;
};

}  // namespace acmed::test
