// SPDX-License-Identifier: Apache-2.0
#include "acmed/app/issuance.hpp"

#include <spdlog/spdlog.h>
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <cstring>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <mutex>
#include <thread>

#include "acmed/acme/issuance.hpp"
#include "acmed/app/account.hpp"
#include "acmed/app/persist.hpp"
#include "acmed/app/persist_session.hpp"
#include "acmed/app/renewal.hpp"
#include "acmed/core/cancel.hpp"
#include "acmed/core/files.hpp"
#include "acmed/core/text.hpp"
#include "acmed/core/time.hpp"
#include "acmed/solvers/process.hpp"

namespace acmed::app {

namespace {

/// The challenge types configured for `id`: the solvers whose domains cover it, less the
/// ones a CA never offers for a wildcard.
std::vector<std::string> methods_for(const solver::SolverRegistry* registry, const config::CertificateConfig& cert,
                                     const Identifier& id) {
  std::vector<std::string> out;
  for (const auto& entry : cert.solvers) {
    std::string type = entry.type;
    if (registry)
      if (const auto* f = registry->find(entry.type)) type = f->challenge_type_for({entry.type, entry.settings});
    if (!acme::binding_matches({type, entry.domains, nullptr}, id)) continue;
    if (id.is_wildcard() && (type == "http-01" || type == "tls-alpn-01")) continue;
    if (std::find(out.begin(), out.end(), type) == out.end()) out.push_back(type);
  }
  return out;
}

/// No order when CAA forbids it (the CA would refuse it after the challenges); a lookup
/// that fails, or a CA without caaIdentities, is a warning.
Result<void> caa_preorder_check(Session& s, const config::CertificateConfig& cert) {
  auto verdicts = caa_verdicts(s, cert);
  if (!verdicts) {
    spdlog::warn("'{}': CAA not checked: {}", cert.name, verdicts.error().describe());
    return {};
  }
  std::string problems;
  for (const auto& [name, v] : *verdicts) {
    switch (v.outcome) {
      case caa::Outcome::forbidden:
        problems += "\n  - " + name + ": " + v.reason + "\n    " + v.suggestion;
        break;
      case caa::Outcome::unknown:
        spdlog::warn("'{}': CAA for {} not checked: {}", cert.name, name, v.reason);
        break;
      case caa::Outcome::allowed:
        spdlog::debug("'{}': CAA for {}: {}", cert.name, name, v.reason);
        break;
    }
  }
  if (problems.empty()) return {};
  return fail(Errc::config, "no order was placed for '" + cert.name + "': CAA forbids it" + problems +
                                "\n  (--force orders anyway; the CA will refuse it while CAA says so)");
}

/// Each solver section of `cert` with its factory, validated, before anything touches the
/// CA or the account (a configuration error is reported as such, not as a network one).
using SolverConfigs = std::vector<std::pair<const solver::SolverFactory*, solver::SolverConfig>>;
Result<SolverConfigs> solver_configs(Session& s, const config::CertificateConfig& cert, bool force_persist) {
  if (!s.solvers()) return fail(Errc::config, "this session has no challenge solvers");
  const solver::SolverRegistry& registry = *s.solvers();
  SolverConfigs configs;
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
    sc.force = force_persist;
    if (entry.type == "dns-persist-01") {
      // The record to suggest carries the anchored persistUntil, not one recomputed today.
      auto settings = solver::read_persist_settings(entry.settings, s.clock().now());
      if (!settings) return fail(settings.error());
      auto until = anchored_persist_until(s.store(), cert.name, *settings);
      if (!until) return fail(until.error());
      if (*until) sc.settings.map["persist_until"] = ConfigValue::make_scalar(std::to_string(**until), "state");
    }
    configs.emplace_back(f, std::move(sc));
  }
  return configs;
}

/// The CA's directory, fetched and checked before anything is created or recorded: a
/// mistyped --server (a closed port, a web page, not ACME) leaves no account key and
/// no renewal state behind.
Result<void> check_directory(Session& s) {
  auto dir = s.client().directory();
  if (!dir)
    return fail(dir.error().with_context("no ACME directory at " + s.config().ca.directory_url +
                                         " (check --server or ca.directory; nothing was created or recorded)"));
  return {};
}

/// A failed attempt in the renewal state: one more failure, the back-off. The state is
/// read again first: issuance may have anchored a persistUntil in it.
storage::RenewalState record_failure(Session& s, const std::string& name, const Error& e,
                                     const storage::RenewalState& fallback) {
  auto latest = s.store().load_renewal_state(name);
  auto failed = after_failure(latest ? *latest : fallback, e.describe(), s.clock().now());
  s.save_renewal_state(name, failed);
  return failed;
}

}  // namespace

