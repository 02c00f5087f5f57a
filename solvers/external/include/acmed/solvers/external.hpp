// SPDX-License-Identifier: Apache-2.0
// File: acmed/solvers/external.hpp
//
// Any program as a solver, without recompiling acmed. Settings:
//   type: external
//   challenge: dns-01            the ACME challenge type the program answers
//   command: /usr/local/lib/acmed/my-solver
//   timeout: 120s                per call
// The contract (argv, stdin JSON, stdout, exit codes) is in docs/external-solvers.md.
#pragma once

#include <memory>

#include "acmed/solver/solver.hpp"

namespace acmed::solver {

std::unique_ptr<SolverFactory> make_external_factory();

}  // namespace acmed::solver
