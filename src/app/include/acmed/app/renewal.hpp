// SPDX-License-Identifier: Apache-2.0
// File: acmed/app/renewal.hpp
//
// The renewal policy, as values: when a certificate is due (the CA's ARI window, else
// the lifetime rule), the back-off schedule after failures across runs, and the state
// a run leaves behind. No I/O and no clock reads: callers pass `now`.
//
//   auto d = app::decide(current, state, cert.renew_before, clock.now(), {.force = false});
//   if (d.verdict == app::Verdict::renew) { ... obtain ...; state = app::after_success(clock.now()); }
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "acmed/core/crypto.hpp"
#include "acmed/core/identifier.hpp"
#include "acmed/storage/store.hpp"

namespace acmed::app {

using TimePoint = std::chrono::system_clock::time_point;

struct Due {
  TimePoint when;
  std::string why;
};
/// When `info` should be renewed: the time chosen in a stored ARI window for this very
/// certificate, else when renew_before (capped at half the lifetime) or 1/3 of the
/// lifetime (1/2 under 10 days) is left.
Due compute_due(const CertificateInfo& info, const storage::RenewalState& st,
                const std::optional<std::chrono::seconds>& renew_before);

/// Keeps what the schedule and the status views need of the stored certificate `info`
/// in `st`, valid while the store's certificate_identity() stays `identity`.
void remember_certificate(storage::RenewalState& st, const std::string& identity, const CertificateInfo& info);
/// The stored certificate as `st` remembers it (dates, serial, names, ARI certID; no key,
/// no issuer), or none when `identity` (certificate_identity() now) is empty or not the
/// one remembered: then the certificate must be parsed.
std::optional<CertificateInfo> remembered_certificate(const storage::RenewalState& st, const std::string& identity);

/// Back-off after `failures` consecutive failures: 1 min, 10 min, 100 min, then daily.
std::chrono::seconds backoff_after(int failures);

/// The names a certificate covers: its DNS then IP subjectAltNames, as it lists them.
std::vector<std::string> certificate_names(const CertificateInfo& info);
/// "" when `in_certificate` (a stored certificate's names) are exactly the `configured`
/// ones (DNS names compared without case, IP addresses by value); else what differs,
/// e.g. "configured but not in the certificate: c.example; in the certificate but no
/// longer configured: old.example". Such a certificate is due now.
std::string names_differ(const std::vector<Identifier>& configured, const std::vector<std::string>& in_certificate);

enum class Verdict { renew, not_due, backoff };
struct DecideOptions {
  bool force = false;    ///< --force: renew now, whatever the schedule or back-off
  bool dry_run = false;  ///< --dry-run: always run the flow, never back off
  /// names_differ() of the stored certificate: when set it is due now (back-off still applies).
  std::string names_differ{};
};
struct Decision {
  Verdict verdict = Verdict::renew;
  std::string why;
  std::optional<TimePoint> next;  ///< when to look again (not_due, backoff)
};
/// Whether to renew now. `current` is the stored certificate (none: renew); one whose
/// names differ from the configuration (o.names_differ) is due whatever its expiry.
Decision decide(const std::optional<CertificateInfo>& current, const storage::RenewalState& st,
                const std::optional<std::chrono::seconds>& renew_before, TimePoint now, DecideOptions o);

/// True when the stored ARI window for `info` must be fetched again.
bool ari_refresh_needed(const CertificateInfo& info, const storage::RenewalState& st, TimePoint now);
/// Records a fetched ARI window (RFC 9773 §4.2): a uniformly random time in it is chosen
/// once and kept until the window changes; the next fetch is after retry_after,
/// clamped to 1 minute .. 1 day (6 hours when the CA gives none).
void record_ari_window(storage::RenewalState& st, const std::string& cert_id, TimePoint start, TimePoint end,
                       std::optional<TimePoint> retry_after, TimePoint now, std::mt19937_64& rng);
/// No ARI for this certificate: the lifetime rule applies; ask again in a day.
void record_ari_missing(storage::RenewalState& st, const std::string& cert_id, TimePoint now);

/// The state after a failed attempt: one more failure, the back-off until the next.
storage::RenewalState after_failure(storage::RenewalState st, const std::string& error, TimePoint now);
/// The state after a renewal: failures and the old ARI window are gone; the anchored
/// persistUntil stays (it belongs to the published records, not to the certificate).
storage::RenewalState after_success(const storage::RenewalState& st, TimePoint now);

}  // namespace acmed::app