Result<std::vector<CaaNameVerdict>> caa_verdicts(Session& s, const config::CertificateConfig& cert) {
  auto dir = s.client().directory();
  if (!dir) return fail(dir.error());
  auto resolver = s.resolver();
  if (!resolver) return fail(resolver.error());
  // The session's account, else the one stored (a view loads no key).
  std::string account = s.client().account_url().value_or("");
  if (account.empty())
    if (auto stored = s.store().load_account_url(s.ca()); stored && *stored) account = **stored;
  std::vector<CaaNameVerdict> out;
  for (const auto& id : cert.identifiers) {
    if (id.type != Identifier::Type::dns) continue;  // CAA has nothing to say about IP addresses (RFC 8738 §7)
    caa::Request r{.name = id.value,
                   .ca_identities = dir->meta.caa_identities,
                   .account_uri = account,
                   .methods = methods_for(s.solvers(), cert, id)};
    out.push_back({id.value, caa::check(**resolver, r)});
  }
  return out;
}

Result<Obtained> obtain(Session& s, const config::CertificateConfig& cert, const ObtainOptions& o) {
  solver::SolverDeps deps;
  if (!s.work_dir().empty()) deps.work_dir = s.work_dir() + "/" + cert.name;
  deps.certificate_identifiers = cert.identifiers;
  if (!deps.work_dir.empty())
    if (auto r = ensure_dir(deps.work_dir, 0700); !r) return fail(r.error());
  std::vector<std::unique_ptr<solver::ChallengeSolver>> instances;
  acme::IssueRequest req;
  req.identifiers = cert.identifiers;
  req.profile = cert.profile;
  req.preferred_chain = cert.preferred_chain;
  req.replaces = o.replaces;
  // Every solver section is checked before anything touches the CA or the account.
  auto checked = solver_configs(s, cert, o.force_persist);
  if (!checked) return fail(checked.error());
  auto& configs = *checked;

  Obtained got;
  if (o.stop_before_order) {
    // A dry run registers nothing: an account the CA does not know yet is only noted.
    auto lock = s.store().lock_accounts();
    if (!lock) return fail(lock.error());
    if (auto r = s.ensure_account(false); !r) {
      if (r.error().code != Errc::not_found) return fail(r.error());
      got.notes = r.error().message + " (a renewal registers it)";
    }
  } else {
    // Registration and recovery touch shared account state: one process at a time.
    auto lock = s.store().lock_accounts();
    if (!lock) return fail(lock.error());
    if (auto r = s.ensure_account(); !r) return fail(r.error());
  }
  const bool persist = uses_persist(cert);
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
    if (auto names = persist_names(cert); names)
      if (auto st = solver::read_persist_settings(names->entry->settings, s.clock().now()); st)
        force |= st->force;
    if (auto r = persist_preorder_check(s, cert, force); !r) return fail(r.error());
  }
  if (o.force_persist)
    spdlog::info("'{}': --force: CAA not checked", cert.name);
  else if (auto r = caa_preorder_check(s, cert); !r)
    return fail(r.error());
  if (o.stop_before_order) {
    got.stopped_before_order = true;
    return got;
  }

  // Remember what the CA offers: an authorization's challenge list is the only
  // authoritative signal of dns-persist-01 support.
  req.observe_authorization = [&s](const acme::Authorization& a) {
    std::string types;
    for (const auto& c : a.challenges) types += (types.empty() ? "" : " ") + c.type;
    if (auto r = s.store().save_seen_challenges(s.ca(), types); !r)
      spdlog::warn("cannot remember the challenge types the CA offers: {}", r.error().describe());
    // Draft -01: the challenge's accounturi is the CA's name for this account (the
    // authorization was fetched with its key). Remembered, so that persist record|check,
    // status, serve and the next pre-order check name it too.
    const auto url = s.client().account_url();
    for (const auto& c : a.challenges) {
      if (c.type != "dns-persist-01" || !c.account_uri || !url) continue;
      auto news = note_ca_account_uri(s.store(), s.ca(), *url, *c.account_uri);
      if (!news)
        spdlog::warn("[dns-persist-01] {}", news.error().describe());
      else if (*news)
        spdlog::warn("[dns-persist-01] {}", **news);
      break;
    }
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
    const std::string failed_url = s.client().account_url().value_or("");
    // A new registration means a new account URL: every published _validation-persist
    // record (and any CAA accounturi pin) would name the old account.
    if (auto ok = may_reregister(persist_certificates(s.config_dir()), failed_url.empty() ? "?" : failed_url,
                                 s.account_key_location());
        !ok)
      return fail(ok.error());
    auto lock = s.store().lock_accounts();
    if (!lock) return fail(lock.error());
    if (auto r = s.recover_account(failed_url); !r) return fail(r.error());
    issued = acme::issue_certificate(s.client(), req, *key);
  }
  if (!issued) return fail(issued.error().with_context("issuing '" + cert.name + "'"));

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
    spdlog::info("certificate '{}' saved to {} (version {}, expires {}; {} HTTP requests in this run so far)", cert.name, got.live_dir,
                 got.version, format_rfc3339(info->not_after), s.http_requests());
  } else {
    spdlog::info("dry run: certificate for '{}' obtained (expires {}) and discarded", cert.name,
                 format_rfc3339(info->not_after));
  }
  return got;
}

