// SPDX-License-Identifier: Apache-2.0
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>

#include <CLI/CLI.hpp>
#include <iostream>

#include "acmed/config/config.hpp"
#include "acmed/core/cancel.hpp"
#include "acmed/core/version.hpp"
#include "commands.hpp"

namespace {

void setup_logging(int verbosity) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(spdlog::color_mode::automatic);
  auto logger = std::make_shared<spdlog::logger>("acmed", sink);
  // Under cron/systemd stderr is not a TTY: journald adds time stamps itself.
  logger->set_pattern(::isatty(STDERR_FILENO) ? "%H:%M:%S %^%l%$ %v" : "%l: %v");
  logger->set_level(verbosity < 0 ? spdlog::level::warn
                    : verbosity == 0 ? spdlog::level::info
                    : verbosity == 1 ? spdlog::level::debug
                                     : spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

/// The signal that cancelled the run (0: none): acmed exits 128 + it after unwinding.
volatile std::sig_atomic_t g_signal = 0;

void on_signal(int sig) {
  g_signal = sig;
  acmed::request_cancel();
}

/// The exit codes, as --help's footer (and from it the man page's EXIT STATUS); README.md
/// shows the same table.
constexpr const char* exit_status_help =
    "Exit status:\n"
    "  0    success, or nothing due\n"
    "  1    a certificate, CA, DNS or hook operation failed\n"
    "  2    configuration or usage error (also a missing --config-dir or a file that does not load)\n"
    "  3    a warning threshold was reached (status --warn-exit)\n"
    "  130  interrupted by SIGINT (143: SIGTERM), after cleaning up";

std::string server_help() {
  std::string names;
  for (const auto& s : acmed::config::directory_shortcuts()) names += (names.empty() ? "" : ", ") + s.name;
  return "ACME directory URL, or a named shortcut: " + names + " (overrides ca.directory)";
}

/// SIGINT/SIGTERM unwind the run so every solver cleans up; a second signal kills.
void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A hook or solver program that exits without reading its stdin, or a peer that
  // closes a socket, must give an error, not kill acmed.
  signal(SIGPIPE, SIG_IGN);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace acmed::cli;
  GlobalOptions opts;
  int rc = exit_ok;
  int verbose = 0;
  bool quiet = false;
  // Named "acmed", not argv[0]: usage lines (and the man page made from them) show no build path.
  CLI::App app{"acmed: an ACME client for Linux servers, with read-only DNS-PERSIST-01", "acmed"};
  app.set_version_flag("--version", std::string("acmed ") + acmed::version);
  app.require_subcommand(1);
  // Global options (--json, --config-dir, -v ...) are accepted after the subcommand too.
  app.fallthrough(true);
  app.add_option("--config-dir", opts.config_dir, "configuration directory")->capture_default_str();
  app.add_option("--state-dir", opts.state_dir, "state directory (accounts, certificates)")->capture_default_str();
  app.add_option("--server", opts.server, server_help());
  app.add_option("--ca-bundle", opts.ca_bundle, "PEM roots trusted for the CA's HTTPS endpoint");
  app.add_flag("--agree-tos", opts.agree_tos, "agree to the CA's terms of service when registering");
  app.add_option("--contact", opts.contact, "account contact e-mail (repeatable)");
  app.add_option("--dns-resolver", opts.dns_resolvers, "DNS resolver IP[:port] for lookups (repeatable; overrides dns.resolvers)");
  app.add_flag("-v,--verbose", verbose, "more logging (-vv for trace)");
  app.add_flag("-q,--quiet", quiet, "warnings and errors only");
  app.add_flag("--json", opts.json, "machine-readable result on stdout (also accepted after the command)");
  add_issue_command(app, opts, rc);
  add_deploy_command(app, opts, rc);
  add_renew_command(app, opts, rc);
  add_revoke_command(app, opts, rc);
  add_account_command(app, opts, rc);
  add_persist_command(app, opts, rc);
  add_ca_command(app, opts, rc);
  add_status_commands(app, opts, rc);
  add_migrate_command(app, opts, rc);
  add_serve_command(app, opts, rc);
  add_import_command(app, opts, rc);
  add_sync_command(app, opts, rc);
  add_state_command(app, opts, rc);
  app.footer(exit_status_help);  // after the subcommands: only the top-level help has it
  // --parse-only: check a command line (subcommands, flags, values) and do nothing.
  // The documentation test runs every documented command this way.
  bool parse_only = false;
  app.add_flag("--parse-only", parse_only)->group("");
  app.parse_complete_callback([&] {
    if (parse_only) throw CLI::Success();
    setup_logging(quiet ? -1 : verbose);
  });

  // Shell completion (completion/acmed.bash, completion/_acmed) asks the same tree.
  if (argc >= 2 && std::string(argv[1]) == "__complete")
    return run_completion(app, std::vector<std::string>(argv + 2, argv + argc));
  if (auto hint = usage_hint(app, std::vector<std::string>(argv + 1, argv + argc))) {
    std::cerr << "acmed: " << *hint << "\n";
    return exit_config;
  }
  install_signal_handlers();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? exit_ok : exit_config;
  } catch (const std::exception& e) {
    std::cerr << "acmed: internal error: " << e.what() << "\n";
    return exit_failure;
  }
  // Interrupted: the command has unwound (solvers cleaned up); say so the shell's way.
  if (g_signal != 0) return 128 + g_signal;
  return rc;
}
