// SPDX-License-Identifier: Apache-2.0
// File: acmed/solvers/process.hpp
//
// Runs a helper program without a shell: argv as given, extra environment,
// stdin data, captured (bounded) stdout/stderr, and a hard timeout after which
// the program is killed. Used by the exec DNS hook and the external solver.
//
//   auto r = run_process({"/usr/local/bin/hook", "present", fqdn, value}, {{"ACMED_TTL", "60"}}, "", 30s);
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "acmed/core/result.hpp"

namespace acmed::solver {

struct ProcessResult {
  int exit_code = -1;
  std::string out;  ///< stdout, at most 1 MiB
  std::string err;  ///< stderr, at most 64 KiB
};

[[nodiscard]] Result<ProcessResult> run_process(const std::vector<std::string>& argv,
                                                const std::map<std::string, std::string>& extra_env,
                                                const std::string& stdin_data, std::chrono::milliseconds timeout);

}  // namespace acmed::solver
