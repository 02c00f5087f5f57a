// SPDX-License-Identifier: Apache-2.0
// acmed sync [NAME...]: fleet mode (state.backend: postgresql). Makes this node's live/
// equal the store's current version of each certificate and runs this node's deploy
// hooks for each one that changed (or queues them, hooks.mode: queue). `acmed renew`
// does the same after its run; `sync` alone can run more often. docs/fleet.md.
#include <spdlog/spdlog.h>

#include <iostream>

#include "acmed/app/issuance.hpp"
#include "acmed/config/config.hpp"
#include "acmed/storage/pg_store.hpp"
#include "commands.hpp"

namespace acmed::cli {

int fleet_sync(const GlobalOptions& g, std::vector<std::string> names, bool json_out) {
  auto session = open_session(g);
  if (!session) return report(session.error());
  const auto* pg = dynamic_cast<const storage::PgStateStore*>(&(*session)->store());
  if (!pg) return report(Error(Errc::config, "acmed sync needs state.backend: postgresql in acmed.yaml (docs/fleet.md)"));
  if (names.empty()) names = app::configured_certificates(g.config_dir);
  int code = exit_ok;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& name : names) {
    auto v = pg->sync_certificate(name);
    nlohmann::json j = {{"name", name}};
    if (!v && v.error().code == Errc::not_found) {
      j["action"] = "none";  // never issued anywhere yet
    } else if (!v) {
      spdlog::error("{}: sync failed: {}", name, v.error().describe());
      j["action"] = "failed";
      j["detail"] = v.error().describe();
      code = exit_failure;
    } else if (*v == 0) {
      j["action"] = "current";
    } else {
      j["action"] = "deployed";
      j["version"] = *v;
      spdlog::info("{}: version {} from the store written to {}", name, *v, pg->live_dir(name));
      auto cert = config::load_certificate(g.config_dir + "/certs.d/" + name + ".yaml");
      Result<void> hooks = cert ? Result<void>() : Result<void>(fail(cert.error()));
      if (cert && (*session)->config().queue_deploy_hooks) {
        hooks = pg->queue_deploy(name);
      } else if (cert) {
        auto done = app::redeploy(**session, *cert);
        if (!done) hooks = fail(done.error());
      }
      if (!hooks) {
        // Not marked deployed: the next sync runs the hooks again.
        spdlog::error("{}: deploy hooks: {}", name, hooks.error().describe());
        j["action"] = "hook_failed";
        code = exit_failure;
      } else if (auto m = pg->mark_deployed(name, *v); !m) {
        spdlog::error("{}: {}", name, m.error().describe());
        code = exit_failure;
      }
    }
    list.push_back(j);
  }
  if (json_out) std::cout << nlohmann::json{{"node", pg->node()}, {"certificates", list}}.dump(2) << "\n";
  return code;
}

void add_sync_command(CLI::App& app, GlobalOptions& g, int& rc) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("sync", "Fleet mode: bring this node's live/ to the store's current versions and run its deploy hooks");
  cmd->add_option("names", *names, "certificate names (default: all in certs.d)");
  cmd->callback([&g, &rc, names] { rc = fleet_sync(g, *names, g.json); });
}

}  // namespace acmed::cli
