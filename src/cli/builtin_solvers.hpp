// SPDX-License-Identifier: Apache-2.0
// File: builtin_solvers.hpp
//
// The composition root's lists, generated from ACMED_SOLVERS and ACMED_DNS_PROVIDERS
// (src/cli/CMakeLists.txt) into builtin_solvers.cpp:
//
//   solver::SolverRegistry registry;
//   if (auto r = register_builtin_solvers(registry); !r) return fail(r.error());
//   for (const auto& p : builtin_dns_provider_settings()) ...   // "pdns": api_url, api_key_file, ...
#pragma once

#include <vector>

#include "acmed/solver/registry.hpp"
#include "acmed/solvers/settings.hpp"

namespace acmed::cli {

/// Adds every solver compiled into this binary (ACMED_SOLVERS) to `registry`.
[[nodiscard]] Result<void> register_builtin_solvers(solver::SolverRegistry& registry);

/// The dns-01 write providers compiled into this binary (ACMED_DNS_PROVIDERS), each with
/// the settings it declares; empty in a build without DNS writers. Holds no writer.
std::vector<solver::DeclaredSettings> builtin_dns_provider_settings();

}  // namespace acmed::cli
