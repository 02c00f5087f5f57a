#include "obtain.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "acmed/acme/issuance.hpp"
#include "acmed/app/account.hpp"
#include "acmed/app/persist.hpp"
#include "acmed/core/files.hpp"
#include "acmed/solver/registry.hpp"
#include "acmed/solvers/process.hpp"
#include "builtin_solvers.hpp"
#include "persist_view.hpp"

namespace acmed::cli {

Result<Obtained> obtain(Session& s, const GlobalOptions& g, const config::CertificateConfig& cert,
                        const ObtainOptions& o) {
  solver::SolverRegistry registry;
  if (auto r = register_builtin_solvers(registry); !r) return fail(r.error());
  solver::SolverDeps deps;
  deps.work_dir = g.state_dir + "/solvers/" + cert.name;
  deps.certificate_identifiers = cert.identifiers;
  if (auto r = ensure_dir(deps.work_dir, 0700); !r) return fail(r.error());
  std::vector<std::unique_ptr<solver::ChallengeSolver>> instances;
  acme::IssueRequest req;
  req.identifiers = cert.identifiers;
  req.profile = cert.profile;
  req.preferred_chain = cert.preferred_chain;
  req.replaces = o.replaces;
  // Every solver section is checked before anything touches the CA or the account.
  std::vector<std::pair<const solver::SolverFactory*, solver::SolverConfig>> configs;
  for (const auto& entry : cert.solvers) {
    const solver::SolverFactory* f = registry.find(entry.type);
    if (!f) {
      std::string known;
      for (const auto& n : registry.names()) known += (known.empty() ? "" : ", ") + n;
      return fail(Errc::config, entry.settings.origin + ": solver type '" + entry.type +
                                    "' is not available in this build (available: " + known + ")");
    }
    solver::SolverConfig sc{entry.type, entry.settings};
    if (auto v = f->validate(sc); !v) return fail(v.error());
    sc.force = o.force_persist;
    if (entry.type == "dns-persist-01") {
      // The record to suggest carries the anchored persistUntil, not one recomputed today.
      auto settings = solver::read_persist_settings(entry.settings, std::chrono::system_clock::now());
      if (!settings) return fail(settings.error());
      auto until = app::anchored_persist_until(s.store(), cert.name, *settings);
      if (!until) return fail(until.error());
      if (*until) sc.settings.map["persist_until"] = ConfigValue::make_scalar(std::to_string(**until), "state");
    }
    configs.emplace_back(f, std::move(sc));
  }

  {
    // Registration and recovery touch shared account state: one process at a time.
    auto lock = s.store().lock_accounts();
    if (!lock) return fail(lock.error());
    if (auto r = s.ensure_account(); !r) return fail(r.error());
  }
  const bool persist = app::uses_persist(cert);
  if (persist) {
    // Draft -02 CAs accept records hashed with the account's earlier keys.
    auto earlier = s.store().load_earlier_thumbprints(s.ca());
    if (!earlier) return fail(earlier.error());
    deps.earlier_account_thumbprints = *earlier;
  }
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const auto& [f, sc] = configs[i];
    // A resolver only for solvers that declare DNS lookups; nobody gets DNS write access from here.
    solver::SolverDeps own = deps;
    if (f->capabilities().dns_lookups) {
      auto resolver = s.resolver();
      if (!resolver) return fail(resolver.error());
      own.resolver = *resolver;
    }
    auto inst = f->create(sc, own);
    if (!inst) return fail(inst.error());
    req.solvers.push_back({f->challenge_type_for(sc), cert.solvers[i].domains, inst->get()});
    instances.push_back(std::move(*inst));
  }
  if (persist) {
    // 'force: true' in the solver section means what --force means.
    bool force = o.force_persist;
    if (auto names = app::persist_names(cert); names)
      if (auto st = solver::read_persist_settings(names->entry->settings, std::chrono::system_clock::now()); st)
        force |= st->force;
    if (auto r = persist_preorder_check(s, cert, force); !r) return fail(r.error());
  }

  // Remember what the CA offers: an authorization's challenge list is the only
  // authoritative signal of dns-persist-01 support.
  req.observe_authorization = [&s](const acme::Authorization& a) {
    std::string types;
    for (const auto& c : a.challenges) types += (types.empty() ? "" : " ") + c.type;
    (void)s.store().save_seen_challenges(s.ca(), types);
  };

