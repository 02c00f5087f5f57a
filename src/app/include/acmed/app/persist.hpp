// SPDX-License-Identifier: Apache-2.0
// File: acmed/app/persist.hpp
//
// The one DNS-PERSIST-01 record plan and read-only check of the product. Every
// command that shows or checks _validation-persist records (persist record|check,
// status, serve, metrics, migrate, the pre-order check of issue/renew) goes through
// here, so they cannot disagree about issuers, wildcards or the CA's draft revision.
//
//   auto ca = app::note_ca_facts(store, ca_id, url, dir ? &dir->meta : nullptr, now);
//   auto plan = app::plan_persist({.cert = &cert, .ca = *ca, .account = acct, .now = now});
//   auto health = app::check_persist(resolver, *plan, now);
//   if (health.failed) ...
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "acmed/acme/types.hpp"
#include "acmed/config/config.hpp"
#include "acmed/core/result.hpp"
#include "acmed/dns/resolver.hpp"
#include "acmed/persist/records.hpp"
#include "acmed/solvers/dns_persist01.hpp"
#include "acmed/storage/store.hpp"

namespace acmed::app {

using TimePoint = std::chrono::system_clock::time_point;

/// What a CA says about dns-persist-01: live from its directory, or as last remembered.
struct CaPersistInfo {
  persist::Revision revision = persist::Revision::draft01;
  std::string hash_prefix;                       ///< -02 meta.accountHashPrefix
  std::vector<std::string> issuer_domain_names;  ///< -02 meta.issuerDomainNames (D)
  std::vector<std::string> caa_identities;       ///< meta.caaIdentities (I)
  bool from_cache = false;                       ///< the directory could not be read; facts as last seen
  bool known = false;                            ///< false: never seen and the directory is unreachable
  /// Set while the CA's revision changed in the last 30 days: one line for the operator.
  std::optional<std::string> revision_notice;
  /// Draft -01: the CA's own name for the account (the accounturi of its challenges) when
  /// it differs from the account URL `account_uri_of`; "" = the CA uses the account URL.
  std::string account_uri;
  std::string account_uri_of;
};

/// Compares the live directory meta (null when the CA was unreachable) with the facts
/// remembered for `ca`, remembers the new ones, and says when the revision changed.
[[nodiscard]] Result<CaPersistInfo> note_ca_facts(const storage::StateStore& store, const std::string& ca,
                                                  const std::string& directory_url, const acme::DirectoryMeta* live,
                                                  TimePoint now);

/// What a draft -01 challenge's accounturi says about the account `account_url`: when it
/// differs, the CA names this account `challenge_uri` (the authorization was fetched with
/// this account's key, so it names this account) and records must use it. Remembers it
/// with the CA facts (clears it when the CA uses the URL again). Returns the notice to
/// show when this is news, nothing when it is already known. Fails on a value no record
/// could hold (over 512 octets, spaces, ';', control characters).
[[nodiscard]] Result<std::optional<std::string>> note_ca_account_uri(const storage::StateStore& store,
                                                                     const std::string& ca,
                                                                     const std::string& account_url,
                                                                     const std::string& challenge_uri);

/// The account a record names.
struct PersistAccount {
  std::string url;
  std::string thumbprint;                     ///< current key (RFC 7638); needed for -02
  std::vector<std::string> earlier_thumbprints;
};

/// The certificate's names that its dns-persist-01 solver entry covers (the first
/// entry covering a name decides, as in issuance), and that entry. Fails when no
/// dns-persist-01 solver is configured.
struct PersistNames {
  std::vector<Identifier> identifiers;
  const config::SolverEntry* entry = nullptr;
};
[[nodiscard]] Result<PersistNames> persist_names(const config::CertificateConfig& cert);
/// True when some name of the certificate is served by dns-persist-01.
bool uses_persist(const config::CertificateConfig& cert);

/// Certificates in <config_dir>/certs.d that use dns-persist-01, sorted. A file that
/// does not load counts when it mentions dns-persist-01: this list guards against
/// silently changing the account that published records name.
std::vector<std::string> persist_certificates(const std::string& config_dir);

struct PlanInput {
  const config::CertificateConfig* cert = nullptr;
  CaPersistInfo ca;
  PersistAccount account;
  std::string issuer;  ///< overrides the configured issuer and the CA's list
  /// persistUntil to publish instead of the configured one (the anchored value).
  std::optional<std::int64_t> persist_until;
  TimePoint now{};  ///< the caller's clock (a Session's, a test's FixedClock)
};

struct PersistPlan {
  std::string certificate;
  persist::Revision revision = persist::Revision::draft01;
  std::string issuer;                       ///< the issuer the printed records name
  std::vector<std::string> other_issuers;   ///< offered by the CA, not chosen
  std::vector<std::string> accepted_issuers;  ///< what a check accepts (all the CA's names unless configured)
  persist::AccountBinding binding;
  /// The account URL (Location). binding.account_url differs from it on a draft -01 CA
  /// that names the account otherwise (CaPersistInfo::account_uri).
  std::string account_url;
  bool ca_named_account = false;  ///< binding.account_url is the CA's own name, learned from a challenge
  solver::PersistSettings settings;
  std::vector<persist::RequiredRecord> records;
};
[[nodiscard]] Result<PersistPlan> plan_persist(const PlanInput& in);
/// One line saying which URI the plan's draft -01 records name and why (the account URL,
/// which a CA may replace in its first challenge, or the CA's own name); "" on draft -02.
std::string account_uri_note(const PersistPlan& plan);

/// One record's read-only check.
struct RecordHealth {
  persist::RequiredRecord record;
  bool wildcard = false;  ///< a wildcard name depends on it: policy=wildcard is required
  persist::RecordCheck check;
  bool earlier_key = false;  ///< passes only through a hash made with an earlier account key
};
struct PersistHealth {
  std::vector<RecordHealth> records;
  bool failed = false;        ///< some record would not validate
  bool warned = false;        ///< some record's persistUntil is within the warning window
  bool earlier_key = false;   ///< some record should be republished after a key rollover
  bool stale_format = false;  ///< some record is in the other revision's format
};
/// Checks every record of `plan` on every authoritative server and the resolver (read-only).
PersistHealth check_persist(dns::Resolver& resolver, const PersistPlan& plan, TimePoint now);

/// The persistUntil to publish for `cert`. A duration in the configuration is computed
/// once and kept in the renewal state, so the printed value (and the IaC that holds
/// it) does not change every day; it moves when the configured text changes, or by
/// roll_persist_until. Absolute values are returned as configured.
[[nodiscard]] Result<std::optional<std::int64_t>> anchored_persist_until(const storage::StateStore& store,
                                                                         const std::string& cert,
                                                                         const solver::PersistSettings& settings);
/// Moves the anchored persistUntil of `cert` to `until` (acmed persist roll).
[[nodiscard]] Result<void> roll_persist_until(const storage::StateStore& store, const std::string& cert,
                                              const solver::PersistSettings& settings, std::int64_t until);

}  // namespace acmed::app
