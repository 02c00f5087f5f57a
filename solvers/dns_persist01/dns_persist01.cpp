// SPDX-License-Identifier: Apache-2.0
#include "acmed/solvers/dns_persist01.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>

#include "acmed/dns/resolver.hpp"
#include "acmed/solvers/settings.hpp"
#include "acmed/solvers/solver_base.hpp"

namespace acmed::solver {
namespace {

constexpr std::string_view solver_name = "dns-persist-01";

constexpr std::string_view own_keys[] = {"issuer", "policy", "persist_until", "warn_before", "force", "bind"};

/// Why `key` would give this mode DNS write access, or "" when it would not. The
/// providers' keys come from their declarations (passed in by the composition root:
/// this target links no provider); 'provider' is the one dns-01 word no provider declares.
std::string write_key_reason(const std::string& key, std::span<const DeclaredSettings> dns_providers) {
  if (key == "provider") return "it chooses a dns-01 DNS write provider";
  std::string owners;
  bool credential = false;
  for (const auto& p : dns_providers) {
    if (p.owner == key) return "it is the section of the dns-01 provider '" + p.owner + "'";
    for (const auto& s : p.settings)
      if (s.name == key) {
        owners += (owners.empty() ? "'" : ", '") + p.owner + "'";
        credential |= s.credential;
      }
  }
  if (owners.empty()) return "";
  return std::string(credential ? "it names a credential of" : "it is a setting of") + " the dns-01 provider " + owners;
}

/// The Unix time, and whether it was given relative to now (a duration).
Result<std::pair<std::int64_t, bool>> parse_persist_until(const ConfigValue& v, std::chrono::system_clock::time_point now) {
  const std::string& s = v.scalar;
  auto bad = [&] {
    return fail(Errc::config, v.origin + ": persist_until '" + s +
                                  "' must be a date (2027-06-01), an RFC 3339 time, a Unix time, or a duration (180d)");
  };
  if (!v.is_scalar() || s.empty()) return bad();
  if (std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); }) && s.size() >= 9 && s.size() <= 12)
    return std::pair{static_cast<std::int64_t>(std::stoll(s)), false};
  for (const char* f : {"%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"}) {
    std::tm tm{};
    const char* end = strptime(s.c_str(), f, &tm);
    if (end && *end == '\0') return std::pair{static_cast<std::int64_t>(timegm(&tm)), false};
  }
  ConfigValue holder = ConfigValue::make_map(v.origin);
  holder.map["d"] = v;
  auto d = get_duration(holder, "d", std::chrono::milliseconds(0), "dns-persist-01");
  if (!d || d->count() == 0) return bad();
  return std::pair{static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::seconds>((now + *d).time_since_epoch()).count()), true};
}

class DnsPersistSolver final : public SolverBase {
 public:
  DnsPersistSolver(dns::Resolver& resolver, PersistSettings s, std::vector<Identifier> certificate,
                   std::vector<std::string> earlier_thumbprints)
      : SolverBase(std::string(solver_name)), resolver_(resolver), settings_(std::move(s)),
        certificate_(std::move(certificate)), earlier_thumbprints_(std::move(earlier_thumbprints)) {}

