// acmed renew: renew what is due, in parallel, with per-certificate locks, ARI,
// back-off across runs, deploy hooks and a machine-readable summary.
#include <spdlog/spdlog.h>

#include <atomic>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "acmed/app/issuance.hpp"
#include "acmed/core/cancel.hpp"
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

struct Outcome {
  std::string name;
  std::string action;  ///< renewed, not-due, backoff, locked, failed, config-error, hook-failed, dry-run-ok
  std::string detail;
  std::optional<system_clock::time_point> next_due;
  int code = exit_ok;
};

/// The dry-run CA: ca.dry_run_directory, else Let's Encrypt staging when production is configured.
Result<std::string> dry_run_directory(const config::GlobalConfig& cfg) {
  if (!cfg.ca.dry_run_directory.empty()) return cfg.ca.dry_run_directory;
  if (cfg.ca.directory_url == "https://acme-v02.api.letsencrypt.org/directory")
    return std::string("https://acme-staging-v02.api.letsencrypt.org/directory");
  return fail(Errc::config, "--dry-run needs a staging CA: set 'ca.dry_run_directory' in acmed.yaml");
}

/// `cached` is this worker's session: one HTTPS connection, one directory fetch and
/// one account load serve every certificate the worker handles.
Outcome renew_one(const GlobalOptions& g, const std::string& name, const RenewOptions& o,
                  std::unique_ptr<Session>& cached) {
  auto cert = config::load_certificate(g.config_dir + "/certs.d/" + name + ".yaml");
  if (!cert) return {name, "config-error", cert.error().describe(), std::nullopt, exit_config};

  GlobalOptions eff = g;
  if (o.dry_run) {
    auto base = open_session(g);
    if (!base) return {name, "config-error", base.error().describe(), std::nullopt, exit_config};
    auto dir = dry_run_directory((*base)->config());
    if (!dir) return {name, "config-error", dir.error().describe(), std::nullopt, exit_config};
    eff.server = *dir;
  }
  if (!cached) {
    auto session = open_session(eff);
    if (!session) return {name, "config-error", session.error().describe(), std::nullopt, exit_config};
    cached = std::move(*session);
  }
  auto r = app::renew_certificate(*cached, *cert, {.force = o.force, .dry_run = o.dry_run});
  return {name, app::to_string(r.action), r.detail, r.next_due,
          r.action == app::RenewAction::failed ? exit_code_for(*r.error)
          : r.action == app::RenewAction::cancelled || r.action == app::RenewAction::hook_failed ? exit_failure
                                                                                                : exit_ok};
}

int run_renew(const GlobalOptions& g, const RenewOptions& o) {
  std::vector<std::string> names = o.names;
  if (names.empty()) names = app::configured_certificates(g.config_dir);
  if (names.empty()) {
    spdlog::info("no certificates configured in {}/certs.d", g.config_dir);
    if (o.json_out) std::cout << json{{"certificates", json::array()}}.dump(2) << "\n";
    return exit_ok;
  }
  std::vector<Outcome> outcomes(names.size());
  std::atomic<std::size_t> next{0};
  std::atomic<int> state_save_failures{0};
  auto worker = [&] {
    std::unique_ptr<Session> session;
    for (std::size_t i; (i = next.fetch_add(1)) < names.size();) {
      if (cancel_requested()) {
        outcomes[i] = {names[i], "cancelled", "SIGINT/SIGTERM: not started", std::nullopt, exit_failure};
        continue;
      }
      try {
        outcomes[i] = renew_one(g, names[i], o, session);
      } catch (const std::exception& e) {
        outcomes[i] = {names[i], "failed", std::string("internal error: ") + e.what(), std::nullopt, exit_failure};
      }
      const auto& r = outcomes[i];
      if (r.action == "failed" || r.action == "config-error" || r.action == "hook-failed")
        spdlog::error("{}: {}: {}", r.name, r.action, r.detail);
      else if (r.action == "not-due")
        spdlog::debug("{}: not due ({})", r.name, r.detail);
      else
        spdlog::info("{}: {}: {}", r.name, r.action, r.detail);
    }
    if (session) state_save_failures.fetch_add(session->state_save_failures());
  };
  int jobs = std::clamp(o.jobs, 1, 64);
  std::vector<std::thread> pool;
  for (int j = 0; j < std::min<int>(jobs, static_cast<int>(names.size())); ++j) pool.emplace_back(worker);
  for (auto& t : pool) t.join();

  int code = exit_ok;
  std::size_t renewed = 0, not_due = 0, failed = 0;
  json list = json::array();
  for (const auto& r : outcomes) {
    if (r.code == exit_config) code = exit_config;
    else if (r.code != exit_ok && code == exit_ok) code = r.code;
    renewed += r.action == "renewed" || r.action == "dry-run-ok";
    not_due += r.action == "not-due";
    failed += r.code != exit_ok;
    json j = {{"name", r.name}, {"action", r.action}, {"detail", r.detail}};
    if (r.next_due) j["next_due"] = format_rfc3339(*r.next_due);
    list.push_back(j);
  }
  if (!o.metrics_file.empty()) {
    // node_exporter's textfile collector reads whole files: write atomically, world-readable.
    if (auto r = write_file_atomic(o.metrics_file, metrics_text(g, true), 0644); !r) {
      spdlog::error("cannot write metrics: {}", r.error().describe());
      if (code == exit_ok) code = exit_failure;
    }
  }
  if (o.json_out) {
    std::cout << json{{"certificates", list}, {"renewed", renewed}, {"not_due", not_due}, {"failed", failed},
                      {"state_save_failures", state_save_failures.load()}, {"exit_code", code}}
                     .dump(2)
              << "\n";
  } else {
    spdlog::info("{} certificate(s): {} renewed, {} not due, {} failed", names.size(), renewed, not_due, failed);
  }
  if (state_save_failures.load() > 0) {
    spdlog::error("{} renewal-state save(s) failed in this run (see above)", state_save_failures.load());
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
  cmd->add_flag("--dry-run", o->dry_run, "run the whole flow against the staging CA; store nothing");
  cmd->add_option("-j,--jobs", o->jobs, "certificates renewed in parallel (default 4)");
  cmd->add_flag("--json", o->json_out, "print a JSON summary on stdout");
  cmd->add_option("--metrics-file", o->metrics_file, "write Prometheus metrics here (node_exporter textfile collector)");
  cmd->callback([&g, &rc, o] { o->json_out |= g.json;
    rc = run_renew(g, *o); });
}

}  // namespace acmed::cli
