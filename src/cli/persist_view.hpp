// The CLI's door to acmed::app's DNS-PERSIST-01 plan and check: opens the session,
// loads the account, reads (or remembers) the CA's draft revision, anchors
// persistUntil, and renders the typed results for text, JSON, status, serve and
// metrics. Every command that reads records includes this header.
#pragma once

#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "acmed/app/persist.hpp"
#include "app.hpp"

namespace acmed::cli {

struct PersistRequest {
  std::string name;          ///< certificate (certs.d/NAME.yaml)
  std::string account_uri;   ///< another account's URL instead of the stored one
  std::string thumbprint;    ///< that account's key thumbprint (needed on a draft -02 CA)
  std::string issuer;        ///< issuer override
  /// The CA's directory may be unreachable: fall back to remembered facts.
  bool allow_cached_ca = true;
  /// Views (status, serve, metrics): use the stored account URL and key thumbprint,
  /// without loading the key (which may sit in a PKCS#11 token). Falls back to
  /// loading it when the thumbprint was never recorded.
  bool without_key = false;
};

struct PersistContext {
  std::unique_ptr<Session> session;  ///< null when planned inside a caller's session
  app::CaPersistInfo ca;
  app::PersistPlan plan;
};

/// The plan for `cert` with an open session whose account is loaded (issue, renew).
[[nodiscard]] Result<PersistContext> plan_in_session(Session& session, const config::CertificateConfig& cert,
                                                     const PersistRequest& r);

/// Before an order is placed: checks the published records (read-only) and refuses
/// to order when one is past its persistUntil (or within 10 minutes of it) or is in
/// the other draft revision's format, since the CA would refuse it. Other failures
/// are left to the per-challenge preflight, which knows the CA's exact issuer list.
/// `force` (issue --force) turns refusals into warnings.
[[nodiscard]] Result<void> persist_preorder_check(Session& session, const config::CertificateConfig& cert, bool force);

/// Loads certificate, account and CA facts and makes the plan. Prints the CA's
/// revision-change notice (once per process) when there is one.
[[nodiscard]] Result<PersistContext> open_persist(const GlobalOptions& g, const PersistRequest& r);

/// The read-only check of every record of certificate `name`, as JSON records
/// (name, expected, status, summary, dnssec, cnames, servers, republish); sets the flags.
nlohmann::json persist_health(const GlobalOptions& g, const std::string& name, bool& failed, bool& warned);
/// The records certificate `name` needs, as `persist record --format json` prints them;
/// `error` is set (and null returned) when they cannot be generated.
nlohmann::json persist_records_json(const GlobalOptions& g, const std::string& name, std::string& error);
/// `persist record NAME --format FORMAT` into `out`; returns the exit code.
int persist_records_text(const GlobalOptions& g, const std::string& name, const std::string& format, std::ostream& out);

}  // namespace acmed::cli
