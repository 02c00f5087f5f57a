// SPDX-License-Identifier: Apache-2.0
// File: acmed/solver/registry.hpp
//
// SolverRegistry is an ordinary object filled explicitly by the composition root
// (src/cli/builtin_solvers.cpp). No static registration; a duplicate name is an error.
//
//   SolverRegistry reg;
//   if (auto r = reg.add(std::make_unique<Http01Factory>()); !r) ...
//   const SolverFactory* f = reg.find("http-01");
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "acmed/solver/solver.hpp"

namespace acmed::solver {

class SolverRegistry {
 public:
  [[nodiscard]] Result<void> add(std::unique_ptr<SolverFactory> factory);
  const SolverFactory* find(std::string_view name) const;
  std::vector<std::string> names() const;

 private:
  std::vector<std::unique_ptr<SolverFactory>> factories_;
};

}  // namespace acmed::solver
