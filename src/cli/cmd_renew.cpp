// SPDX-License-Identifier: Apache-2.0
// acmed renew: prints what app::renew_all did (renewal decision, ARI, back-off, locks,
// deploy hooks and the parallel run all live in acmed::app), as log lines or JSON.
#include <spdlog/spdlog.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "acmed/app/issuance.hpp"
#include "acmed/core/files.hpp"
#include "commands.hpp"

namespace acmed::cli {
namespace {

using namespace std::chrono;
using json = nlohmann::json;

struct RenewOptions {
  std::vector<std::string> names;
  bool all = false;
  bool force = false;
  bool dry_run = false;
  int jobs = 4;
  bool json_out = false;
  std::string metrics_file;
};

int exit_code_of(const app::RenewOutcome& r) {
  switch (r.action) {
    case app::RenewAction::config_error: return exit_config;
    case app::RenewAction::failed: return exit_code_for(*r.error);
    case app::RenewAction::cancelled:
    case app::RenewAction::hook_failed: return exit_failure;
    default: return exit_ok;
  }
}

/// The run's session (made on first need).
app::SessionMaker session_maker(const GlobalOptions& g) {
  return [g]() -> Result<std::unique_ptr<Session>> { return open_session(g); };
}

/// A dry run's session: the staging CA's, or for a CA without a staging directory the
/// CA's own, with every renewal stopping before the order (`stop_before_order`).
Result<app::SessionMaker> dry_run_session(const GlobalOptions& g, bool& stop_before_order) {
  auto base = open_session(g);
  if (!base) return fail(base.error());
  const auto target = app::dry_run_target((*base)->config());
  if (target.staging) {
    GlobalOptions staging = g;
    staging.server = target.directory;
    return session_maker(staging);
  }
  spdlog::warn("--dry-run: the CA {} has no staging directory (set ca.dry_run_directory in acmed.yaml to run the "
               "whole flow there): each certificate is checked up to the order, and nothing is ordered",
               target.directory);
  stop_before_order = true;
  auto held = std::make_shared<std::unique_ptr<Session>>(std::move(*base));
  return app::SessionMaker([held]() -> Result<std::unique_ptr<Session>> {
    if (!*held) return fail(Errc::invalid_argument, "the dry run's session was already taken");
    return std::move(*held);
  });
}

void log_outcome(const app::NamedOutcome& n) {
  const auto& r = n.outcome;
  const std::string action = app::to_string(r.action);
  if (exit_code_of(r) != exit_ok) spdlog::error("{}: {}: {}", n.name, action, r.detail);
  else if (r.action == app::RenewAction::not_due) spdlog::debug("{}: not due ({})", n.name, r.detail);
  else spdlog::info("{}: {}: {}", n.name, action, r.detail);
}

int run_renew(const GlobalOptions& g, const RenewOptions& o) {
  // A missing configuration directory or a broken acmed.yaml is never "nothing to renew".
  if (const auto errors = global_config_errors(g); !errors.empty()) {
    for (const auto& e : errors) spdlog::error("{}", e);
    if (o.json_out)
      std::cout << json{{"certificates", json::array()}, {"config_errors", errors}, {"exit_code", exit_config}}.dump(2)
                << "\n";
    return exit_config;
  }
  std::vector<std::string> names = o.names;
  if (names.empty()) names = app::configured_certificates(g.config_dir);
  if (names.empty()) {
    spdlog::info("no certificates configured in {}/certs.d", g.config_dir);
    if (o.json_out) std::cout << json{{"certificates", json::array()}}.dump(2) << "\n";
    return exit_ok;
  }
  app::RenewAllOptions all{{.force = o.force, .dry_run = o.dry_run, .stop_before_order = false}, o.jobs};
  app::SessionMaker maker = session_maker(g);
  if (o.dry_run) {
    auto made = dry_run_session(g, all.each.stop_before_order);
    if (!made) return report(made.error());
    maker = std::move(*made);
  }
  auto sum = app::renew_all(names, g.config_dir, maker, all, log_outcome);
  int code = exit_ok;
  json list = json::array();
  for (const auto& n : sum.outcomes) {
    const int c = exit_code_of(n.outcome);
    if (c == exit_config) code = exit_config;
    else if (c != exit_ok && code == exit_ok) code = c;
    json j = {{"name", n.name}, {"action", app::to_string(n.outcome.action)}, {"detail", n.outcome.detail}};
    if (n.outcome.next_due) j["next_due"] = format_rfc3339(*n.outcome.next_due);
    list.push_back(j);
  }
  if (!o.metrics_file.empty()) {
    // node_exporter's textfile collector reads whole files: write atomically, world-readable.
    if (auto r = write_file_atomic(o.metrics_file, metrics_text(g, true), 0644); !r) {
      spdlog::error("cannot write metrics: {}", r.error().describe());
      if (code == exit_ok) code = exit_failure;
    }
  }
  // A dry run stores nothing: its summary counts what would be renewed, never "renewed".
  if (o.json_out) {
    json out = {{"certificates", list},
                {"not_due", sum.not_due},
                {"failed", sum.failed},
                {"state_save_failures", sum.state_save_failures},
                {"http_requests", sum.http_requests},
                {"peak_in_flight", sum.peak_in_flight},
                {"exit_code", code}};
    if (o.dry_run) out.update({{"dry_run", true}, {"would_renew", sum.would_renew}});
    else out["renewed"] = sum.renewed;
    std::cout << out.dump(2) << "\n";
  } else if (o.dry_run) {
    spdlog::info("dry run, nothing stored: {} certificate(s): {} would renew, {} not due, {} failed; {} request(s) to "
                 "the CA, at most {} at once",
                 names.size(), sum.would_renew, sum.not_due, sum.failed, sum.http_requests, sum.peak_in_flight);
  } else {
    spdlog::info("{} certificate(s): {} renewed, {} not due, {} failed; {} request(s) to the CA, at most {} at once",
                 names.size(), sum.renewed, sum.not_due, sum.failed, sum.http_requests, sum.peak_in_flight);
  }
  // Fleet mode: whoever renewed, every node deploys the current versions.
  if (!o.dry_run) {
    auto cfg = load_config(g);
    if (cfg && cfg->state.backend == "postgresql") {
      const int synced = fleet_sync(g, names, false);
      if (synced != exit_ok && code == exit_ok) code = synced;
    }
  }
  if (sum.state_save_failures > 0) {
    spdlog::error("{} renewal-state save(s) failed in this run (see above)", sum.state_save_failures);
    if (code == exit_ok) code = exit_failure;
  }
  return code;
}

}  // namespace

void add_renew_command(CLI::App& app, GlobalOptions& g, int& rc) {
  auto o = std::make_shared<RenewOptions>();
  auto* cmd = app.add_subcommand("renew", "Renew what is due (all certificates when no NAME is given)");
  cmd->add_option("names", o->names, "certificate names (default: all in certs.d)");
  cmd->add_flag("--all", o->all, "every configured certificate (the default without NAMEs)");
  cmd->add_flag("--force", o->force, "renew now, even if not due or backing off");
  cmd->add_flag("--dry-run", o->dry_run,
                "run the whole flow against the staging CA (ca.dry_run_directory); without one, every check up to the "
                "order; store nothing");
  cmd->add_option("-j,--jobs", o->jobs, "certificates renewed in parallel (default 4; requests to the CA in flight stay within ca.max_in_flight)");
  cmd->add_flag("--json", o->json_out, "print a JSON summary on stdout");
  cmd->add_option("--metrics-file", o->metrics_file, "write Prometheus metrics here (node_exporter textfile collector)");
  cmd->callback([&g, &rc, o] { o->json_out |= g.json;
    rc = run_renew(g, *o); });
}

}  // namespace acmed::cli