namespace {

/// A hook's output in the log: one line per line it wrote, escaped (it is the hook's
/// text, not ours), at most 40 lines of at most 300 bytes each.
void log_hook_output(HookOutput level, const std::string& hook, const char* stream, const std::string& text) {
  constexpr std::size_t max_lines = 40;
  const auto lvl = level == HookOutput::info ? spdlog::level::info : spdlog::level::debug;
  if (!spdlog::should_log(lvl)) return;
  std::size_t start = 0, shown = 0, total = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    std::size_t end = nl == std::string::npos ? text.size() : nl;
    if (++total <= max_lines) {
      spdlog::log(lvl, "deploy hook {} {}: {}", hook, stream, escape_untrusted(std::string_view(text).substr(start, end - start)));
      ++shown;
    }
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  if (total > shown) spdlog::log(lvl, "deploy hook {} {}: ... ({} more lines not shown)", hook, stream, total - shown);
}

}  // namespace

Result<void> run_deploy_hooks(const config::GlobalConfig& global, const config::CertificateConfig& cert,
                              const Obtained& got, HookOutput output) {
  std::vector<config::Hook> hooks = global.deploy_hooks;
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
  for (const auto& hook : hooks) {
    const std::string& h = hook.path;
    auto r = solver::run_process({h}, env, "", std::chrono::minutes(5));
    if (r) {
      log_hook_output(output, h, "stdout", r->out);
      log_hook_output(output, h, "stderr", r->err);
    }
    if (!r) {
      failed.push_back(h + ": " + r.error().message);
    } else if (r->exit_code != 0) {
      std::string err = r->err;
      while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
      failed.push_back(h + " exited with " + std::to_string(r->exit_code) + (err.empty() ? "" : ": " + escape_untrusted(err, 500)));
    } else {
      spdlog::info("deploy hook {} done for '{}'", h, cert.name);
    }
  }
  if (failed.empty()) return {};
  std::string msg = "deploy hook failed for '" + cert.name + "' (the new certificate stays in place)";
  for (const auto& f : failed) msg += "\n  - " + f;
  return fail(Errc::solver, msg);
}

