// SPDX-License-Identifier: Apache-2.0
// The CLI's door to acmed::app's DNS-PERSIST-01 plan and check (app/persist_session.hpp)
// and status views (app/status.hpp): opens sessions and renders the typed results as
// text and JSON for persist, status, serve and metrics.
//
//   ViewSession views(g);   // one session for every certificate, opened on first use
//   app::PersistView p = views.persist("www", {.check = true});
//   std::cout << check_json(p.records).dump(2);
#pragma once

#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "acmed/app/persist_session.hpp"
#include "acmed/app/status.hpp"
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

/// The persist views of many certificates through one session, opened on first use;
/// when it cannot be opened, that error is every view's.
class ViewSession {
 public:
  explicit ViewSession(const GlobalOptions& g) : g_(g) {}
  app::PersistView persist(const std::string& name, app::PersistViewOptions o);
  app::CaaView caa(const std::string& name);

 private:
  const GlobalOptions& g_;
  std::optional<Result<std::unique_ptr<Session>>> session_;
};

/// Check rows as JSON: name, status and summary; with the check's details (expected,
/// cnames, dnssec, republish, earlier_key, servers) when it ran.
nlohmann::json check_json(const std::vector<app::RecordView>& rows);
/// A certificate's CAA verdicts: name, outcome, where, why (and the record that would allow it).
nlohmann::json caa_json(const app::CaaView& v);
/// One certificate as `list --json` and the API show it.
nlohmann::json certificate_json(const app::CertificateView& c);
/// "a, b, c".
std::string comma_joined(const std::vector<std::string>& v);

/// The records certificate `name` needs, as `persist record --format json` prints them;
/// `error` is set (and null returned) when they cannot be generated.
nlohmann::json persist_records_json(const GlobalOptions& g, const std::string& name, std::string& error);
/// `persist record NAME --format FORMAT` into `out`; returns the exit code.
int persist_records_text(const GlobalOptions& g, const std::string& name, const std::string& format, std::ostream& out);

}  // namespace acmed::cli
