#include <spdlog/spdlog.h>

#include <iostream>
#include <map>

#include "acmed/core/crypto.hpp"
#include "commands.hpp"

namespace acmed::cli {
namespace {

struct RevokeOptions {
  std::string name;
  std::string reason = "unspecified";
  bool with_cert_key = false;
};

int run_revoke(const GlobalOptions& g, const RevokeOptions& o) {
  static const std::map<std::string, acme::RevocationReason> reasons = {
      {"unspecified", acme::RevocationReason::unspecified},
      {"keyCompromise", acme::RevocationReason::key_compromise},
      {"affiliationChanged", acme::RevocationReason::affiliation_changed},
      {"superseded", acme::RevocationReason::superseded},
      {"cessationOfOperation", acme::RevocationReason::cessation_of_operation}};
  auto reason = reasons.find(o.reason);
  if (reason == reasons.end())
    return report(Error(Errc::config, "unknown revocation reason '" + o.reason +
                                          "' (unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation)"));
  auto session = open_session(g);
  if (!session) return report(session.error());
  auto& s = **session;
  auto stored = s.store().load_certificate(o.name);
  if (!stored) return report(stored.error());
  if (!*stored) return report(Error(Errc::not_found, "no certificate named '" + o.name + "' in " + s.store().location()));
  auto chain = parse_pem_chain((*stored)->fullchain_pem);
  if (!chain) return report(chain.error());

  std::optional<PrivateKey> cert_key;
  if (o.with_cert_key) {
    auto pem = s.store().load_certificate_key(o.name);
    if (!pem) return report(pem.error());
    auto k = PrivateKey::from_pem(pem->view());
    if (!k) return report(k.error());
    cert_key.emplace(std::move(*k));
  } else if (auto r = s.ensure_account(false); !r) {
    return report(r.error());
  }
  auto r = s.client().revoke(chain->front(), reason->second, cert_key ? &*cert_key : nullptr);
  if (!r) return report(r.error());
  auto info = inspect_certificate(chain->front());
  spdlog::info("certificate '{}' (serial {}) revoked, reason {}", o.name, info ? info->serial_hex : "?", o.reason);
  if (g.json)
    std::cout << nlohmann::json{{"name", o.name}, {"serial", info ? info->serial_hex : ""}, {"reason", o.reason},
                                {"revoked", true}}
                     .dump(2)
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
