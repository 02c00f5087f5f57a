// SPDX-License-Identifier: Apache-2.0
// acmed ca info: what the CA's directory says, and what it was last seen offering.
#include <spdlog/spdlog.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "acmed/app/account.hpp"
#include "commands.hpp"

namespace acmed::cli {
namespace {

int run_info(const GlobalOptions& g, bool json_out) {
  auto session = open_session(g);
  if (!session) return report(session.error());
  auto info = app::ca_info(**session);
  if (!info) return report(info.error());
  const auto& dir = info->directory;
  const auto& m = dir.meta;
  const auto* facts = &info->persist;
  const auto& last = info->last_offered;
  const std::string& directory_url = (*session)->config().ca.directory_url;
  const std::string revision = persist::revision_id(facts->revision);
  if (facts->revision_notice) spdlog::warn("{}", *facts->revision_notice);
  if (json_out) {
    nlohmann::json j = {{"directory", directory_url},
                        {"terms_of_service", m.terms_of_service.value_or("")},
                        {"website", m.website.value_or("")},
                        {"caa_identities", m.caa_identities},
                        {"external_account_required", m.external_account_required},
                        {"profiles", m.profiles},
                        {"renewal_info", dir.renewal_info.value_or("")},
                        {"issuer_domain_names", m.issuer_domain_names},
                        {"account_hash_prefix", m.account_hash_prefix.value_or("")},
                        {"dns_persist_revision", revision},
                        {"dns_persist_revision_notice", facts->revision_notice.value_or("")},
                        {"challenges_last_seen", last.value_or("")}};
    std::cout << j.dump(2) << "\n";
    return exit_ok;
  }
  auto list = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
    return out.empty() ? std::string("(none)") : out;
  };
  std::cout << "directory: " << directory_url << "\n"
            << "terms of service: " << m.terms_of_service.value_or("(none)") << "\n"
            << "website: " << m.website.value_or("(none)") << "\n"
            << "external account binding required: " << (m.external_account_required ? "yes" : "no") << "\n"
            << "ARI (renewalInfo): " << dir.renewal_info.value_or("(not offered)") << "\n"
            << "caaIdentities (dns-persist-01 issuer names, a hint): " << list(m.caa_identities) << "\n";
  for (const auto& [name, desc] : m.profiles) std::cout << "profile " << name << ": " << desc << "\n";
  std::cout << "dns-persist-01 record format: draft " << persist::to_string(facts->revision)
            << (facts->revision == persist::Revision::draft02
                    ? " (meta.accountHashPrefix is served: records carry a hashed accounturi)"
                    : " (no meta.accountHashPrefix: records carry the plain account URL)")
            << "\n";
  if (!m.issuer_domain_names.empty() || m.account_hash_prefix)
    std::cout << "dns-persist draft -02 meta: issuerDomainNames " << list(m.issuer_domain_names)
              << ", accountHashPrefix " << m.account_hash_prefix.value_or("(none)") << "\n";
  if (info->persist_offered)
    std::cout << "challenges last offered: " << *last << "\n"
              << "dns-persist-01: " << (*info->persist_offered ? "offered" : "NOT offered") << " (as of the last order)\n";
  else
    std::cout << "dns-persist-01: unknown until the first order (the directory has no flag for it)\n";
  return exit_ok;
}

}  // namespace

void add_ca_command(CLI::App& app, GlobalOptions& g, int& rc) {
  auto* cmd = app.add_subcommand("ca", "Information about the configured CA");
  cmd->require_subcommand(1);
  auto json_out = std::make_shared<bool>(false);
  auto* info = cmd->add_subcommand("info", "Directory meta, profiles, ARI, EAB, dns-persist-01 support last seen");
  info->add_flag("--json", *json_out, "machine-readable output");
  info->callback([&g, &rc, json_out] { rc = run_info(g, *json_out || g.json); });
}

}  // namespace acmed::cli
