// SPDX-License-Identifier: Apache-2.0
// File: acmed/app/status.hpp
//
// What `acmed list|status|next-due|config check`, the Prometheus metrics and `acmed
// serve` show, as typed views: one certificate (names, solvers, expiry, when it is due
// and why, back-off, configuration error), its DNS-PERSIST-01 records and their
// read-only check, what needs the operator's attention, and the metric values. The
// CLI only renders them (text, JSON, Prometheus, HTML). No clock reads: callers pass
// `now` or a Session (whose clock is used).
//
//   const auto now = session.clock().now();
//   auto certs = app::certificate_views(store, config_dir, app::configured_certificates(config_dir), now);
//   std::vector<app::PersistView> checked;
//   for (const auto& c : certs)
//     if (c.persist) checked.push_back(app::persist_view(session, c.name, {.check = true}));
//   for (const auto& line : app::attention(certs[0], &checked[0])) std::cout << line << "\n";
//   auto m = app::metrics(certs, checked, now);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "acmed/app/issuance.hpp"
#include "acmed/app/persist_session.hpp"
#include "acmed/app/renewal.hpp"
#include "acmed/solver/registry.hpp"

namespace acmed::app {

/// One certificate as `list` and the status page show it.
struct CertificateView {
  std::string name;
  std::vector<std::string> names;    ///< the configured identifiers
  std::vector<std::string> solvers;  ///< solver types, each once, in configured order
  bool persist = false;              ///< one of them is dns-persist-01
  std::optional<CertificateInfo> info;    ///< the live certificate, when one is stored
  std::vector<std::string> certificate_names{};  ///< the names in it (set with `info`)
  /// What differs between `names` and `certificate_names` ("" = nothing): due now.
  std::string names_differ{};
  std::optional<Due> due;                 ///< set with `info`
  std::optional<std::int64_t> days_left;  ///< whole days from `now` to info->not_after
  /// due->why, else "not issued yet: due now", or "configuration error".
  std::string why;
  storage::RenewalState state;
  std::optional<TimePoint> backoff_until;  ///< no automatic attempt before (state.next_attempt)
  std::string config_error;                ///< the configuration file does not load ("" = it does)
};

/// The view of certificate `name` from its loaded configuration (or the error loading it)
/// and what `store` holds for it.
CertificateView certificate_view(const storage::StateStore& store, const std::string& name,
                                 const Result<config::CertificateConfig>& cert, TimePoint now);
/// Loads <config_dir>/certs.d/NAME.yaml for each of `names`.
std::vector<CertificateView> certificate_views(const storage::StateStore& store, const std::string& config_dir,
                                               const std::vector<std::string>& names, TimePoint now);

struct NextDue {
  TimePoint when;
  std::string name;
  std::string why;
};
/// The earliest time a certificate needs work: its due time (now when never issued), not
/// before its back-off. None when no certificate's configuration loads.
std::optional<NextDue> next_due(const std::vector<CertificateView>& certs, TimePoint now);

/// One record's state on the status views.
struct RecordView {
  std::string name;                       ///< the record's name; "(all)" when none could be planned
  std::optional<persist::Status> status;  ///< none: the records could not be planned
  std::string summary;                    ///< one line; the error when planning or checking failed
  /// Must be published again: made with an earlier account key, or in the CA's other
  /// draft format (stale-format).
  bool republish = false;
  std::optional<std::int64_t> persist_until;  ///< of the first server that reports one
  std::optional<RecordHealth> health;         ///< the whole check (servers, CNAMEs, DNSSEC) when it ran
};
/// persist::to_string(*r.status), or "error".
std::string status_name(const RecordView& r);

/// A certificate's DNS-PERSIST-01 records, as planned and (when asked) checked.
struct PersistView {
  std::string certificate;
  std::optional<Error> error;          ///< the records could not be planned
  std::optional<SessionPlan> planned;  ///< the records and what the CA said, unless `error`
  bool checked = false;                ///< a check was asked for: `records` holds its rows
  std::vector<RecordView> records;     ///< one row per record, or one "(all)" row with `error`
  bool failed = false;                 ///< a record would not validate, or none could be planned or checked
  bool warned = false;                 ///< a persistUntil is within its warning window
};

struct PersistViewOptions {
  bool check = false;  ///< also check every record, read-only, at the session's clock
};
/// Plans certificate `name`'s records (<config_dir>/certs.d/NAME.yaml) without loading the
/// account key, from the CA's directory or, while it is unreachable, from what it said
/// last (plan_in_session reports the outage once per process), and checks them.
PersistView persist_view(Session& session, const std::string& name, PersistViewOptions o);
/// `planned`, checked through `resolver` at `now`. A resolver that could not be made
/// leaves every record lookup-failed with that error.
PersistView checked_view(const std::string& certificate, SessionPlan planned, Result<dns::Resolver*> resolver,
                         TimePoint now);
/// The records of certificate `certificate` could not be planned: one "(all)" row says why.
PersistView failed_view(const std::string& certificate, const Error& e, PersistViewOptions o);
/// The rows of a check.
std::vector<RecordView> record_views(const PersistHealth& health);

/// A certificate's CAA, read as the CA will read it (app::caa), for every DNS name.
struct CaaView {
  std::string certificate;
  std::optional<Error> error;          ///< the check could not run (configuration, CA, resolver)
  std::vector<CaaNameVerdict> names;
  bool forbidden = false;              ///< some name's CAA forbids this CA, account or method
};
/// Checks certificate `name`'s CAA (<config_dir>/certs.d/NAME.yaml) read-only.
CaaView caa_view(Session& session, const std::string& name);

/// What needs the operator's attention, one line each: a configuration error, expiry
/// within 14 days, failed renewals, records that cannot be generated, a change of the
/// CA's draft, a certificate whose names differ from its configuration, (when
/// checked) every record that does not verify or must be republished, CAA that forbids,
/// and a CAA check that could not run. A CAA verdict of unknown is no attention line:
/// issuance goes ahead. `persist` and `caa` may be null.
std::vector<std::string> attention(const CertificateView& cert, const PersistView* persist,
                                   const CaaView* caa = nullptr);

/// One metric sample; `record` is empty for per-certificate metrics.
struct Sample {
  std::string certificate;
  std::string record;
  std::int64_t value = 0;
};
/// The values behind the Prometheus metrics (times in Unix seconds).
struct Metrics {
  std::vector<Sample> not_after, next_renewal, last_success, failures, config_error;
  std::optional<std::int64_t> next_due;  ///< the earliest due time of a loadable certificate (back-off not counted)
  std::vector<Sample> persist_ok;        ///< 1 when the record verifies (ok or expiring)
  std::vector<Sample> persist_until;
  std::vector<Sample> persist_republish;
};
/// `persist`: checked views (empty without a live check).
Metrics metrics(const std::vector<CertificateView>& certs, const std::vector<PersistView>& persist, TimePoint now);

/// Why `config_dir` cannot be used, in one line: it does not exist or is not a directory,
/// or its certs.d exists but cannot be listed. None when it is usable (an existing
/// directory without certs.d simply configures no certificate).
std::optional<std::string> config_dir_problem(const std::string& config_dir);

/// A wait as people read it: "3 y 122 d", "59 d 4 h", "2 h 5 min", "12 min", "40 s"
/// (two units at most, rounded down; negative waits are "0 s").
std::string human_duration(std::chrono::seconds wait);

/// `acmed config check`: every file checked and every error found, not only the first.
struct ConfigCheck {
  std::vector<std::string> checked;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;  ///< valid but worth a second look (SolverFactory::warnings)
};
/// Validates `files` (acmed.yaml, or *.acmed.yaml, is the global file; others are
/// certificates, each solver section checked by its factory in `solvers`), or with no
/// files <config_dir>/acmed.yaml and every certs.d file (a config_dir_problem is an error).
/// Every deploy hook must exist and be executable by whoever runs it (app::hook_problems;
/// hooks.mode from acmed.yaml).
ConfigCheck check_configuration(const solver::SolverRegistry& solvers, const std::string& config_dir,
                                const std::vector<std::string>& files);

}  // namespace acmed::app
