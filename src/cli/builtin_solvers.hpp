#pragma once

#include "acmed/solver/registry.hpp"

namespace acmed::cli {

/// Adds every solver compiled into this binary (ACMED_SOLVERS) to `registry`.
[[nodiscard]] Result<void> register_builtin_solvers(solver::SolverRegistry& registry);

}  // namespace acmed::cli