  auto key = PrivateKey::generate(cert.key_type);
  if (!key) return fail(key.error());
  spdlog::info("issuing '{}' for {} name(s) from {}", cert.name, cert.identifiers.size(), s.config().ca.directory_url);
  auto issued = acme::issue_certificate(s.client(), req, *key);
  // ARI `replaces` names a certificate the CA may not accept as replaceable (another CA
  // or account, or already replaced by an order whose result we never stored). The
  // renewal itself must not fail for that: retry once without it (RFC 9773 §5).
  // CAs word that refusal differently (Pebble: "could not find an order for the given
  // certificate"), so any refusal of the newOrder request itself counts.
  if (!issued && req.replaces && issued.error().problem &&
      (issued.error().is_acme("alreadyReplaced") ||
       issued.error().problem->detail.find("replaces") != std::string::npos ||
       issued.error().problem->detail.find("ARI") != std::string::npos ||
       (issued.error().message.rfind("creating the order", 0) == 0 && !issued.error().is_acme("accountDoesNotExist") &&
        !issued.error().is_acme("rateLimited")))) {
    spdlog::warn("'{}': the CA refused 'replaces' ({}); ordering without it", cert.name, issued.error().describe());
    req.replaces.reset();
    issued = acme::issue_certificate(s.client(), req, *key);
  }
  if (!issued && issued.error().is_acme("accountDoesNotExist")) {
    // A new registration means a new account URL: every published _validation-persist
    // record (and any CAA accounturi pin) would name the old account.
    if (auto ok = app::may_reregister(app::persist_certificates(g.config_dir), s.client().account_url().value_or("?"),
                                      s.store().account_dir(s.ca()) + "/private_key.pem");
        !ok)
      return fail(ok.error());
    auto lock = s.store().lock_accounts();
    if (!lock) return fail(lock.error());
    if (auto r = s.recover_account(); !r) return fail(r.error());
    issued = acme::issue_certificate(s.client(), req, *key);
  }
  if (!issued) return fail(issued.error().with_context("issuing '" + cert.name + "'"));

  Obtained got;
  auto chain = parse_pem_chain(issued->fullchain_pem);
  if (!chain) return fail(chain.error());
  auto info = inspect_certificate(chain->front());
  if (!info) return fail(info.error());
  got.info = *info;
  if (o.store) {
    auto version = s.store().save_certificate(cert.name, issued->fullchain_pem, key->to_pem());
    if (!version) return fail(version.error());
    got.version = *version;
    got.live_dir = s.store().live_dir(cert.name);
    spdlog::info("certificate '{}' saved to {} (version {}, expires {}, {} HTTP requests)", cert.name, got.live_dir,
                 got.version, format_rfc3339(info->not_after), s.http_requests());
  } else {
    spdlog::info("dry run: certificate for '{}' obtained (expires {}) and discarded", cert.name,
                 format_rfc3339(info->not_after));
  }
  return got;
}

Result<void> run_deploy_hooks(const config::GlobalConfig& global, const config::CertificateConfig& cert,
                              const Obtained& got) {
  std::vector<std::string> hooks = global.deploy_hooks;
  hooks.insert(hooks.end(), cert.deploy_hooks.begin(), cert.deploy_hooks.end());
  std::string domains;
  for (const auto& id : cert.identifiers) domains += (domains.empty() ? "" : " ") + id.value;
  std::map<std::string, std::string> env = {
      {"ACMED_NAME", cert.name},
      {"ACMED_LIVE_DIR", got.live_dir},
      {"ACMED_CERT_PATH", got.live_dir + "/cert.pem"},
      {"ACMED_CHAIN_PATH", got.live_dir + "/chain.pem"},
      {"ACMED_FULLCHAIN_PATH", got.live_dir + "/fullchain.pem"},
      {"ACMED_KEY_PATH", got.live_dir + "/privkey.pem"},
      {"ACMED_DOMAINS", domains},
      {"ACMED_VERSION", std::to_string(got.version)},
      {"ACMED_NOT_AFTER", format_rfc3339(got.info.not_after)},
      {"ACMED_SERIAL", got.info.serial_hex},
      // certbot's names, so existing deploy hooks keep working.
      {"RENEWED_LINEAGE", got.live_dir},
      {"RENEWED_DOMAINS", domains}};
  std::vector<std::string> failed;
  for (const auto& h : hooks) {
    auto r = solver::run_process({h}, env, "", std::chrono::minutes(5));
    if (!r) {
      failed.push_back(h + ": " + r.error().message);
    } else if (r->exit_code != 0) {
      std::string err = r->err.substr(0, 500);
      while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
      failed.push_back(h + " exited with " + std::to_string(r->exit_code) + (err.empty() ? "" : ": " + err));
    } else {
      spdlog::info("deploy hook {} done for '{}'", h, cert.name);
    }
  }
  if (failed.empty()) return {};
  std::string msg = "deploy hook failed for '" + cert.name + "' (the new certificate stays in place)";
  for (const auto& f : failed) msg += "\n  - " + f;
  return fail(Errc::solver, msg);
}

std::vector<std::string> configured_certificates(const std::string& config_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(config_dir + "/certs.d", ec)) {
    if (!e.is_regular_file() || e.path().extension() != ".yaml") continue;
    std::string stem = e.path().stem().string();
    if (!stem.empty() && stem[0] != '.') names.push_back(stem);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace acmed::cli