std::vector<std::string> hook_problems(const std::vector<config::Hook>& hooks, bool run_as_root) {
  std::vector<std::string> out;
  for (const auto& hook : hooks) {
    const std::string at = hook.origin + ": deploy hook " + hook.path;
    struct stat st {};
    if (::stat(hook.path.c_str(), &st) != 0) {
      const int e = errno;
      std::string why = e == ENOENT || e == ENOTDIR ? " does not exist" : " cannot be checked: " + std::string(std::strerror(e));
      // Earlier documentation named /usr/local/lib/acmed/reload-nginx; the package ships it elsewhere.
      const std::string shipped = "/usr/lib/acmed/hooks/" + std::filesystem::path(hook.path).filename().string();
      std::error_code ec;
      if (hook.path.rfind("/usr/local/lib/acmed/", 0) == 0 && std::filesystem::is_regular_file(shipped, ec))
        why += " (the package ships " + shipped + ")";
      out.push_back(at + why);
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      out.push_back(at + " is not a regular file");
      continue;
    }
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    const std::string owner = std::string(" (mode ") + mode + ", owner uid " + std::to_string(st.st_uid) + " gid " +
                              std::to_string(st.st_gid) + ")";
    if (run_as_root) {
      // root may execute a regular file when any of its x bits is set.
      if ((st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0)
        out.push_back(at + " is not executable" + owner + "; hooks.mode: queue runs it as root (acmed-deploy.service)");
      continue;
    }
    if (::faccessat(AT_FDCWD, hook.path.c_str(), X_OK, AT_EACCESS) != 0)
      out.push_back(at + " is not executable by uid " + std::to_string(::geteuid()) + ", the user running this check" +
                    owner + "; with hooks.mode: inline the user running 'acmed renew' runs it");
  }
  return out;
}

namespace {

/// `acmed issue -d a.example -d b.example --http-01-listen :80`: a certificate from flags only.
std::string flags_name(const IssueRequest& o) {
  std::string name = o.name.empty() ? o.domains.front() : o.name;
  if (name.rfind("*.", 0) == 0) name = name.substr(2);
  return name;
}

/// The certificate configuration the --domain flags describe, as a certs.d file's tree.
ConfigValue flags_tree(const IssueRequest& o) {
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
  return root;
}

Result<config::CertificateConfig> from_flags(const IssueRequest& o) {
  return config::parse_certificate(flags_tree(o), flags_name(o), "command line");
}

}  // namespace

Result<config::CertificateConfig> certificate_for(const IssueRequest& o, const std::string& config_dir) {
  if (!o.domains.empty()) return from_flags(o);
  if (o.name.empty()) return fail(Errc::config, "give a certificate NAME or at least one --domain");
  auto cert = config::load_certificate(config_dir + "/certs.d/" + o.name + ".yaml");
  if (!cert) return fail(cert.error());
  // Flags given with a NAME override that file's settings for this run.
  if (!o.key_type.empty()) {
    auto t = parse_key_type(o.key_type);
    if (!t) return fail(Errc::config, "--key-type: " + t.error().message);
    cert->key_type = *t;
  }
  if (!o.preferred_chain.empty()) cert->preferred_chain = o.preferred_chain;
  if (!o.profile.empty()) cert->profile = o.profile;
  return cert;
}

namespace {

/// The same tree, origins aside.
bool same_tree(const ConfigValue& a, const ConfigValue& b) {
  if (a.kind != b.kind || a.scalar != b.scalar || a.list.size() != b.list.size() || a.map.size() != b.map.size())
    return false;
  for (std::size_t i = 0; i < a.list.size(); ++i)
    if (!same_tree(a.list[i], b.list[i])) return false;
  for (const auto& [k, v] : a.map) {
    const ConfigValue* other = b.find(k);
    if (!other || !same_tree(v, *other)) return false;
  }
  return true;
}


/// certs.d/NAME.yaml for the --domain flags, checked to read back as what is issued.
Result<std::string> flags_yaml(const IssueRequest& o, const std::string& path) {
  const std::string text = config::to_yaml(
      flags_tree(o), {"Written by 'acmed issue --domain ...': 'acmed renew' renews this certificate as configured here.",
                      "Edit freely (docs/configuration.md); delete this file to stop renewing it."});
  auto root = config::parse_yaml(text, path);
  if (!root) return fail(root.error().with_context("the configuration to save does not read back"));
  if (!same_tree(*root, flags_tree(o))) return fail(Errc::config, "the configuration to save does not read back the same");
  if (auto again = config::parse_certificate(*root, flags_name(o), path); !again)
    return fail(again.error().with_context("the configuration to save does not read back"));
  return text;
}

std::string joined(const std::vector<Identifier>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id.value;
  return out;
}

/// The acmed.yaml part of the plan: each CA setting from the command line that the file
/// does not set yet is added; one it sets differently stays, with a note.
Result<void> plan_global(const CaFlags& flags, const std::string& config_dir, SetupPlan& p) {
  p.global_path = config_dir + "/acmed.yaml";
  std::string text;
  config::GlobalConfig current;
  std::error_code ec;
  const bool exists = std::filesystem::exists(p.global_path, ec);
  if (exists) {
    auto read = read_file(p.global_path, 1 << 20);
    if (!read) return fail(read.error().with_context("cannot read the configuration to extend it"));
    text = *read;
    auto root = config::parse_yaml(text, p.global_path);
    if (!root) return fail(root.error());
    auto g = config::parse_global(*root, p.global_path);
    if (!g) return fail(g.error());
    current = *g;
  }
  struct Add {
    std::string section, key;
    ConfigValue value;
    std::string shown;
  };
  std::vector<Add> adds;
  bool same_ca = true;
  if (!flags.server.empty()) {
    if (current.ca.directory_url.empty()) {
      adds.push_back({"ca", "directory", ConfigValue::make_scalar(flags.server), flags.server});
    } else if (current.ca.directory_url != flags.server) {
      same_ca = false;
      p.notes.push_back(p.global_path + " names the CA " + current.ca.directory_url + ": kept, so 'acmed renew' renews " +
                        "from that CA, not from --server " + flags.server);
    }
  }
  if (!flags.ca_bundle.empty()) {
    std::string bundle = std::filesystem::absolute(flags.ca_bundle, ec).lexically_normal().string();
    if (ec) bundle = flags.ca_bundle;
    if (!same_ca)
      p.notes.push_back("--ca-bundle " + bundle + " not saved: it belongs to the CA that was not saved");
    else if (current.ca.trust_bundle.empty())
      adds.push_back({"ca", "trust_bundle", ConfigValue::make_scalar(bundle), bundle});
    else if (current.ca.trust_bundle != bundle)
      p.notes.push_back(p.global_path + " sets ca.trust_bundle " + current.ca.trust_bundle + ": kept (--ca-bundle " +
                        bundle + " was used this time)");
  }
  if (flags.agree_tos && !current.account.agree_tos) {
    const ConfigValue* root_account = nullptr;
    std::optional<ConfigValue> root;
    if (exists)
      if (auto r = config::parse_yaml(text, p.global_path); r) root = std::move(*r);
    if (root && root->is_map()) root_account = root->find("account");
    if (root_account && root_account->is_map() && root_account->find("agree_tos"))
      p.notes.push_back(p.global_path + " sets account.agree_tos: false: kept (--agree-tos was given this time; a "
                        "renewal that must register an account will stop there)");
    else
      adds.push_back({"account", "agree_tos", ConfigValue::make_scalar("true"), "true"});
  }
  if (!flags.contact.empty()) {
    auto wanted = contact_uris(flags.contact);
    auto have = current.account.contact;
    std::sort(wanted.begin(), wanted.end());
    std::sort(have.begin(), have.end());
    if (have.empty()) {
      ConfigValue list;
      list.kind = ConfigValue::Kind::list;
      std::string shown;
      for (const auto& c : flags.contact) {
        list.list.push_back(ConfigValue::make_scalar(c));
        shown += (shown.empty() ? "" : ", ") + c;
      }
      adds.push_back({"account", "contact", list, "[" + shown + "]"});
    } else if (have != wanted) {
      p.notes.push_back(p.global_path + " sets account.contact: kept (--contact was given this time)");
    }
  }
  if (adds.empty()) return {};
  if (!exists)
    text = "# Written by 'acmed issue --domain ...' from its command-line flags, so that 'acmed renew' renews\n"
           "# without them. Edit freely (docs/configuration.md).\n";
  for (const std::string section : {"ca", "account"}) {
    std::vector<std::pair<std::string, ConfigValue>> settings;
    std::string by_hand;
    for (const auto& a : adds)
      if (a.section == section) {
        settings.emplace_back(a.key, a.value);
        by_hand += (by_hand.empty() ? "" : ", ") + a.section + "." + a.key + ": " + a.shown;
      }
    if (settings.empty()) continue;
    auto next = config::add_settings(text, p.global_path, section, settings);
    if (!next) return fail(Errc::config, next.error().message + "; add " + by_hand + " by hand, or pass --no-save");
    text = std::move(*next);
    for (const auto& a : adds)
      if (a.section == section) p.added.push_back(a.section + "." + a.key + ": " + a.shown);
  }
  auto root = config::parse_yaml(text, p.global_path);
  auto g = root ? config::parse_global(*root, p.global_path) : Result<config::GlobalConfig>(fail(root.error()));
  if (!g) return fail(g.error().with_context("the extended configuration does not load"));
  p.global_text = std::move(text);
  return {};
}

/// A directory this process can write into (`dir`, or where it would be created).
Result<void> writable_dir(const std::string& dir) {
  std::error_code ec;
  std::string at = dir;
  while (!at.empty() && !std::filesystem::exists(at, ec)) at = std::filesystem::path(at).parent_path().string();
  if (at.empty()) at = ".";
  if (::access(at.c_str(), W_OK) == 0) return {};
  const int saved = errno;
  std::string user = std::to_string(::geteuid());
  if (const passwd* pw = ::getpwuid(::geteuid())) user = pw->pw_name;
  std::string group_name;
  struct stat st {};
  if (::stat(at.c_str(), &st) == 0)
    if (const struct group* gr = ::getgrgid(st.st_gid)) group_name = gr->gr_name;
  return fail(Errc::io,
              "cannot save the configuration, so 'acmed renew' would never renew this certificate: " + at +
                  " is not writable by user " + user + " (" + std::strerror(saved) + "); nothing was ordered. Run "
                  "this command as a user that can write it (root, or a member of " +
                  (group_name.empty() ? std::string("its group") : "the group '" + group_name + "'") + " after 'chmod g+w " +
                  at + "'), or pass --no-save and write the configuration yourself");
}

}  // namespace

Result<SetupPlan> plan_setup(const IssueRequest& o, const CaFlags& flags, const std::string& config_dir, bool force) {
  if (o.domains.empty()) return fail(Errc::invalid_argument, "no --domain flags to save");
  auto wanted = from_flags(o);
  if (!wanted) return fail(wanted.error());
  SetupPlan p;
  p.cert_path = config_dir + "/certs.d/" + wanted->name + ".yaml";
  auto text = flags_yaml(o, p.cert_path);
  if (!text) return fail(text.error());
  std::error_code ec;
  if (!std::filesystem::exists(p.cert_path, ec)) {
    p.cert_text = *text;
  } else {
    auto existing = config::load_certificate(p.cert_path);
    std::string differ;
    if (!existing) {
      differ = "it does not load (" + existing.error().describe() + ")";
    } else {
      std::vector<std::string> names;
      for (const auto& id : wanted->identifiers) names.push_back(id.value);
      if (!names_differ(existing->identifiers, names).empty())
        differ = "it names " + joined(existing->identifiers) + "; the --domain flags name " + joined(wanted->identifiers);
    }
    if (!differ.empty() && !force)
      return fail(Errc::config,
                  "refusing to issue '" + wanted->name + "': " + p.cert_path + " exists and " + differ +
                      ". The certificate stored under this name would not be the configured one. Change 'names' in "
                      "that file and run 'acmed issue " + wanted->name + "', choose another NAME, or add --force to "
                      "issue for the --domain flags and replace the file");
    if (!differ.empty()) {
      p.cert_text = *text;
      p.replaced = existing ? joined(existing->identifiers) : std::string("(unreadable)");
    } else if (auto current = read_file(p.cert_path, 1 << 20); !current || *current != *text) {
      p.notes.push_back(p.cert_path + " names the same names with other settings: kept, and 'acmed renew' follows it");
    }
  }
  if (auto r = plan_global(flags, config_dir, p); !r) return fail(r.error());
  return p;
}

Result<void> check_writable(const SetupPlan& p) {
  if (!p.cert_text.empty())
    if (auto r = writable_dir(std::filesystem::path(p.cert_path).parent_path().string()); !r) return r;
  if (!p.global_text.empty())
    if (auto r = writable_dir(std::filesystem::path(p.global_path).parent_path().string()); !r) return r;
  return {};
}

Result<void> save_setup(const SetupPlan& p) {
  auto write = [](const std::string& path, const std::string& text) -> Result<void> {
    unsigned mode = 0640;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) mode = st.st_mode & 0777;  // an existing file keeps its mode
    // Written by root for a renewal that runs as another user: the file takes the group of
    // its directory (root:acmed in the documented layout), so that user can read it.
    auto written = write_config_file(path, text, mode);
    if (!written) return fail(written.error());
    if (!written->empty()) spdlog::warn("{}", *written);
    return {};
  };
  if (!p.cert_text.empty()) {
    if (auto r = ensure_dir(std::filesystem::path(p.cert_path).parent_path().string(), 0750); !r) return r;
    if (!p.replaced.empty()) {
      // Kept for the operator, never through a link: certs.d may be writable by the acmed
      // group, and root must not copy what a link points at (say /etc/shadow) next to it.
      struct stat st {};
      if (::lstat(p.cert_path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        return fail(Errc::config, p.cert_path + " is not a regular file (a link or a special file): refusing to replace "
                                                "it; remove it and run the command again");
      if (auto old = read_file_nofollow(p.cert_path, 1 << 20); old)
        if (auto r = write(p.cert_path + ".replaced", *old); !r) return r;
    }
    if (auto r = write(p.cert_path, p.cert_text); !r) return r;
  }
  if (!p.global_text.empty())
    if (auto r = write(p.global_path, p.global_text); !r) return r;
  return {};
}

Result<SavedConfig> save_flags_config(const IssueRequest& o, const std::string& config_dir) {
  if (o.domains.empty()) return fail(Errc::invalid_argument, "no --domain flags to save");
  const std::string name = flags_name(o);
  SavedConfig out;
  out.path = config_dir + "/certs.d/" + name + ".yaml";
  auto made = flags_yaml(o, out.path);
  if (!made) return fail(made.error());
  const std::string& text = *made;
  std::error_code ec;
  if (std::filesystem::exists(out.path, ec)) {
    std::string current;
    if (auto r = read_file(out.path, 1 << 20); r) current = *r;
    out.written = false;
    out.unchanged = current == text;
    return out;
  }
  if (auto r = ensure_dir(config_dir + "/certs.d", 0750); !r) return fail(r.error());
  // Written by root for a renewal that runs as another user: the file takes the group of
  // certs.d (root:acmed in the documented layout), so that user can read it.
  auto written = write_config_file(out.path, text, 0640);
  if (!written) return fail(written.error());
  if (!written->empty()) spdlog::warn("{}", *written);
  out.written = true;
  return out;
}

Result<Obtained> redeploy(Session& s, const config::CertificateConfig& cert, HookOutput output) {
  auto stored = s.store().load_certificate(cert.name);
  if (!stored) return fail(stored.error());
  if (!*stored) return fail(Errc::not_found, "no certificate is stored for '" + cert.name + "' (run 'acmed issue " + cert.name + "')");
  return redeploy(s, cert, **stored, output);
}

Result<Obtained> redeploy(Session& s, const config::CertificateConfig& cert, const storage::StoredCertificate& stored,
                          HookOutput output) {
  auto chain = parse_pem_chain(stored.fullchain_pem);
  if (!chain) return fail(chain.error().with_context("the stored certificate of '" + cert.name + "'"));
  auto info = inspect_certificate(chain->front());
  if (!info) return fail(info.error().with_context("the stored certificate of '" + cert.name + "'"));
  Obtained got;
  got.version = stored.version;
  got.info = std::move(*info);
  got.live_dir = stored.live_dir;
  if (auto r = run_deploy_hooks(s.config(), cert, got, output); !r) return fail(r.error());
  return got;
}

Completed complete(Session& s, const config::CertificateConfig& cert, Obtained got) {
  // Read again: issuance may have anchored a persistUntil in the state.
  auto latest = s.store().load_renewal_state(cert.name);
  auto done = after_success(latest ? *latest : storage::RenewalState{}, s.clock().now());
  // The new certificate's facts, so the next renewal run and the status views parse no X.509.
  if (got.version > 0)
    if (auto identity = s.store().certificate_identity(cert.name); identity && !identity->empty())
      remember_certificate(done, *identity, got.info);
  s.save_renewal_state(cert.name, done);
  const bool any_hook = !s.config().deploy_hooks.empty() || !cert.deploy_hooks.empty();
  if (s.config().queue_deploy_hooks && any_hook) {
    // Run as root elsewhere (acmed-deploy.service): this process may not reload services.
    Result<void> queued = s.store().queue_deploy(cert.name);
    if (queued) spdlog::info("deploy hooks of '{}' queued for 'acmed deploy --queued' (hooks.mode: queue)", cert.name);
    else queued = fail(queued.error().with_context("queueing the deploy hooks of '" + cert.name + "'"));
    return {std::move(got), std::move(queued)};
  }
  auto hooks = run_deploy_hooks(s.config(), cert, got);
  return {std::move(got), std::move(hooks)};
}

Result<Completed> issue_now(Session& s, const config::CertificateConfig& cert, const ObtainOptions& o) {
  auto lock = s.store().lock_certificate(cert.name, false);
  if (!lock) return fail(lock.error());
  if (auto c = solver_configs(s, cert, o.force_persist); !c) return fail(c.error());
  if (auto d = check_directory(s); !d) return fail(d.error());
  auto got = obtain(s, cert, o);
  if (!got) {
    if (got.error().code != Errc::cancelled && o.store) record_failure(s, cert.name, got.error(), {});
    return fail(got.error());
  }
  return complete(s, cert, std::move(*got));
}

std::string to_string(RenewAction a) {
  switch (a) {
    case RenewAction::renewed: return "renewed";
    case RenewAction::not_due: return "not-due";
    case RenewAction::backoff: return "backoff";
    case RenewAction::locked: return "locked";
    case RenewAction::failed: return "failed";
    case RenewAction::cancelled: return "cancelled";
    case RenewAction::hook_failed: return "hook-failed";
    case RenewAction::dry_run_ok: return "dry-run-ok";
    case RenewAction::config_error: return "config-error";
    case RenewAction::dry_run_checked: return "dry-run-checked";
  }
  return "failed";
}

namespace {

/// Refreshes the stored ARI window for `info` when it is missing or stale. Network only then.
void refresh_ari(Session& s, const CertificateInfo& info, storage::RenewalState& st) {
  if (!ari_refresh_needed(info, st, s.clock().now())) return;
  // A CA that cannot be reached says nothing about this certificate: the window stays.
  if (auto dir = s.client().directory(); !dir) {
    spdlog::debug("ARI not refreshed: {}", dir.error().describe());
    return;
  }
  auto ri = s.client().renewal_info(info.ari_cert_id);
  if (!ri) {
    // No ARI (or none for this certificate): fall back to the lifetime rule, ask again tomorrow.
    spdlog::debug("no ARI for {}: {}", info.ari_cert_id, ri.error().describe());
    record_ari_missing(st, info.ari_cert_id, s.clock().now());
    return;
  }
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  record_ari_window(st, info.ari_cert_id, ri->window_start, ri->window_end, ri->retry_after, s.clock().now(), rng);
}

RenewOutcome failed_with(Error e, RenewAction action = RenewAction::failed) {
  RenewOutcome out;
  out.action = action;
  out.detail = e.describe();
  out.error = std::move(e);
  return out;
}

}  // namespace

RenewOutcome renew_certificate(Session& s, const config::CertificateConfig& cert, const RenewOptions& o) {
  const std::string& name = cert.name;
  auto lock = s.store().lock_certificate(name, false);
  if (!lock) return {RenewAction::locked, lock.error().message, std::nullopt, std::nullopt};

  auto st = s.store().load_renewal_state(name);
  if (!st) return failed_with(st.error());
  const storage::RenewalState loaded = *st;
  auto identity = s.store().certificate_identity(name);
  if (!identity) return failed_with(identity.error());

  // The stored certificate, parsed only when the cached facts in the renewal state do
  // not describe it (a new version, or no cache yet).
  std::optional<CertificateInfo> current;
  bool parsed = false;
  auto parse_stored = [&]() -> Result<void> {
    parsed = true;
    current.reset();
    auto stored = s.store().load_certificate(name);
    if (!stored) return fail(stored.error());
    if (!*stored) return {};
    auto chain = parse_pem_chain((*stored)->fullchain_pem);
    auto info = chain ? inspect_certificate(chain->front()) : Result<CertificateInfo>(fail(chain.error()));
    if (!info) {
      spdlog::warn("'{}': stored certificate unreadable ({}); renewing", name, info.error().describe());
      return {};
    }
    current = *info;
    remember_certificate(*st, *identity, *info);
    return {};
  };
  if (auto cached = remembered_certificate(*st, *identity)) {
    current = std::move(*cached);
  } else if (auto r = parse_stored(); !r) {
    return failed_with(r.error());
  }

  if (current && !o.force && !o.dry_run) refresh_ari(s, *current, *st);
  // Written only when something changed: an idle run writes nothing.
  if (!o.dry_run && *st != loaded) s.save_renewal_state(name, *st);
  const std::string changed = current ? names_differ(cert.identifiers, certificate_names(*current)) : std::string();
  auto decision = decide(current, *st, cert.renew_before, s.clock().now(),
                         {.force = o.force, .dry_run = o.dry_run, .names_differ = changed});
  if (decision.verdict == Verdict::not_due) return {RenewAction::not_due, decision.why, decision.next, std::nullopt};
  if (decision.verdict == Verdict::backoff) return {RenewAction::backoff, decision.why, decision.next, std::nullopt};
  // Renewing: the whole certificate, not the cached facts (e.g. for ARI `replaces`).
  if (!parsed)
    if (auto r = parse_stored(); !r) return failed_with(r.error());

  if (!changed.empty() && !o.force && !o.dry_run) spdlog::info("'{}': {}", name, decision.why);

  // A configuration error is one (exit 2); a CA that cannot be reached (a mistyped
  // --server) records nothing.
  if (auto c = solver_configs(s, cert, false); !c) return failed_with(c.error());
  if (auto d = check_directory(s); !d) return failed_with(d.error());
  ObtainOptions opts;
  opts.store = !o.dry_run;
  opts.stop_before_order = o.dry_run && o.stop_before_order;
  // No `replaces` on a dry run: the staging CA never issued the stored certificate.
  if (current && !current->ari_cert_id.empty() && !o.dry_run) opts.replaces = current->ari_cert_id;
  auto got = obtain(s, cert, opts);
  if (o.dry_run) {
    if (!got) return failed_with(got.error().with_context("dry run"));
    if (got->stopped_before_order)
      return {RenewAction::dry_run_checked,
              "stopped before ordering: " + s.config().ca.directory_url +
                  " has no staging directory (set ca.dry_run_directory to run the whole flow there); the "
                  "configuration, account, CA directory, CAA and solvers were checked" +
                  (got->notes.empty() ? "" : "; " + got->notes) + "; nothing ordered or stored",
              std::nullopt, std::nullopt};
    return {RenewAction::dry_run_ok,
            "the whole flow succeeded against " + s.config().ca.directory_url + "; nothing stored", std::nullopt,
            std::nullopt};
  }
  if (!got && got.error().code == Errc::cancelled) return failed_with(got.error(), RenewAction::cancelled);
  if (!got) {
    auto failed = record_failure(s, name, got.error(), *st);
    auto out = failed_with(got.error());
    out.next_due = time_from_unix(*failed.next_attempt);
    return out;
  }
  auto done = complete(s, cert, std::move(*got));
  auto fresh = s.store().load_renewal_state(name);
  Due next = compute_due(done.got.info, fresh ? *fresh : storage::RenewalState{}, cert.renew_before);
  RenewOutcome out{RenewAction::renewed,
                   "version " + std::to_string(done.got.version) + ", expires " + format_rfc3339(done.got.info.not_after),
                   next.when, std::nullopt};
  if (!done.hooks) {
    out.action = RenewAction::hook_failed;
    out.detail += "; " + done.hooks.error().message;
    out.error = done.hooks.error();
  }
  return out;
}

DryRunTarget dry_run_target(const config::GlobalConfig& cfg) {
  if (!cfg.ca.dry_run_directory.empty()) return {cfg.ca.dry_run_directory, true};
  if (cfg.ca.directory_url == "https://acme-v02.api.letsencrypt.org/directory")
    return {"https://acme-staging-v02.api.letsencrypt.org/directory", true};
  return {cfg.ca.directory_url, false};
}

RenewSummary renew_all(const std::vector<std::string>& names, const std::string& config_dir,
                       const SessionMaker& make_session, const RenewAllOptions& o,
                       const std::function<void(const NamedOutcome&)>& on_done) {
  RenewSummary sum;
  sum.outcomes.resize(names.size());
  std::atomic<std::size_t> next{0};
  // The one session, made on first need (a run with nothing to load makes none); a
  // failure to make it is every certificate's error.
  std::mutex session_mu;
  std::unique_ptr<Session> session;
  std::optional<Error> session_error;
  auto shared_session = [&]() -> Result<Session*> {
    std::lock_guard g(session_mu);
    if (!session && !session_error) {
      auto made = make_session();
      if (made) session = std::move(*made);
      else session_error = made.error();
    }
    if (session_error) return fail(*session_error);
    return session.get();
  };
  auto one = [&](const std::string& name) -> RenewOutcome {
    if (cancel_requested()) return failed_with(Error(Errc::cancelled, "SIGINT/SIGTERM: not started"), RenewAction::cancelled);
    auto cert = config::load_certificate(config_dir + "/certs.d/" + name + ".yaml");
    if (!cert) return failed_with(cert.error(), RenewAction::config_error);
    auto s = shared_session();
    if (!s) return failed_with(s.error(), RenewAction::config_error);
    return renew_certificate(**s, *cert, o.each);
  };
  auto worker = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < names.size();) {
      auto& slot = sum.outcomes[i];
      slot.name = names[i];
      try {
        slot.outcome = one(names[i]);
      } catch (const std::exception& e) {
        slot.outcome = failed_with(Error(Errc::invalid_argument, std::string("internal error: ") + e.what()));
      }
      if (on_done) on_done(slot);
    }
  };
  const int jobs = std::clamp(o.jobs, 1, 64);
  std::vector<std::thread> pool;
  for (int j = 0; j < std::min<int>(jobs, static_cast<int>(names.size())); ++j) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  for (const auto& n : sum.outcomes) {
    const auto a = n.outcome.action;
    sum.renewed += a == RenewAction::renewed;
    sum.would_renew += a == RenewAction::dry_run_ok || a == RenewAction::dry_run_checked;
    sum.not_due += a == RenewAction::not_due;
    sum.failed += a == RenewAction::failed || a == RenewAction::cancelled || a == RenewAction::hook_failed ||
                  a == RenewAction::config_error;
  }
  if (session) {
    sum.state_save_failures = session->state_save_failures();
    sum.http_requests = session->http_requests();
    sum.peak_in_flight = session->peak_in_flight();
  }
  return sum;
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

}  // namespace acmed::app
