// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>

#include "app.hpp"

namespace acmed::cli {

/// Each add_* registers a subcommand; its callback stores the exit code in `rc`.
void add_issue_command(CLI::App& app, GlobalOptions& opts, int& rc);
void add_deploy_command(CLI::App& app, GlobalOptions& opts, int& rc);
void add_revoke_command(CLI::App& app, GlobalOptions& opts, int& rc);
void add_account_command(CLI::App& app, GlobalOptions& opts, int& rc);
void add_persist_command(CLI::App& app, GlobalOptions& opts, int& rc);
void add_ca_command(CLI::App& app, GlobalOptions& opts, int& rc);
void add_renew_command(CLI::App& app, GlobalOptions& opts, int& rc);
void add_status_commands(CLI::App& app, GlobalOptions& opts, int& rc);
void add_migrate_command(CLI::App& app, GlobalOptions& opts, int& rc);
void add_serve_command(CLI::App& app, GlobalOptions& opts, int& rc);
void add_import_command(CLI::App& app, GlobalOptions& opts, int& rc);
void add_sync_command(CLI::App& app, GlobalOptions& opts, int& rc);
void add_state_command(CLI::App& app, GlobalOptions& opts, int& rc);
/// Fleet mode: every node deploys the store's current versions (cmd_sync.cpp).
int fleet_sync(const GlobalOptions& g, std::vector<std::string> names, bool json_out);
/// A clearer error than CLI11's for the command line `args` (without the program): an
/// unknown command word, with the nearest command or the certbot/lego equivalent, or an
/// option other ACME clients use (--email). None when CLI11 should parse it.
std::optional<std::string> usage_hint(CLI::App& root, const std::vector<std::string>& args);
/// The option `word` (without "=value") names in `app` or, through fallthrough, one of its
/// parents; null when none does (complete.cpp, also used by the usage hints).
const CLI::Option* find_option(CLI::App* app, const std::string& word);
/// `acmed __complete CWORD WORD...`: completion candidates for the shell scripts, one a line.
int run_completion(CLI::App& root, const std::vector<std::string>& args);

/// Fleet mode: per certificate name, its current version, who made it and every node's
/// deployed version (the "fleet" member of status --json); empty with the file store.
nlohmann::json fleet_json_by_name(const GlobalOptions& g);
/// The same as one line of text per certificate ("fleet: version 3, made by ...").
std::map<std::string, std::string> fleet_lines_by_name(const GlobalOptions& g);

/// Prometheus text for every certificate (cmd_status.cpp); with `live_persist` the
/// DNS-PERSIST-01 records are checked live.
std::string metrics_text(const GlobalOptions& g, bool live_persist);

}  // namespace acmed::cli
