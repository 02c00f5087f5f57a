// SPDX-License-Identifier: Apache-2.0
// acmed issue NAME | -d NAME...: obtains a certificate now (app::certificate_for, app::issue_now) and prints the result.
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "acmed/app/issuance.hpp"
#include "acmed/core/text.hpp"
#include "acmed/storage/store.hpp"
#include "commands.hpp"

namespace acmed::cli {
namespace {

struct IssueOptions : app::IssueRequest {
  bool force = false;
  bool no_save = false;
};

/// The CA settings of the command line, which `issue --domain` saves to acmed.yaml.
Result<app::CaFlags> ca_flags(const GlobalOptions& g) {
  app::CaFlags f;
  if (!g.server.empty()) {
    auto url = config::resolve_directory(g.server);
    if (!url) return fail(url.error().with_context("--server"));
    f.server = *url;
  }
  f.ca_bundle = g.ca_bundle;
  f.agree_tos = g.agree_tos;
  f.contact = g.contact;
  return f;
}

/// After an issuance from --domain flags: certs.d/NAME.yaml and acmed.yaml, so that
/// `acmed renew` renews it. False when they could not be saved.
bool save_config(const app::SetupPlan& plan) {
  auto saved = app::save_setup(plan);
  if (!saved) {
    spdlog::error("the certificate is stored, but its configuration could not be saved, so 'acmed renew' will not "
                  "renew it: {} (fix that and run the same command again, or pass --no-save)",
                  saved.error().describe());
    return false;
  }
  if (!plan.replaced.empty())
    spdlog::warn("--force: {} named {}; replaced (the previous file is {}.replaced)", plan.cert_path, plan.replaced,
                 plan.cert_path);
  if (!plan.cert_text.empty()) spdlog::info("saved {}: 'acmed renew' renews this certificate from now on", plan.cert_path);
  for (const auto& a : plan.added) spdlog::info("saved {} to {}", a, plan.global_path);
  for (const auto& n : plan.notes) spdlog::warn("{}", n);
  return true;
}

int run_issue(const GlobalOptions& g, const IssueOptions& o) {
  auto cert = app::certificate_for(o, g.config_dir);
  if (!cert) return report(cert.error());
  // From --domain flags: what renew needs is planned, and checked writable, before ordering.
  std::optional<app::SetupPlan> plan;
  if (!o.domains.empty()) {
    auto flags = ca_flags(g);
    if (!flags) return report(flags.error());
    auto planned = app::plan_setup(o, *flags, g.config_dir, o.force);
    if (!planned) return report(planned.error());
    if (o.no_save) {
      spdlog::warn("--no-save: no certs.d file written (nor acmed.yaml); 'acmed renew' will not renew this certificate");
    } else {
      if (auto w = app::check_writable(*planned); !w) return report(w.error());
      plan = std::move(*planned);
    }
  }

  auto session = open_session(g);
  if (!session) return report(session.error());
  app::ObtainOptions opts;
  opts.force_persist = o.force;
  auto done = app::issue_now(**session, *cert, opts);
  if (!done) return report(done.error());
  const bool saved = !plan || save_config(*plan);
  const app::Obtained& got = done->got;
  const auto& hooks = done->hooks;
  if (g.json)
    std::cout << nlohmann::json{{"name", cert->name}, {"version", got.version}, {"live_dir", got.live_dir},
                                {"not_after", format_rfc3339(got.info.not_after)}, {"serial", got.info.serial_hex},
                                {"hook_error", hooks ? "" : hooks.error().message}, {"config_saved", saved}}
                     .dump(2)
              << "\n";
  if (!hooks) return report(hooks.error());
  if (!saved) return exit_failure;
  if ((*session)->state_save_failures() > 0) return exit_failure;
  return exit_ok;
}

int run_deploy(const GlobalOptions& g, const std::string& name) {
  auto cert = app::certificate_for({.name = name}, g.config_dir);
  if (!cert) return report(cert.error());
  auto session = open_session(g);
  if (!session) return report(session.error());
  auto got = app::redeploy(**session, *cert, app::HookOutput::info);
  if (!got) return report(got.error());
  if (g.json)
    std::cout << nlohmann::json{{"name", name}, {"version", got->version}, {"live_dir", got->live_dir}}.dump(2) << "\n";
  else
    std::cout << "deploy hooks of '" << name << "' ran for version " << got->version << " (" << got->live_dir << ")\n";
  return exit_ok;
}

/// `deploy --queued`: the hooks of every certificate an unprivileged renewal queued
/// (hooks.mode: queue), run by acmed-deploy.service as root. The state directory
/// belongs to that user, so the hooks get root's private copy of the certificate, read
/// without following any link the store did not write.
int run_deploy_queued(const GlobalOptions& g) {
  auto session = open_session(g);
  if (!session) return report(session.error());
  const storage::StateStore& store = (*session)->store();
  // Everything is taken off first: a failing hook is reported once, not retried in a loop.
  auto taken = store.take_deploy_queue();
  if (!taken) return report(taken.error());
  int failures = 0;
  nlohmann::json done = nlohmann::json::array();
  for (const auto& r : taken->rejected) {
    spdlog::error("deploy queue: ignored {}", r);
    ++failures;
    done.push_back({{"entry", r}, {"ok", false}});
  }
  for (const auto& name : taken->names) {
    auto got = [&]() -> Result<app::Obtained> {
      auto cert = app::certificate_for({.name = name}, g.config_dir);
      if (!cert) return fail(cert.error().with_context("not a configured certificate"));
      char tmpl[] = "/tmp/acmed-deploy-XXXXXX";
      if (!::mkdtemp(tmpl)) return fail(Errc::io, std::string("cannot make a private directory: ") + std::strerror(errno));
      const std::string dir = tmpl;
      auto copy = store.snapshot_certificate(name, dir);
      auto result = copy ? app::redeploy(**session, *cert, *copy, app::HookOutput::info)
                         : Result<app::Obtained>(fail(copy.error().with_context("refusing to deploy")));
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
      return result;
    }();
    if (!got) {
      spdlog::error("queued deploy of '{}': {}", name, got.error().describe());
      ++failures;
      done.push_back({{"name", name}, {"ok", false}, {"error", got.error().describe()}});
      continue;
    }
    done.push_back({{"name", name}, {"ok", true}, {"version", got->version}});
  }
  if (g.json) std::cout << nlohmann::json{{"deployed", done}}.dump(2) << "\n";
  else spdlog::info("{} queued deploy(s), {} failed", taken->names.size() + taken->rejected.size(), failures);
  return failures ? exit_failure : exit_ok;
}

}  // namespace

void add_deploy_command(CLI::App& app, GlobalOptions& g, int& rc) {
  auto name = std::make_shared<std::string>();
  auto queued = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand(
      "deploy", "Run the deploy hooks for the stored certificate of NAME, as after a renewal (to test them)");
  cmd->add_option("name", *name, "certificate name");
  cmd->add_flag("--queued", *queued,
                "run the hooks of every certificate queued by a renewal with hooks.mode: queue (acmed-deploy.service)");
  cmd->callback([&g, &rc, name, queued] {
    if (*queued != name->empty()) rc = report(Error(Errc::config, "deploy: give NAME or --queued (not both)"));
    else rc = *queued ? run_deploy_queued(g) : run_deploy(g, *name);
  });
}

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
  cmd->add_flag("--force", o->force,
                "answer dns-persist-01 challenges even when the record check fails, order even when CAA forbids it, "
                "and with --domain replace a certs.d/NAME.yaml that names other names");
  cmd->add_flag("--no-save", o->no_save,
                "with --domain: do not write certs.d/NAME.yaml or acmed.yaml (then 'acmed renew' does not renew the "
                "certificate)");
  cmd->callback([&g, &rc, o] { rc = run_issue(g, *o); });
}

}  // namespace acmed::cli
