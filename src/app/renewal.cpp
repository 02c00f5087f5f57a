// SPDX-License-Identifier: Apache-2.0
#include "acmed/app/renewal.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "acmed/core/time.hpp"

namespace acmed::app {
namespace {

using namespace std::chrono;

std::int64_t unix_seconds(TimePoint t) { return duration_cast<seconds>(t.time_since_epoch()).count(); }
// Saturates past 2262 (acmed/core/time.hpp): a far-future time must not wrap into the past.
TimePoint from_unix(std::int64_t s) { return time_from_unix(s); }

/// How a name compares: DNS names without case, IP addresses in canonical form.
std::string name_key(const std::string& text) {
  if (auto id = Identifier::parse(text)) return id->type_string() + ":" + id->value;
  std::string lower = text;  // not a name acmed would order: compared as it is, without case
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return "?:" + lower;
}

/// A name for messages: bytes from a certificate may be anything (it was imported, or
/// a CA misbehaved); names are printable ASCII, so anything else shows as '?'.
std::string printable(const std::string& name) {
  std::string out = name.substr(0, 256);
  for (auto& c : out)
    if (c < 0x21 || c > 0x7e) c = '?';
  return out;
}

}  // namespace

std::vector<std::string> certificate_names(const CertificateInfo& info) {
  std::vector<std::string> out = info.dns_names;
  out.insert(out.end(), info.ip_addresses.begin(), info.ip_addresses.end());
  return out;
}

std::string names_differ(const std::vector<Identifier>& configured, const std::vector<std::string>& in_certificate) {
  std::map<std::string, std::string> want, have;
  for (const auto& id : configured) want.emplace(id.type_string() + ":" + id.value, id.value);
  for (const auto& n : in_certificate) have.emplace(name_key(n), printable(n));
  auto absent = [](const std::map<std::string, std::string>& from, const std::map<std::string, std::string>& in) {
    std::string list;
    for (const auto& [key, text] : from)
      if (!in.count(key)) list += (list.empty() ? "" : ", ") + text;
    return list;
  };
  std::string out;
  if (auto added = absent(want, have); !added.empty()) out = "configured but not in the certificate: " + added;
  if (auto removed = absent(have, want); !removed.empty())
    out += (out.empty() ? "" : "; ") + std::string("in the certificate but not configured: ") + removed;
  return out;
}

Due compute_due(const CertificateInfo& info, const storage::RenewalState& st,
                const std::optional<std::chrono::seconds>& renew_before) {
  if (!st.ari_cert_id.empty() && st.ari_cert_id == info.ari_cert_id && st.ari_chosen && st.ari_start && st.ari_end) {
    auto chosen = from_unix(*st.ari_chosen);
    return {chosen, "ARI window " + format_rfc3339(from_unix(*st.ari_start)) + " .. " +
                        format_rfc3339(from_unix(*st.ari_end)) + ", chosen " + format_rfc3339(chosen)};
  }
  auto lifetime = info.not_after - info.not_before;
  if (renew_before) {
    // A renew_before as long as the lifetime would make every run renew: cap it at half.
    auto before = std::min<system_clock::duration>(*renew_before, lifetime / 2);
    std::string note = before < *renew_before ? " (capped at half the lifetime)" : "";
    return {info.not_after - before, "renew_before " + std::to_string(renew_before->count() / 86400) + "d" + note +
                                         " before expiry " + format_rfc3339(info.not_after)};
  }
  bool short_lived = lifetime < hours(24 * 10);
  auto left = short_lived ? lifetime / 2 : lifetime / 3;
  return {info.not_after - duration_cast<system_clock::duration>(left),
          std::string(short_lived ? "1/2" : "1/3") + " of the lifetime left before expiry " +
              format_rfc3339(info.not_after)};
}

std::chrono::seconds backoff_after(int failures) {
  switch (failures) {
    case 0: return seconds(0);
    case 1: return seconds(60);
    case 2: return seconds(600);
    case 3: return seconds(6000);
    default: return seconds(86400);
  }
}

Decision decide(const std::optional<CertificateInfo>& current, const storage::RenewalState& st,
                const std::optional<std::chrono::seconds>& renew_before, TimePoint now, DecideOptions o) {
  if (o.force) return {Verdict::renew, "--force", std::nullopt};
  const bool names_changed = current && !o.names_differ.empty();
  if (current && !o.dry_run && !names_changed) {
    Due due = compute_due(*current, st, renew_before);
    if (now < due.when) return {Verdict::not_due, due.why, due.when};
  }
  if (!o.dry_run && st.next_attempt && unix_seconds(now) < *st.next_attempt) {
    auto until = from_unix(*st.next_attempt);
    return {Verdict::backoff,
            "backing off after " + std::to_string(st.failures) + " failure(s) until " + format_rfc3339(until) +
                " (last error: " + st.last_error + "); --force retries now",
            until};
  }
  if (o.dry_run) return {Verdict::renew, "--dry-run", std::nullopt};
  if (names_changed) return {Verdict::renew, "the names changed (" + o.names_differ + ")", std::nullopt};
  return {Verdict::renew, current ? "due" : "no certificate stored yet", std::nullopt};
}

bool ari_refresh_needed(const CertificateInfo& info, const storage::RenewalState& st, TimePoint now) {
  if (info.ari_cert_id.empty()) return false;
  return !(st.ari_cert_id == info.ari_cert_id && st.ari_retry_after && unix_seconds(now) < *st.ari_retry_after);
}

void record_ari_window(storage::RenewalState& st, const std::string& cert_id, TimePoint start_tp, TimePoint end_tp,
                       std::optional<TimePoint> retry_after, TimePoint now_tp, std::mt19937_64& rng) {
  const auto now = unix_seconds(now_tp), start = unix_seconds(start_tp), end = unix_seconds(end_tp);
  st.ari_cert_id = cert_id;
  // RFC 9773 §4.2: pick a uniformly random time in the window, and keep it until the window changes.
  if (st.ari_start != start || st.ari_end != end || !st.ari_chosen)
    st.ari_chosen = end > start ? std::uniform_int_distribution<std::int64_t>(start, end - 1)(rng) : start;
  st.ari_start = start;
  st.ari_end = end;
  auto retry = retry_after ? unix_seconds(*retry_after) : now + 6 * 3600;
  st.ari_retry_after = std::clamp<std::int64_t>(retry, now + 60, now + 86400);
}

void record_ari_missing(storage::RenewalState& st, const std::string& cert_id, TimePoint now) {
  st.ari_cert_id = cert_id;
  st.ari_start = st.ari_end = st.ari_chosen = std::nullopt;
  st.ari_retry_after = unix_seconds(now) + 86400;
}

storage::RenewalState after_failure(storage::RenewalState st, const std::string& error, TimePoint now) {
  st.failures += 1;
  st.last_failure = unix_seconds(now);
  st.last_error = error;
  st.next_attempt = unix_seconds(now) + backoff_after(st.failures).count();
  return st;
}

storage::RenewalState after_success(const storage::RenewalState& st, TimePoint now) {
  storage::RenewalState fresh;
  fresh.last_success = unix_seconds(now);
  fresh.persist_until = st.persist_until;
  fresh.persist_until_spec = st.persist_until_spec;
  return fresh;
}

void remember_certificate(storage::RenewalState& st, const std::string& identity, const CertificateInfo& info) {
  st.cert_identity = identity;
  st.cert_not_before = unix_seconds(info.not_before);
  st.cert_not_after = unix_seconds(info.not_after);
  st.cert_ari_id = info.ari_cert_id;
  st.cert_serial = info.serial_hex;
  st.cert_dns_names = info.dns_names;
  st.cert_ip_addresses = info.ip_addresses;
}

std::optional<CertificateInfo> remembered_certificate(const storage::RenewalState& st, const std::string& identity) {
  // A state from before the serial was kept does not describe the certificate fully.
  if (identity.empty() || st.cert_identity != identity || !st.cert_not_before || !st.cert_not_after ||
      st.cert_serial.empty())
    return std::nullopt;
  CertificateInfo info;
  info.not_before = from_unix(*st.cert_not_before);
  info.not_after = from_unix(*st.cert_not_after);
  info.ari_cert_id = st.cert_ari_id;
  info.serial_hex = st.cert_serial;
  info.dns_names = st.cert_dns_names;
  info.ip_addresses = st.cert_ip_addresses;
  return info;
}

}  // namespace acmed::app
