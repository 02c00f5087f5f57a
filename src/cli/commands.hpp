#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>

#include "app.hpp"

namespace acmed::cli {

/// Each add_* registers a subcommand; its callback stores the exit code in `rc`.
void add_issue_command(CLI::App& app, GlobalOptions& opts, int& rc);
void add_revoke_command(CLI::App& app, GlobalOptions& opts, int& rc);
void add_account_command(CLI::App& app, GlobalOptions& opts, int& rc);
void add_persist_command(CLI::App& app, GlobalOptions& opts, int& rc);
void add_ca_command(CLI::App& app, GlobalOptions& opts, int& rc);
void add_renew_command(CLI::App& app, GlobalOptions& opts, int& rc);
void add_status_commands(CLI::App& app, GlobalOptions& opts, int& rc);
void add_migrate_command(CLI::App& app, GlobalOptions& opts, int& rc);
void add_serve_command(CLI::App& app, GlobalOptions& opts, int& rc);

}  // namespace acmed::cli
