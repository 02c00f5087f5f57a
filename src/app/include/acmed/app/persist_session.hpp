// SPDX-License-Identifier: Apache-2.0
// File: acmed/app/persist_session.hpp
//
// The DNS-PERSIST-01 plan and check inside a Session: the CA's draft revision from its
// directory (or, when it is unreachable, as last remembered), the account the records
// name, and the anchored persistUntil. issue, renew, persist record|check|roll, status,
// serve and metrics all plan through here.
//
//   auto p = app::plan_in_session(session, cert, {.without_key = true});
//   if (!p) return fail(p.error());
//   auto health = app::check_in_session(session, p->plan);
#pragma once

#include <string>

#include "acmed/app/persist.hpp"
#include "acmed/app/session.hpp"

namespace acmed::app {

struct PersistRequest {
  std::string account_uri;  ///< another account's URL instead of the stored one
  std::string thumbprint;   ///< that account's key thumbprint (needed on a draft -02 CA)
  std::string issuer;       ///< issuer override
  /// The CA's directory may be unreachable: fall back to remembered facts.
  bool allow_cached_ca = true;
  /// Views (status, serve, metrics): use the stored account URL and key thumbprint,
  /// without loading the key (which may sit in a PKCS#11 token). Falls back to
  /// loading it when the thumbprint was never recorded.
  bool without_key = false;
};

struct SessionPlan {
  CaPersistInfo ca;
  PersistPlan plan;
};

/// The plan for `cert`. A CA outage and a change of the CA's draft revision are each
/// logged once per process, however many certificates are planned.
[[nodiscard]] Result<SessionPlan> plan_in_session(Session& session, const config::CertificateConfig& cert,
                                                  const PersistRequest& request);

/// The read-only check of every record of `plan` at the session's clock.
[[nodiscard]] Result<PersistHealth> check_in_session(Session& session, const PersistPlan& plan);

/// Draft -02 §5: before record values go to anyone else, the account must be known to
/// the CA and valid (POST-as-GET, no redirects followed).
[[nodiscard]] Result<void> require_valid_account(Session& session);

/// Before an order is placed: checks the published records (read-only) and refuses
/// to order when one is past its persistUntil (or within 10 minutes of it) or is in
/// the other draft revision's format, since the CA would refuse it. Other failures
/// are left to the per-challenge preflight, which knows the CA's exact issuer list.
/// `force` (issue --force, or 'force: true') turns refusals into warnings.
[[nodiscard]] Result<void> persist_preorder_check(Session& session, const config::CertificateConfig& cert, bool force);

struct PersistRoll {
  std::int64_t until = 0;
  PersistPlan before, after;  ///< the records before and after the move, in the same order
};
/// `persist roll --until WHEN`: moves the anchored persistUntil of `cert` to `until`
/// (a date, RFC 3339 time, Unix time or duration from now; must be in the future) after
/// checking that the account is valid, and returns the records before and after.
[[nodiscard]] Result<PersistRoll> roll_persist(Session& session, const config::CertificateConfig& cert,
                                               const std::string& until, const PersistRequest& request);

}  // namespace acmed::app
