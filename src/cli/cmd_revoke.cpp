// SPDX-License-Identifier: Apache-2.0
// acmed revoke NAME: revokes the stored certificate (app::revoke_certificate).
#include <spdlog/spdlog.h>

#include <iostream>

#include "acmed/app/account.hpp"
#include "commands.hpp"

namespace acmed::cli {
namespace {

struct RevokeOptions {
  std::string name;
  std::string reason = "unspecified";
  bool with_cert_key = false;
};

int run_revoke(const GlobalOptions& g, const RevokeOptions& o) {
  auto reason = app::parse_revocation_reason(o.reason);
  if (!reason) return report(reason.error());
  auto session = open_session(g);
  if (!session) return report(session.error());
  auto serial = app::revoke_certificate(**session, o.name, *reason, o.with_cert_key);
  if (!serial) return report(serial.error());
  spdlog::info("certificate '{}' (serial {}) revoked, reason {}", o.name, *serial, o.reason);
  if (g.json)
    std::cout << nlohmann::json{{"name", o.name}, {"serial", *serial}, {"reason", o.reason}, {"revoked", true}}.dump(2)
              << "\n";
  return exit_ok;
}

}  // namespace

void add_revoke_command(CLI::App& app, GlobalOptions& g, int& rc) {
  auto o = std::make_shared<RevokeOptions>();
  auto* cmd = app.add_subcommand("revoke", "Revoke the current certificate of NAME");
  cmd->add_option("name", o->name, "certificate name")->required();
  cmd->add_option("--reason", o->reason, "unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation");
  cmd->add_flag("--with-cert-key", o->with_cert_key, "sign the request with the certificate's key instead of the account key");
  cmd->callback([&g, &rc, o] { rc = run_revoke(g, *o); });
}

}  // namespace acmed::cli
