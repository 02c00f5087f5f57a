#include <spdlog/spdlog.h>

#include <iostream>

#include "acmed/app/issuance.hpp"
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
    // Flags given with a NAME override that file's settings for this run.
    if (cert && !o.key_type.empty()) {
      auto t = parse_key_type(o.key_type);
      if (!t) return report(Error(Errc::config, "--key-type: " + t.error().message));
      cert->key_type = *t;
    }
    if (cert && !o.preferred_chain.empty()) cert->preferred_chain = o.preferred_chain;
    if (cert && !o.profile.empty()) cert->profile = o.profile;
  }
  if (!cert) return report(cert.error());

  auto session = open_session(g);
  if (!session) return report(session.error());
  app::ObtainOptions opts;
  opts.force_persist = o.force;
  auto done = app::issue_now(**session, *cert, opts);
  if (!done) return report(done.error());
  const app::Obtained& got = done->got;
  const auto& hooks = done->hooks;
  if (g.json)
    std::cout << nlohmann::json{{"name", cert->name}, {"version", got.version}, {"live_dir", got.live_dir},
                                {"not_after", format_rfc3339(got.info.not_after)}, {"serial", got.info.serial_hex},
                                {"hook_error", hooks ? "" : hooks.error().message}}
                     .dump(2)
              << "\n";
  if (!hooks) return report(hooks.error());
  if ((*session)->state_save_failures() > 0) return exit_failure;
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
