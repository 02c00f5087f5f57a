// The CLI's door to acmed::app's DNS-PERSIST-01 plan and check (app/persist_session.hpp):
// opens the session for a certificate and renders the typed results as text and JSON
// for persist, status, serve and metrics.
#pragma once

#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "acmed/app/persist_session.hpp"
#include "app.hpp"

namespace acmed::cli {

struct PersistContext {
  std::unique_ptr<Session> session;
  app::CaPersistInfo ca;
  app::PersistPlan plan;
};

/// Loads certificate `name`, opens a session and makes the plan (app::plan_in_session).
[[nodiscard]] Result<PersistContext> open_persist(const GlobalOptions& g, const std::string& name,
                                                  const app::PersistRequest& r);

/// The read-only check of every record of certificate `name`, as JSON records
/// (name, expected, status, summary, dnssec, cnames, servers, republish); sets the flags.
nlohmann::json persist_health(const GlobalOptions& g, const std::string& name, bool& failed, bool& warned);
/// The records certificate `name` needs, as `persist record --format json` prints them;
/// `error` is set (and null returned) when they cannot be generated.
nlohmann::json persist_records_json(const GlobalOptions& g, const std::string& name, std::string& error);
/// `persist record NAME --format FORMAT` into `out`; returns the exit code.
int persist_records_text(const GlobalOptions& g, const std::string& name, const std::string& format, std::ostream& out);

}  // namespace acmed::cli
