// SPDX-License-Identifier: Apache-2.0
// acmed state import|export: move acmed's state between the state directory and the
// PostgreSQL store (app::copy_state). `import` brings a node's state directory into the
// configured PostgreSQL store (the way into fleet mode); `export` writes the store's
// accounts and current certificates to a state directory (the way back). docs/fleet.md.
#include <spdlog/spdlog.h>

#include <iostream>

#include "acmed/app/issuance.hpp"
#include "acmed/app/state_copy.hpp"
#include "acmed/config/config.hpp"
#include "acmed/storage/file_store.hpp"
#include "commands.hpp"

namespace acmed::cli {
namespace {

int run_state(const GlobalOptions& g, bool to_postgres, const std::string& dir) {
  auto cfg = load_config(g);
  if (!cfg) return report(cfg.error());
  if (cfg->state.backend != "postgresql")
    return report(Error(Errc::config, "acmed state import/export move state to and from PostgreSQL: set "
                                      "state.backend: postgresql in acmed.yaml first (docs/fleet.md)"));
  std::string directory = cfg->ca.directory_url;
  if (!g.server.empty()) {
    auto url = config::resolve_directory(g.server);
    if (!url) return report(url.error().with_context("--server"));
    directory = *url;
  }
  if (directory.empty()) return report(Error(Errc::config, "no CA configured: set ca.directory or pass --server"));
  auto pg = make_store(g, *cfg);
  if (!pg) return report(pg.error());
  storage::FileStateStore files(dir);
  const auto names = app::configured_certificates(g.config_dir);
  auto r = to_postgres ? app::copy_state(files, **pg, {storage::ca_id(directory)}, names, false)
                       : app::copy_state(**pg, files, {storage::ca_id(directory)}, names, true);
  if (!r) return report(r.error());
  if (g.json) {
    std::cout << nlohmann::json{{"from", to_postgres ? dir : (*pg)->location()},
                                {"to", to_postgres ? (*pg)->location() : dir},
                                {"copied", r->copied},
                                {"skipped", r->skipped}}
                     .dump(2)
              << "\n";
    return exit_ok;
  }
  std::cout << (to_postgres ? "From " + dir + " into " + (*pg)->location() : "From " + (*pg)->location() + " into " + dir)
            << ":\n";
  for (const auto& c : r->copied) std::cout << "  copied " << c << "\n";
  for (const auto& s : r->skipped) std::cout << "  skipped " << s << "\n";
  if (!to_postgres)
    std::cout << "To run from files again: remove the state section from acmed.yaml and use --state-dir " << dir
              << " (or copy it to /var/lib/acmed).\n";
  return exit_ok;
}

}  // namespace

void add_state_command(CLI::App& app, GlobalOptions& g, int& rc) {
  auto* cmd = app.add_subcommand("state", "Move state between the state directory and the PostgreSQL store (fleet mode)");
  cmd->require_subcommand(1);
  auto from = std::make_shared<std::string>();
  auto* imp = cmd->add_subcommand("import", "Copy a state directory's accounts and certificates into the PostgreSQL store");
  imp->add_option("--from", *from, "state directory to read (default: --state-dir)");
  imp->callback([&g, &rc, from] { rc = run_state(g, true, from->empty() ? g.state_dir : *from); });
  auto to = std::make_shared<std::string>();
  auto* exp = cmd->add_subcommand("export", "Write the PostgreSQL store's accounts and current certificates to a state directory");
  exp->add_option("--to", *to, "state directory to write (the way back to the file store)")->required();
  exp->callback([&g, &rc, to] { rc = run_state(g, false, *to); });
}

}  // namespace acmed::cli
