// SPDX-License-Identifier: Apache-2.0
#include "acmed/app/persist.hpp"

#include "acmed/core/files.hpp"
#include "acmed/core/text.hpp"
#include "acmed/core/time.hpp"

#include <algorithm>
#include <filesystem>

namespace acmed::app {
namespace {

constexpr std::string_view persist_type = "dns-persist-01";
/// How long after a revision change every record-reading command mentions it.
constexpr std::chrono::hours notice_period{24 * 30};

bool is_wildcard(const std::string& name) { return name.rfind("*.", 0) == 0; }

/// The key under which an anchored persistUntil is kept: the configured text.
std::string spec_key(const solver::PersistSettings& s) { return s.persist_until_spec.empty() ? "-" : s.persist_until_spec; }

std::int64_t unix_seconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

Result<CaPersistInfo> note_ca_facts(const storage::StateStore& store, const std::string& ca,
                                    const std::string& directory_url, const acme::DirectoryMeta* live,
                                    TimePoint now) {
  auto saved = store.load_ca_facts(ca);
  if (!saved) return fail(saved.error());
  storage::CaFacts facts = *saved;
  CaPersistInfo info;
  if (live) {
    const auto revision = persist::revision_for(live->account_hash_prefix);
    const std::string id = persist::revision_id(revision);
    storage::CaFacts next = facts;
    next.revision = id;
    next.hash_prefix = live->account_hash_prefix.value_or("");
    next.issuer_domain_names = live->issuer_domain_names;
    next.caa_identities = live->caa_identities;
    if (!facts.revision.empty() && facts.revision != id) {
      next.previous_revision = facts.revision;
      next.changed_at = unix_seconds(now);
    }
    if (next.revision != facts.revision || next.hash_prefix != facts.hash_prefix ||
        next.issuer_domain_names != facts.issuer_domain_names || next.caa_identities != facts.caa_identities) {
      if (auto r = store.save_ca_facts(ca, next); !r) return fail(r.error());
    }
    facts = std::move(next);
    info.known = true;
  } else {
    info.from_cache = true;
    info.known = !facts.revision.empty();
  }
  info.revision = persist::parse_revision(facts.revision).value_or(persist::Revision::draft01);
  info.hash_prefix = facts.hash_prefix;
  info.issuer_domain_names = facts.issuer_domain_names;
  info.caa_identities = facts.caa_identities;
  info.account_uri = facts.account_uri;
  info.account_uri_of = facts.account_uri_of;
  if (!facts.previous_revision.empty() && facts.previous_revision != facts.revision && facts.changed_at &&
      unix_seconds(now) - *facts.changed_at < std::chrono::duration_cast<std::chrono::seconds>(notice_period).count()) {
    const auto before = persist::parse_revision(facts.previous_revision).value_or(persist::Revision::draft01);
    std::string what = info.revision == persist::Revision::draft02
                           ? "hashed accounturi values; records with the plain account URL no longer validate"
                           : "the plain account URL; hashed records no longer validate";
    info.revision_notice = "the CA " + directory_url + " switched from dns-persist-01 draft " +
                           persist::to_string(before) + " to draft " + persist::to_string(info.revision) + " on " +
                           format_rfc3339(time_from_unix(*facts.changed_at)) +
                           ": it now expects " + what + "; republish every record ('acmed persist record NAME')";
  }
  return info;
}

Result<std::optional<std::string>> note_ca_account_uri(const storage::StateStore& store, const std::string& ca,
                                                      const std::string& account_url, const std::string& challenge_uri) {
  if (challenge_uri.size() > 512 ||
      !std::all_of(challenge_uri.begin(), challenge_uri.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f && c != ';'; }))
    return fail(Errc::bad_response, "the CA's dns-persist-01 challenge names the account '" +
                                        escape_untrusted(challenge_uri.substr(0, 512)) +
                                        "', which no record can hold (over 512 octets, a space, ';' or a control character)");
  auto facts = store.load_ca_facts(ca);
  if (!facts) return fail(facts.error());
  const std::string alias = challenge_uri == account_url ? std::string() : challenge_uri;
  const std::string of = alias.empty() ? std::string() : account_url;
  if (facts->account_uri == alias && facts->account_uri_of == of) return std::optional<std::string>{};
  facts->account_uri = alias;
  facts->account_uri_of = of;
  if (auto r = store.save_ca_facts(ca, *facts); !r) return fail(r.error());
  if (alias.empty())
    return std::optional<std::string>{"the CA names the account by its URL " + account_url +
                                      " again: dns-persist-01 records must use accounturi=" + account_url};
  return std::optional<std::string>{"this CA names the account " + alias + " rather than " + account_url +
                                    " (its URL): dns-persist-01 records must use accounturi=" + alias +
                                    "; 'acmed persist record' prints them"};
}

Result<PersistNames> persist_names(const config::CertificateConfig& cert) {
  PersistNames out;
  for (const auto& id : cert.identifiers) {
    for (const auto& s : cert.solvers) {
      bool covers = s.domains.empty() || std::any_of(s.domains.begin(), s.domains.end(), [&](const std::string& d) {
                      return name_in_domain(id.authorization_name(), d);
                    });
      if (!covers) continue;
      if (s.type == persist_type) {
        out.identifiers.push_back(id);
        if (!out.entry) out.entry = &s;
      }
      break;
    }
  }
  if (!out.entry)
    return fail(Errc::config, cert.source + ": certificate '" + cert.name +
                                  "' has no dns-persist-01 solver (add '- type: dns-persist-01' under solvers)");
  return out;
}

bool uses_persist(const config::CertificateConfig& cert) { return static_cast<bool>(persist_names(cert)); }

std::vector<std::string> persist_certificates(const std::string& config_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(config_dir + "/certs.d", ec)) {
    if (!e.is_regular_file() || e.path().extension() != ".yaml") continue;
    const std::string stem = e.path().stem().string();
    if (stem.empty() || stem[0] == '.') continue;
    auto cert = config::load_certificate(e.path().string());
    if (cert) {
      if (uses_persist(*cert)) out.push_back(stem);
      continue;
    }
    auto text = read_file(e.path().string(), 1024 * 1024);
    if (text && text->find(persist_type) != std::string::npos) out.push_back(stem);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<PersistPlan> plan_persist(const PlanInput& in) {
  if (!in.cert) return fail(Errc::invalid_argument, "plan_persist needs a certificate");
  auto names = persist_names(*in.cert);
  if (!names) return fail(names.error());
  auto settings = solver::read_persist_settings(names->entry->settings, in.now);
  if (!settings) return fail(settings.error());
  PersistPlan plan;
  plan.certificate = in.cert->name;
  plan.settings = *settings;
  if (in.persist_until) plan.settings.persist_until = in.persist_until;
  plan.revision = in.ca.revision;

  // The CA's issuer names: -02's meta.issuerDomainNames is authoritative; caaIdentities
  // only a hint (in -01 the challenge is the authority).
  std::vector<std::string> offered = !in.ca.issuer_domain_names.empty() ? in.ca.issuer_domain_names : in.ca.caa_identities;
  std::sort(offered.begin(), offered.end());
  plan.issuer = !in.issuer.empty() ? in.issuer : plan.settings.issuer.value_or("");
  if (plan.issuer.empty()) {
    if (offered.empty())
      return fail(Errc::config, std::string(in.ca.known ? "the CA's directory lists no issuerDomainNames or caaIdentities"
                                                        : "the CA's directory could not be read and was never seen") +
                                    "; set 'issuer' in the dns-persist-01 solver or pass --issuer");
    plan.issuer = offered.front();
  }
  for (const auto& o : offered)
    if (o != plan.issuer) plan.other_issuers.push_back(o);
  // A configured issuer is the only one accepted (the preflight does the same).
  plan.accepted_issuers = (!in.issuer.empty() || plan.settings.issuer || offered.empty()) ? std::vector{plan.issuer} : offered;

  if (in.account.url.empty()) return fail(Errc::invalid_argument, "the record names the ACME account: its URL is needed");
  plan.binding.revision = in.ca.revision;
  plan.binding.account_url = in.account.url;
  plan.account_url = in.account.url;
  // Draft -01: a CA may name the account otherwise in its challenges (Boulder's
  // accountURIPrefixes); what it named this account is what its records must hold.
  if (plan.revision == persist::Revision::draft01 && !in.ca.account_uri.empty() && in.ca.account_uri_of == in.account.url) {
    plan.binding.account_url = in.ca.account_uri;
    plan.ca_named_account = true;
  }
  plan.binding.hash_prefix = in.ca.hash_prefix;
  plan.binding.thumbprint = in.account.thumbprint;
  plan.binding.earlier_thumbprints = in.account.earlier_thumbprints;
  plan.binding.bind = plan.settings.bind;
  if (plan.revision == persist::Revision::draft02 && plan.binding.thumbprint.empty())
    return fail(Errc::invalid_argument, "a draft -02 record is a hash over the account key's thumbprint; pass the "
                                        "account key, not only its URL");
  auto recs = persist::required_records(names->identifiers, plan.issuer, plan.binding, plan.settings.policy,
                                        plan.settings.persist_until);
  if (!recs) return fail(recs.error());
  plan.records = std::move(*recs);
  return plan;
}

std::string account_uri_note(const PersistPlan& plan) {
  if (plan.revision != persist::Revision::draft01) return {};
  if (plan.ca_named_account)
    return "accounturi " + plan.binding.account_url + " is this CA's name for the account (from its dns-persist-01 "
           "challenge; the account URL is " + plan.account_url + ")";
  return "accounturi " + plan.binding.account_url + " is the account URL; a CA may name the account otherwise in "
         "its first dns-persist-01 challenge, and acmed then says so and prints the record to publish";
}

PersistHealth check_persist(dns::Resolver& resolver, const PersistPlan& plan, TimePoint now) {
  PersistHealth out;
  for (const auto& r : plan.records) {
    RecordHealth h;
    h.record = r;
    // What the CA requires: a wildcard name is validated from the base name's record,
    // which then needs policy=wildcard.
    h.wildcard = std::any_of(r.covers.begin(), r.covers.end(), is_wildcard);
    persist::Expectation e;
    e.issuers = plan.accepted_issuers;
    e.account = plan.binding;
    e.domain = persist::validation_domain(r.name);
    e.wildcard = h.wildcard;
    e.now = now;
    e.warn_before = plan.settings.warn_before;
    h.check = persist::check_record(resolver, r.name, e);
    h.earlier_key = persist::passes(h.check.status) &&
                    std::any_of(h.check.servers.begin(), h.check.servers.end(),
                                [](const persist::ServerResult& s) { return s.evaluation.earlier_key; });
    out.failed |= !persist::passes(h.check.status);
    out.warned |= h.check.status == persist::Status::expiring;
    out.earlier_key |= h.earlier_key;
    out.stale_format |= h.check.status == persist::Status::stale_format;
    out.records.push_back(std::move(h));
  }
  return out;
}

Result<std::optional<std::int64_t>> anchored_persist_until(const storage::StateStore& store, const std::string& cert,
                                                           const solver::PersistSettings& settings) {
  auto st = store.load_renewal_state(cert);
  if (!st) return fail(st.error());
  if (st->persist_until && st->persist_until_spec == spec_key(settings)) return st->persist_until;
  if (!settings.persist_until_relative) return settings.persist_until;
  // First use of this duration: compute it once and keep it.
  st->persist_until = settings.persist_until;
  st->persist_until_spec = spec_key(settings);
  if (auto r = store.save_renewal_state(cert, *st); !r) return fail(r.error());
  return settings.persist_until;
}

Result<void> roll_persist_until(const storage::StateStore& store, const std::string& cert,
                                const solver::PersistSettings& settings, std::int64_t until) {
  auto st = store.load_renewal_state(cert);
  if (!st) return fail(st.error());
  st->persist_until = until;
  st->persist_until_spec = spec_key(settings);
  return store.save_renewal_state(cert, *st);
}

}  // namespace acmed::app