 protected:
  Result<void> do_present(const ChallengeContext& ctx) override {
    const std::string who = (ctx.wildcard ? "*." : "") + ctx.identifier.value;
    const persist::Revision revision = persist::revision_for(ctx.account_hash_prefix);
    // Draft -02 §3: C must hold every name of D, and lie within I where I is served.
    auto issuers_ok = revision == persist::Revision::draft02
                          ? persist::check_challenge_issuers(ctx.issuer_domain_names, ctx.directory_issuer_domain_names,
                                                             ctx.caa_identities)
                          : persist::validate_issuer_names(ctx.issuer_domain_names);
    if (!issuers_ok) return fail(Errc::bad_response, "malformed dns-persist-01 challenge: " + issuers_ok.error().message);
    // Draft -01 §3.1: the challenge's accounturi is the URI the CA expects in the record,
    // "the mechanism by which the CA communicates alternative URIs to the client" (Boulder
    // builds it from its accountURIPrefixes). The authorization was fetched with this
    // account's key, so it names this account: the record must hold it. Draft -00 servers
    // (Pebble 2.10.0) omit it: use our account URL. Draft -02 removed the field.
    persist::AccountBinding binding{revision, ctx.account_uri, ctx.account_hash_prefix.value_or(""),
                                    ctx.account_thumbprint, earlier_thumbprints_, settings_.bind};
    if (revision == persist::Revision::draft01 && ctx.challenge_account_uri &&
        *ctx.challenge_account_uri != ctx.account_uri) {
      spdlog::debug("[dns-persist-01] {}: the CA names this account {} (its URL is {})", who,
                    *ctx.challenge_account_uri, ctx.account_uri);
      binding.account_url = *ctx.challenge_account_uri;
    }
    std::vector<std::string> issuers = ctx.issuer_domain_names;
    if (settings_.issuer) {
      if (std::find(issuers.begin(), issuers.end(), *settings_.issuer) == issuers.end())
        return fail(Errc::config, "configured issuer '" + *settings_.issuer + "' is not offered by the CA (it offers: " +
                                      join(issuers) + ")");
      issuers = {*settings_.issuer};
    }
    persist::Expectation e;
    e.issuers = issuers;
    e.account = binding;
    e.domain = persist::validation_domain(persist::record_name(ctx.identifier));
    e.wildcard = ctx.wildcard;
    e.warn_before = settings_.warn_before;
    const std::string name = persist::record_name(ctx.identifier);
    auto check = persist::check_record(resolver_, name, e);
    for (const auto& s : check.servers)
      spdlog::debug("[dns-persist-01] {} @ {}: {} {}", name, s.server, persist::to_string(s.evaluation.status),
                    s.evaluation.detail);
    if (check.status == persist::Status::ok) {
      spdlog::info("[dns-persist-01] {}: {} verified read-only: {}", who, name, check.summary);
      if (std::any_of(check.servers.begin(), check.servers.end(),
                      [](const persist::ServerResult& s) { return s.evaluation.earlier_key; }))
        spdlog::warn("[dns-persist-01] {}: {} was made with an earlier account key; the CA still accepts it until "
                     "the account is deactivated, but republish it (acmed persist record)",
                     who, name);
      return {};
    }
    if (check.status == persist::Status::expiring) {
      // The CA validates after our other presents and its own queueing: a record that
      // stops counting within minutes would fail at validation time.
      const auto soon = std::chrono::duration_cast<std::chrono::seconds>(
                            (std::chrono::system_clock::now() + std::chrono::minutes(10)).time_since_epoch())
                            .count();
      bool too_close = std::all_of(check.servers.begin(), check.servers.end(), [&](const persist::ServerResult& s) {
        return s.evaluation.persist_until && *s.evaluation.persist_until < soon;
      });
      if (!too_close) {
        spdlog::warn("[dns-persist-01] {}: {}: {}", who, name, check.summary);
        return {};
      }
      check.status = persist::Status::expired;
      check.summary += " (less than 10 minutes left: the CA would validate after it)";
    }
    // The record to publish is the certificate-wide one: a base name shares it with its wildcard.
    std::string fix;
    auto sorted = issuers;
    std::sort(sorted.begin(), sorted.end());
    std::vector<Identifier> names;
    std::copy_if(certificate_.begin(), certificate_.end(), std::back_inserter(names),
                 [](const Identifier& i) { return i.type == Identifier::Type::dns; });
    if (names.empty()) names.push_back(ctx.wildcard ? *Identifier::parse("*." + ctx.identifier.value) : ctx.identifier);
    auto records = persist::required_records(names, sorted.front(), binding, settings_.policy, settings_.persist_until);
    if (records)
      for (const auto& r : *records)
        if (r.name == name) fix = " Publish (through your DNS change process): " + persist::zone_file_line(name, r.value, 3600);
    std::string msg = "preflight failed for " + who + ": " + persist::to_string(check.status) + ": " + check.summary +
                      ". The challenge was not answered, because a failed validation counts against the CA's "
                      "rate limits." + fix + " Use --force to answer anyway.";
    if (settings_.force) {
      spdlog::warn("[dns-persist-01] {} (--force: answering anyway)", msg);
      return {};
    }
    return fail(Errc::solver, msg);
  }

  // The record is a standing authorization published beforehand: nothing to wait for,
  // and nothing to remove.
  Result<void> do_wait_ready(std::chrono::steady_clock::time_point) override { return {}; }
  void do_cleanup(const ChallengeContext&) override {}

 private:
  static std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  }
  dns::Resolver& resolver_;
  PersistSettings settings_;
  std::vector<Identifier> certificate_;
  std::vector<std::string> earlier_thumbprints_;
};

