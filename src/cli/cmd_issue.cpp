#include <spdlog/spdlog.h>

#include <filesystem>

#include "acmed/acme/issuance.hpp"
#include "acmed/core/files.hpp"
#include "acmed/solver/registry.hpp"
#include "builtin_solvers.hpp"
#include "commands.hpp"

namespace acmed::cli {
namespace {

struct IssueOptions {
  std::string name;
  std::vector<std::string> domains;
  std::string key_type;
  std::string http01_listen;
  std::string webroot;
  std::string preferred_chain;
  std::string profile;
  bool force = false;
};

/// A certificate config from flags only: `acmed issue -d a.example -d b.example --http-01-listen :80`.
Result<config::CertificateConfig> config_from_flags(const IssueOptions& o) {
  std::string name = o.name.empty() ? o.domains.front() : o.name;
  if (name.rfind("*.", 0) == 0) name = name.substr(2);
  ConfigValue root = ConfigValue::make_map("command line");
  ConfigValue names;
  names.kind = ConfigValue::Kind::list;
  names.origin = "--domain";
  for (const auto& d : o.domains) names.list.push_back(ConfigValue::make_scalar(d, "--domain"));
  root.map["names"] = names;
  if (!o.key_type.empty()) root.map["key_type"] = ConfigValue::make_scalar(o.key_type, "--key-type");
  if (!o.preferred_chain.empty()) root.map["preferred_chain"] = ConfigValue::make_scalar(o.preferred_chain, "--preferred-chain");
  if (!o.profile.empty()) root.map["profile"] = ConfigValue::make_scalar(o.profile, "--profile");
  ConfigValue solver = ConfigValue::make_map("command line");
  solver.map["type"] = ConfigValue::make_scalar("http-01", "command line");
  if (!o.webroot.empty()) {
    solver.map["mode"] = ConfigValue::make_scalar("webroot", "--webroot");
    solver.map["webroot"] = ConfigValue::make_scalar(o.webroot, "--webroot");
  } else {
    solver.map["listen"] = ConfigValue::make_scalar(o.http01_listen.empty() ? "0.0.0.0:80" : o.http01_listen,
                                                    "--http-01-listen");
  }
  ConfigValue solvers;
  solvers.kind = ConfigValue::Kind::list;
  solvers.origin = "command line";
  solvers.list.push_back(solver);
  root.map["solvers"] = solvers;
  return config::parse_certificate(root, name, "command line");
}

int run_issue(const GlobalOptions& g, const IssueOptions& o) {
  Result<config::CertificateConfig> cert = fail(Errc::config, "give a certificate NAME or at least one --domain");
  if (!o.domains.empty()) {
    cert = config_from_flags(o);
  } else if (!o.name.empty()) {
    cert = config::load_certificate(g.config_dir + "/certs.d/" + o.name + ".yaml");
  }
  if (!cert) return report(cert.error());

  auto session = Session::open(g);
  if (!session) return report(session.error());
  auto& s = **session;

  solver::SolverRegistry registry;
  if (auto r = register_builtin_solvers(registry); !r) return report(r.error());
  solver::SolverDeps deps;
  deps.work_dir = g.state_dir + "/solvers/" + cert->name;
  deps.certificate_identifiers = cert->identifiers;
  if (auto r = ensure_dir(deps.work_dir, 0700); !r) return report(r.error());
  std::vector<std::unique_ptr<solver::ChallengeSolver>> instances;
  acme::IssueRequest req;
  req.identifiers = cert->identifiers;
  req.profile = cert->profile;
  req.preferred_chain = cert->preferred_chain;
  for (const auto& entry : cert->solvers) {
    const solver::SolverFactory* f = registry.find(entry.type);
    if (!f) {
      std::string known;
      for (const auto& n : registry.names()) known += (known.empty() ? "" : ", ") + n;
      return report(Error(Errc::config, entry.settings.origin + ": solver type '" + entry.type +
                                            "' is not available in this build (available: " + known + ")"));
    }
    solver::SolverConfig sc{entry.type, entry.settings};
    // --force: answer dns-persist-01 challenges even when the read-only preflight fails.
    if (o.force && entry.type == "dns-persist-01") sc.settings.map["force"] = ConfigValue::make_scalar("true", "--force");
    if (auto v = f->validate(sc); !v) return report(v.error());
    // Only DNS-based solvers get a resolver; nobody gets DNS write access from here.
    if (entry.type.rfind("dns-", 0) == 0 && !deps.resolver) {
      auto resolver = s.resolver();
      if (!resolver) return report(resolver.error());
      deps.resolver = *resolver;
    }
    auto inst = f->create(sc, deps);
    if (!inst) return report(inst.error());
    req.solvers.push_back({f->challenge_type_for(sc), entry.domains, inst->get()});
    instances.push_back(std::move(*inst));
  }

  if (auto r = s.ensure_account(); !r) return report(r.error());

  // Remember what the CA offers: an authorization's challenge list is the only
  // authoritative signal of dns-persist-01 support.
  req.observe_authorization = [&s](const acme::Authorization& a) {
    std::string types;
    for (const auto& c : a.challenges) types += (types.empty() ? "" : " ") + c.type;
    (void)s.store().save_seen_challenges(s.ca(), types);
  };

  auto key = PrivateKey::generate(cert->key_type);
  if (!key) return report(key.error());
  spdlog::info("issuing '{}' for {} name(s) from {}", cert->name, cert->identifiers.size(), s.config().ca.directory_url);
  auto issued = acme::issue_certificate(s.client(), req, *key);
  if (!issued && issued.error().is_acme("accountDoesNotExist")) {
    if (auto r = s.recover_account(); !r) return report(r.error());
    issued = acme::issue_certificate(s.client(), req, *key);
  }
  if (!issued) return report(issued.error().with_context("issuing '" + cert->name + "'"));

  auto version = s.store().save_certificate(cert->name, issued->fullchain_pem, key->to_pem());
  if (!version) return report(version.error());
  auto chain = parse_pem_chain(issued->fullchain_pem);
  auto info = chain ? inspect_certificate(chain->front()) : Result<CertificateInfo>(fail(chain.error()));
  spdlog::info("certificate '{}' saved to {} (version {}, expires {}, {} HTTP requests)", cert->name,
               s.store().live_dir(cert->name), *version,
               info ? format_rfc3339(info->not_after) : std::string("?"), s.http_requests());
  return exit_ok;
}

}  // namespace

void add_issue_command(CLI::App& app, GlobalOptions& g, int& rc) {
  auto o = std::make_shared<IssueOptions>();
  auto* cmd = app.add_subcommand("issue", "Obtain a certificate now (certs.d/NAME.yaml, or --domain flags)");
  cmd->add_option("name", o->name, "certificate name (certs.d/NAME.yaml; with --domain: the storage name)");
  cmd->add_option("-d,--domain", o->domains, "a DNS name or IP address to include (repeatable)");
  cmd->add_option("--key-type", o->key_type, "ec-p256 (default), ec-p384, rsa2048, rsa3072, rsa4096, ed25519");
  cmd->add_option("--http-01-listen", o->http01_listen, "standalone http-01 listener address (default 0.0.0.0:80)");
  cmd->add_option("--webroot", o->webroot, "serve http-01 from this web root instead of a listener");
  cmd->add_option("--preferred-chain", o->preferred_chain, "issuer CN of the preferred chain's top certificate");
  cmd->add_option("--profile", o->profile, "ACME profile to request");
  cmd->add_flag("--force", o->force, "answer dns-persist-01 challenges even when the record check fails");
  cmd->callback([&g, &rc, o] { rc = run_issue(g, *o); });
}

}  // namespace acmed::cli
