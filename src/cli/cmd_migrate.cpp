// SPDX-License-Identifier: Apache-2.0
// acmed migrate NAME --to dns-persist-01 | dns-01: prints what app::migrate_to_persist
// and app::migrate_to_dns01 (app/migrate.hpp) did.
#include <iostream>

#include "acmed/app/migrate.hpp"
#include "acmed/persist/records.hpp"
#include "commands.hpp"

namespace acmed::cli {
namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

int to_persist(const GlobalOptions& g, const std::string& name, const app::ToPersistOptions& o) {
  auto session = open_session(g);
  if (!session) return report(session.error());
  auto m = app::migrate_to_persist(**session, name, o);
  if (!m) return report(m.error());
  if (g.json) {
    nlohmann::json records = nlohmann::json::array();
    for (const auto& r : m->health.records)
      records.push_back({{"name", r.record.name},
                         {"value", r.record.value},
                         {"status", persist::to_string(r.check.status)},
                         {"summary", r.check.summary}});
    std::cout << nlohmann::json{{"name", name},
                                {"to", "dns-persist-01"},
                                {"migrated", m->written},
                                {"file", m->path},
                                {"records", records},
                                {"unused_credentials", m->credentials},
                                {"credentials_still_used_by", m->still_used_by}}
                     .dump(2)
              << "\n";
    return m->written ? exit_ok : exit_failure;
  }
  std::cout << "DNS-PERSIST-01 records for '" << name << "' (publish them through your DNS change process):\n";
  for (const auto& r : m->health.records)
    std::cout << "  " << r.record.name << " TXT \"" << r.record.value << "\"\n    now: "
              << persist::to_string(r.check.status) << " - " << r.check.summary << "\n";
  if (!m->written) {
    std::cout << "Not migrated: every record must verify first. " << m->path << " is unchanged.\n";
    return exit_failure;
  }
  std::cout << "Migrated '" << name << "' to dns-persist-01 (" << m->path << ").\n";
  if (m->credentials.empty()) return exit_ok;
  std::cout << "The DNS credentials of its dns-01 entry (" << joined(m->credentials) << ") are no longer used by '"
            << name << "'. ";
  if (m->still_used_by.empty())
    std::cout << "No other certificate uses them: you can revoke them at the DNS provider.\n";
  else
    std::cout << "Still used by: " << joined(m->still_used_by) << ".\n";
  return exit_ok;
}

int to_dns01(const GlobalOptions& g, const std::string& name) {
  auto path = app::migrate_to_dns01(g.config_dir, name);
  if (!path) return report(path.error());
  if (g.json) {
    std::cout << nlohmann::json{{"name", name}, {"to", "dns-01"}, {"migrated", true}, {"file", *path}}.dump(2) << "\n";
    return exit_ok;
  }
  std::cout << "Rolled '" << name << "' back to dns-01 (" << *path << "). Its _validation-persist records are still "
            << "a standing authorization for this account: remove them through DNS change control unless you "
            << "plan to migrate again (docs/rollback.md).\n";
  return exit_ok;
}

}  // namespace

void add_migrate_command(CLI::App& app, GlobalOptions& g, int& rc) {
  auto name = std::make_shared<std::string>();
  auto to = std::make_shared<std::string>();
  auto o = std::make_shared<app::ToPersistOptions>();
  auto* cmd = app.add_subcommand("migrate", "Switch a certificate between dns-01 and dns-persist-01 (reversible)");
  cmd->add_option("name", *name, "certificate name")->required();
  cmd->add_option("--to", *to, "dns-persist-01 or dns-01")->required();
  cmd->add_option("--issuer", o->issuer, "issuer domain name to put in the dns-persist-01 entry");
  cmd->add_option("--persist-until", o->persist_until,
                  "persistUntil for the new dns-persist-01 entry: a date (2027-06-01), RFC 3339 time, Unix time or a "
                  "duration (180d, computed once and kept)");
  cmd->callback([&g, &rc, name, to, o] {
    if (*to == "dns-persist-01") rc = to_persist(g, *name, *o);
    else if (*to == "dns-01") rc = to_dns01(g, *name);
    else rc = report(Error(Errc::config, "--to must be dns-persist-01 or dns-01"));
  });
}

}  // namespace acmed::cli