class DnsPersistFactory final : public SolverFactory {
 public:
  explicit DnsPersistFactory(std::vector<DeclaredSettings> dns_providers) : dns_providers_(std::move(dns_providers)) {}

  std::string_view name() const override { return solver_name; }
  std::string_view challenge_type() const override { return solver_name; }
  Capabilities capabilities() const override {
    return {.wildcard = true, .ip_identifiers = false, .needs_inbound_port = false, .writes_dns = false,
            .dns_lookups = true};
  }
  Result<void> validate(const SolverConfig& c) const override {
    auto s = read_persist_settings(c.settings, std::chrono::system_clock::now(), dns_providers_);
    if (!s) return fail(s.error());
    return {};
  }
  Result<std::unique_ptr<ChallengeSolver>> create(const SolverConfig& c, const SolverDeps& deps) const override {
    auto s = read_persist_settings(c.settings, std::chrono::system_clock::now(), dns_providers_);
    if (!s) return fail(s.error());
    s->force |= c.force;
    if (!deps.resolver) return fail(Errc::config, "dns-persist-01 needs a DNS resolver for its read-only checks");
    return std::unique_ptr<ChallengeSolver>(std::make_unique<DnsPersistSolver>(
        *deps.resolver, std::move(*s), deps.certificate_identifiers, deps.earlier_account_thumbprints));
  }

 private:
  std::vector<DeclaredSettings> dns_providers_;
};

}  // namespace

Result<PersistSettings> read_persist_settings(const ConfigValue& section, std::chrono::system_clock::time_point now,
                                              std::span<const DeclaredSettings> dns_providers) {
  for (const auto& [key, v] : section.map) {
    if (std::find(std::begin(own_keys), std::end(own_keys), key) != std::end(own_keys) ||
        std::find(std::begin(common_solver_keys), std::end(common_solver_keys), key) != std::end(common_solver_keys))
      continue;
    if (auto why = write_key_reason(key, dns_providers); !why.empty())
      return fail(Errc::config, v.origin + ": '" + key +
                                    "' does not belong in a dns-persist-01 solver: this mode never writes DNS and "
                                    "takes no DNS credentials (" + why + "). The _validation-persist record is "
                                    "published once through your DNS change process (see 'acmed persist record'); "
                                    "remove this key");
  }
  if (auto r = check_keys(section, own_keys, "dns-persist-01"); !r) return fail(r.error());
  PersistSettings out;
  auto issuer = get_string(section, "issuer", "", "dns-persist-01");
  if (!issuer) return fail(issuer.error());
  if (!issuer->empty()) {
    if (auto r = persist::validate_issuer_names({*issuer}); !r)
      return fail(Errc::config, section.find("issuer")->origin + ": " + r.error().message);
    out.issuer = *issuer;
  }
  auto policy = get_string(section, "policy", "auto", "dns-persist-01");
  if (!policy) return fail(policy.error());
  if (*policy == "auto") out.policy = persist::PolicyMode::automatic;
  else if (*policy == "wildcard") out.policy = persist::PolicyMode::wildcard;
  else if (*policy == "none") out.policy = persist::PolicyMode::none;
  else return fail(Errc::config, section.find("policy")->origin + ": policy must be auto, wildcard or none");
  if (const ConfigValue* pu = section.find("persist_until")) {
    auto t = parse_persist_until(*pu, now);
    if (!t) return fail(t.error());
    out.persist_until = t->first;
    out.persist_until_relative = t->second;
    out.persist_until_spec = pu->scalar;
  }
  auto bind = get_string(section, "bind", "name", "dns-persist-01");
  if (!bind) return fail(bind.error());
  if (*bind == "name") out.bind = persist::Bind::name;
  else if (*bind == "any") out.bind = persist::Bind::any;
  else return fail(Errc::config, section.find("bind")->origin + ": bind must be 'name' (hash the record's own name) "
                                 "or 'any' (hash \"*\": one value for every name)");
  auto warn = get_duration(section, "warn_before", std::chrono::hours(24 * 30), "dns-persist-01");
  if (!warn) return fail(warn.error());
  out.warn_before = std::chrono::duration_cast<std::chrono::seconds>(*warn);
  auto force = get_string(section, "force", "false", "dns-persist-01");
  if (!force) return fail(force.error());
  out.force = *force == "true";
  return out;
}

std::unique_ptr<SolverFactory> make_dns_persist01_factory(std::vector<DeclaredSettings> dns_providers) {
  return std::make_unique<DnsPersistFactory>(std::move(dns_providers));
}

}  // namespace acmed::solver
