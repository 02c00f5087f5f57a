// SPDX-License-Identifier: Apache-2.0
// acmed import certbot|lego: adopt another client's account and certificates
// (acmed/import/import.hpp) and print what was, or with --dry-run would be, written.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "acmed/config/config.hpp"
#include "acmed/import/import.hpp"
#include "acmed/storage/file_store.hpp"
#include "commands.hpp"

namespace acmed::cli {
namespace {

struct ImportOptions {
  std::string from;
  std::string account;
  std::string solver;
  std::vector<std::string> only;
  bool dry_run = false;
  bool force = false;
};

/// The CA: --server, else acmed.yaml's ca.directory, else "" (the tree decides).
Result<std::string> chosen_ca(const GlobalOptions& g) {
  const std::string path = g.config_dir + "/acmed.yaml";
  std::string from_file;
  if (std::filesystem::exists(path)) {
    auto cfg = config::load_global(path);
    if (!cfg) return fail(cfg.error());
    from_file = cfg->ca.directory_url;
  }
  if (g.server.empty()) return from_file;
  auto url = config::resolve_directory(g.server);
  if (!url) return fail(url.error().with_context("--server"));
  return *url;
}

int run_import(const GlobalOptions& g, const std::string& tool, const ImportOptions& io) {
  auto ca = chosen_ca(g);
  if (!ca) return report(ca.error());
  auto solver = import::parse_solver_choice(io.solver);
  if (!solver) return report(solver.error());
  Result<import::Plan> plan = fail(Errc::invalid_argument, "unknown tool");
  if (tool == "certbot") {
    import::CertbotOptions o;
    o.directory_url = *ca;
    o.account_id = io.account;
    o.config_dir = g.config_dir;
    o.fallback = *solver;
    o.only = io.only;
    plan = import::read_certbot(io.from.empty() ? "/etc/letsencrypt" : io.from, o);
  } else {
    import::LegoOptions o;
    o.directory_url = *ca;
    o.email = io.account;
    o.solver = *solver;
    o.only = io.only;
    plan = import::read_lego(io.from, o);
  }
  if (!plan) return report(plan.error().with_context("acmed import " + tool));
  auto cfg = load_config(g);
  if (!cfg) return report(cfg.error());
  auto store = make_store(g, *cfg);
  if (!store) return report(store.error());
  import::ApplyOptions ao;
  ao.config_dir = g.config_dir;
  ao.dry_run = io.dry_run;
  ao.force = io.force;
  auto actions = import::apply(*plan, **store, ao);
  if (!actions) return report(actions.error());

  if (g.json) {
    nlohmann::json acts = nlohmann::json::array(), findings = nlohmann::json::array(), certs = nlohmann::json::array();
    for (const auto& a : *actions) acts.push_back({{"action", a.what}, {"target", a.target}, {"detail", a.detail}});
    for (const auto& f : plan->findings) findings.push_back({{"where", f.where}, {"what", f.what}});
    for (const auto& c : plan->certificates)
      certs.push_back({{"name", c.name},
                       {"versions", c.versions.size()},
                       {"configured", c.config.kind != ConfigValue::Kind::null}});
    std::cout << nlohmann::json{{"tool", tool},
                                {"source", plan->source},
                                {"directory", plan->directory_url},
                                {"account", plan->accounts.empty() ? "" : plan->accounts.front().url},
                                {"dry_run", io.dry_run},
                                {"certificates", certs},
                                {"actions", acts},
                                {"findings", findings}}
                     .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
    return exit_ok;
  }
  std::cout << (io.dry_run ? "Would import" : "Imported") << " from " << tool << " (" << plan->source
            << "), CA " << plan->directory_url << ", account "
            << (plan->accounts.empty() ? std::string("-") : plan->accounts.front().url) << ":\n";
  for (const auto& a : *actions)
    std::cout << "  " << (io.dry_run && a.what != "unchanged" && a.what != "kept" ? "would " : "") << a.what << " " << a.target << ": "
              << a.detail << "\n";
  if (!plan->findings.empty()) {
    std::cout << "Not carried over, or worth knowing:\n";
    for (const auto& f : plan->findings) std::cout << "  " << f.where << ": " << f.what << "\n";
  }
  const bool changed = std::any_of(actions->begin(), actions->end(), [](const import::Action& a) { return a.what != "unchanged" && a.what != "kept"; });
  if (!changed) {
    std::cout << "Already imported: nothing changed.\n";
    return exit_ok;
  }
  if (io.dry_run) {
    std::cout << "Nothing was written (--dry-run). " << plan->source << " is never changed.\n";
    return exit_ok;
  }
  std::cout << "Next:\n"
            << "  - Stop " << tool << " renewing the same certificates ("
            << (tool == "certbot" ? "systemctl disable --now certbot.timer" : "remove its cron entry or timer")
            << ") before enabling acmed-renew.timer.\n"
            << "  - Point the web server at " << g.state_dir << "/live/NAME/{fullchain,privkey}.pem"
            << (tool == "certbot" ? " (certbot's names)" : " (lego's were certificates/NAME.crt and .key)")
            << ", or copy from a deploy hook; the files in " << plan->source << " stay as they were.\n"
            << "  - Check each certificate: acmed status NAME; acmed renew NAME --dry-run (staging) or --force.\n";
  for (const auto& c : plan->certificates)
    if (c.config.kind == ConfigValue::Kind::null)
      std::cout << "  - Write " << g.config_dir << "/certs.d/" << c.name << ".yaml (no solver could be carried over; "
                << "see above), or re-run with --solver.\n";
  return exit_ok;
}

}  // namespace

void add_import_command(CLI::App& app, GlobalOptions& g, int& rc) {
  auto* cmd = app.add_subcommand("import", "Adopt the account and certificates of certbot or lego (the source is only read)");
  cmd->require_subcommand(1);
  for (std::string tool : {"certbot", "lego"}) {
    auto o = std::make_shared<ImportOptions>();
    auto* sub = cmd->add_subcommand(tool, tool == "certbot" ? "Import a certbot tree (renewal/, live/, archive/, accounts/)"
                                                           : "Import a lego --path tree (accounts/, certificates/)");
    auto* from = sub->add_option("--from", o->from,
                                 tool == "certbot" ? "certbot's configuration directory (default /etc/letsencrypt)"
                                                   : "lego's --path directory");
    if (tool == "lego") from->required();
    sub->add_option("--account", o->account,
                    tool == "certbot" ? "certbot account id, when the lineages use several"
                                      : "the account's e-mail directory, when there are several");
    sub->add_option("--solver", o->solver,
                    "solver where none can be read from the source: dns-persist-01, http-01[:HOST:PORT] or "
                    "webroot:/PATH");
    sub->add_option("--cert", o->only, "import only this certificate (repeatable)");
    sub->add_flag("--dry-run", o->dry_run, "print what would be written, write nothing");
    sub->add_flag("--force", o->force,
                  "replace existing files and certificates that differ; an existing account is retired, not deleted");
    sub->callback([&g, &rc, tool, o] { rc = run_import(g, tool, *o); });
  }
}

}  // namespace acmed::cli
