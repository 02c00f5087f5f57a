// SPDX-License-Identifier: Apache-2.0
// Global options, exit codes and the session factory shared by the acmed subcommands.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "acmed/app/session.hpp"

namespace acmed::cli {

/// Exit codes (documented in README.md).
enum ExitCode : int { exit_ok = 0, exit_failure = 1, exit_config = 2, exit_warning = 3 };

struct GlobalOptions {
  std::string config_dir = "/etc/acmed";
  std::string state_dir = "/var/lib/acmed";
  std::string server;     ///< overrides ca.directory
  std::string ca_bundle;  ///< overrides ca.trust_bundle
  bool agree_tos = false;
  std::vector<std::string> contact;
  std::vector<std::string> dns_resolvers;  ///< overrides dns.resolvers
  int verbosity = 0;  ///< -1 quiet, 0 info, 1 debug, 2 trace
  bool json = false;  ///< --json: machine-readable result on stdout (every command)
};

using app::Session;

/// The composition root: loads acmed.yaml (if present), applies command-line
/// overrides and builds a Session from the real parts (Beast, the state directory,
/// ldns, the built-in solvers).
[[nodiscard]] Result<std::unique_ptr<Session>> open_session(const GlobalOptions& opts);

/// acmed.yaml (if present) without command-line overrides.
[[nodiscard]] Result<config::GlobalConfig> load_config(const GlobalOptions& opts);
/// The state store acmed.yaml selects: the state directory, or PostgreSQL (state.backend).
[[nodiscard]] Result<std::unique_ptr<storage::StateStore>> make_store(const GlobalOptions& opts,
                                                                     const config::GlobalConfig& cfg);

/// make_store for read-only views (status, list, serve): on failure it says so and falls
/// back to the state directory, so a view still shows what this node has.
std::unique_ptr<storage::StateStore> store_for_views(const GlobalOptions& opts);

/// What makes the configuration unusable before any certificate is looked at: the
/// configuration directory (app::config_dir_problem), then acmed.yaml not loading.
/// Empty when both are fine.
std::vector<std::string> global_config_errors(const GlobalOptions& opts);

/// Maps an error to the exit code: config errors 2, everything else 1.
int exit_code_for(const Error& e);
/// Logs the error as one clear line (plus subproblems) and returns its exit code.
int report(const Error& e);

}  // namespace acmed::cli
