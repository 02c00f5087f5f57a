// SPDX-License-Identifier: Apache-2.0
#include "acmed/app/status.hpp"

#include <algorithm>
#include <filesystem>

#include "acmed/app/issuance.hpp"

namespace acmed::app {
namespace {

using namespace std::chrono;

std::int64_t unix_seconds(TimePoint t) { return duration_cast<seconds>(t.time_since_epoch()).count(); }

std::string certificate_path(const std::string& config_dir, const std::string& name) {
  return config_dir + "/certs.d/" + name + ".yaml";
}

}  // namespace

CertificateView certificate_view(const storage::StateStore& store, const std::string& name,
                                 const Result<config::CertificateConfig>& cert, TimePoint now) {
  CertificateView v;
  v.name = name;
  if (!cert) {
    v.config_error = cert.error().describe();
    v.why = "configuration error";
    return v;
  }
  for (const auto& id : cert->identifiers) v.names.push_back(id.value);
  for (const auto& s : cert->solvers)
    if (std::find(v.solvers.begin(), v.solvers.end(), s.type) == v.solvers.end()) v.solvers.push_back(s.type);
  v.persist = std::find(v.solvers.begin(), v.solvers.end(), "dns-persist-01") != v.solvers.end();
  if (auto st = store.load_renewal_state(name)) v.state = *st;
  if (v.state.next_attempt) v.backoff_until = TimePoint(seconds(*v.state.next_attempt));
  v.why = "not issued yet: due now";
  // What the last renewal run remembered, while the stored certificate is unchanged: no
  // X.509 parse (most of the time of a view, with thousands of certificates).
  auto identity = store.certificate_identity(name);
  auto info = identity ? remembered_certificate(v.state, *identity) : std::nullopt;
  if (!info) {
    auto stored = store.load_certificate(name);
    if (!stored || !*stored) return v;
    auto chain = parse_pem_chain((*stored)->fullchain_pem);
    if (!chain || chain->empty()) return v;
    auto parsed = inspect_certificate(chain->front());
    if (!parsed) return v;
    info = std::move(*parsed);
  }
  v.info = *info;
  v.certificate_names = certificate_names(*info);
  v.names_differ = names_differ(cert->identifiers, v.certificate_names);
  v.due = compute_due(*info, v.state, cert->renew_before);
  if (!v.names_differ.empty()) v.due = Due{std::min(v.due->when, now), "due now: the names changed (" + v.names_differ + ")"};
  v.why = v.due->why;
  v.days_left = duration_cast<hours>(info->not_after - now).count() / 24;
  return v;
}

std::vector<CertificateView> certificate_views(const storage::StateStore& store, const std::string& config_dir,
                                               const std::vector<std::string>& names, TimePoint now) {
  std::vector<CertificateView> out;
  for (const auto& n : names)
    out.push_back(certificate_view(store, n, config::load_certificate(certificate_path(config_dir, n)), now));
  return out;
}

std::optional<NextDue> next_due(const std::vector<CertificateView>& certs, TimePoint now) {
  std::optional<NextDue> earliest;
  for (const auto& c : certs) {
    if (!c.config_error.empty()) continue;
    auto when = c.due ? c.due->when : now;
    if (c.backoff_until) when = std::max(when, *c.backoff_until);
    if (!earliest || when < earliest->when) earliest = NextDue{when, c.name, c.due ? c.due->why : "not issued yet"};
  }
  return earliest;
}

std::string status_name(const RecordView& r) { return r.status ? persist::to_string(*r.status) : "error"; }

std::vector<RecordView> record_views(const PersistHealth& health) {
  std::vector<RecordView> out;
  for (const auto& h : health.records) {
    RecordView r;
    r.name = h.record.name;
    r.status = h.check.status;
    r.summary = h.check.summary;
    r.republish = h.earlier_key || h.check.status == persist::Status::stale_format;
    for (const auto& s : h.check.servers)
      if (s.evaluation.persist_until) {
        r.persist_until = s.evaluation.persist_until;
        break;
      }
    r.health = h;
    out.push_back(std::move(r));
  }
  return out;
}

PersistView failed_view(const std::string& certificate, const Error& e, PersistViewOptions o) {
  PersistView v;
  v.certificate = certificate;
  v.error = e;
  v.checked = o.check;
  v.failed = true;
  v.records.push_back({"(all)", std::nullopt, e.describe(), false, std::nullopt, std::nullopt});
  return v;
}

PersistView checked_view(const std::string& certificate, SessionPlan planned, Result<dns::Resolver*> resolver,
                         TimePoint now) {
  PersistView v;
  v.certificate = certificate;
  v.checked = true;
  if (!resolver) {
    v.failed = true;
    for (const auto& r : planned.plan.records)
      v.records.push_back(
          {r.name, persist::Status::lookup_failed, resolver.error().describe(), false, std::nullopt, std::nullopt});
  } else {
    auto health = check_persist(**resolver, planned.plan, now);
    v.failed = health.failed;
    v.warned = health.warned;
    v.records = record_views(health);
  }
  v.planned = std::move(planned);
  return v;
}

PersistView persist_view(Session& session, const std::string& name, PersistViewOptions o) {
  auto cert = config::load_certificate(certificate_path(session.config_dir(), name));
  if (!cert) return failed_view(name, cert.error(), o);
  PersistRequest req;
  req.without_key = true;  // a view never loads the account key (it may sit in a token, or be away)
  auto planned = plan_in_session(session, *cert, req);
  if (!planned) return failed_view(name, planned.error(), o);
  if (o.check) return checked_view(name, std::move(*planned), session.resolver(), session.clock().now());
  PersistView v;
  v.certificate = name;
  v.planned = std::move(*planned);
  return v;
}

CaaView caa_view(Session& session, const std::string& name) {
  CaaView v;
  v.certificate = name;
  auto cert = config::load_certificate(certificate_path(session.config_dir(), name));
  if (!cert) {
    v.error = cert.error();
    return v;
  }
  auto verdicts = caa_verdicts(session, *cert);
  if (!verdicts) {
    v.error = verdicts.error();
    return v;
  }
  v.names = std::move(*verdicts);
  for (const auto& n : v.names) v.forbidden |= n.verdict.outcome == caa::Outcome::forbidden;
  return v;
}

std::vector<std::string> attention(const CertificateView& cert, const PersistView* persist, const CaaView* caa) {
  std::vector<std::string> out;
  if (caa) {
    if (caa->error) out.push_back("CAA not checked: " + caa->error->describe());
    for (const auto& n : caa->names) {
      // An unknown verdict (no caaIdentities, a bogus or failed answer) is not acted on:
      // acmed orders anyway, so it is shown with the CAA details, not as a problem.
      if (n.verdict.outcome == caa::Outcome::forbidden)
        out.push_back("CAA forbids " + n.name + ": " + n.verdict.reason + "; " + n.verdict.suggestion);
    }
  }
  if (!cert.config_error.empty()) out.push_back("configuration error: " + cert.config_error);
  if (!cert.names_differ.empty())
    out.push_back("the certificate's names differ from its configuration (" + cert.names_differ +
                  "): it is renewed with the configured names on the next run");
  if (cert.days_left && *cert.days_left < 14)
    out.push_back("certificate expires in " + std::to_string(*cert.days_left) + " days");
  if (cert.state.failures > 0)
    out.push_back("last renewal failed (" + std::to_string(cert.state.failures) + " in a row): " + cert.state.last_error);
  if (!persist) return out;
  if (persist->error) out.push_back("records cannot be generated: " + persist->error->describe());
  if (persist->planned && persist->planned->ca.revision_notice)
    out.push_back("affected by a CA draft change: " + *persist->planned->ca.revision_notice);
  if (!persist->checked) return out;
  for (const auto& r : persist->records) {
    if (r.status != persist::Status::ok) out.push_back(r.name + ": " + status_name(r) + ": " + r.summary);
    else if (r.republish) out.push_back(r.name + ": republish: " + r.summary);
  }
  return out;
}

Metrics metrics(const std::vector<CertificateView>& certs, const std::vector<PersistView>& persist, TimePoint now) {
  Metrics m;
  for (const auto& c : certs) {
    if (c.info) m.not_after.push_back({c.name, "", unix_seconds(c.info->not_after)});
    if (c.due) m.next_renewal.push_back({c.name, "", unix_seconds(c.due->when)});
    if (c.state.last_success) m.last_success.push_back({c.name, "", *c.state.last_success});
    m.failures.push_back({c.name, "", c.state.failures});
    m.config_error.push_back({c.name, "", c.config_error.empty() ? 0 : 1});
    if (!c.config_error.empty()) continue;
    const auto due = unix_seconds(c.due ? c.due->when : now);
    if (!m.next_due || due < *m.next_due) m.next_due = due;
  }
  for (const auto& p : persist)
    for (const auto& r : p.records) {
      m.persist_ok.push_back({p.certificate, r.name, r.status && persist::passes(*r.status) ? 1 : 0});
      if (r.persist_until) m.persist_until.push_back({p.certificate, r.name, *r.persist_until});
      m.persist_republish.push_back({p.certificate, r.name, r.republish ? 1 : 0});
    }
  return m;
}

std::optional<std::string> config_dir_problem(const std::string& config_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto st = fs::status(config_dir, ec);
  if (!fs::exists(st))
    return "configuration directory " + config_dir + " does not exist" +
           (ec && ec != std::errc::no_such_file_or_directory ? " or cannot be read (" + ec.message() + ")" : "") +
           " (--config-dir)";
  if (!fs::is_directory(st)) return "configuration directory " + config_dir + " is not a directory (--config-dir)";
  const std::string certs = config_dir + "/certs.d";
  if (!fs::exists(fs::status(certs, ec))) return std::nullopt;
  if (!fs::is_directory(fs::status(certs, ec))) return certs + " is not a directory";
  fs::directory_iterator it(certs, ec);
  if (ec) return "cannot read " + certs + ": " + ec.message();
  return std::nullopt;
}

std::string human_duration(std::chrono::seconds wait) {
  const long long s = std::max<long long>(0, wait.count());
  constexpr long long minute = 60, hour = 60 * minute, day = 24 * hour, year = 365 * day;
  auto two = [](long long big, const char* big_unit, long long small, const char* small_unit) {
    std::string out = std::to_string(big) + " " + big_unit;
    if (small > 0) out += " " + std::to_string(small) + " " + small_unit;
    return out;
  };
  if (s >= year) return two(s / year, "y", s % year / day, "d");
  if (s >= day) return two(s / day, "d", s % day / hour, "h");
  if (s >= hour) return two(s / hour, "h", s % hour / minute, "min");
  if (s >= minute) return std::to_string(s / minute) + " min";
  return std::to_string(s) + " s";
}

ConfigCheck check_configuration(const solver::SolverRegistry& solvers, const std::string& config_dir,
                                const std::vector<std::string>& files) {
  ConfigCheck out;
  // Who runs the certificates' deploy hooks depends on acmed.yaml's hooks.mode.
  bool run_as_root = false;
  if (const std::string global = config_dir + "/acmed.yaml"; std::filesystem::exists(global))
    if (auto g = config::load_global(global)) run_as_root = g->queue_deploy_hooks;
  auto add = [&](std::vector<std::string> errors) { out.errors.insert(out.errors.end(), errors.begin(), errors.end()); };
  auto check_global = [&](const std::string& path) {
    out.checked.push_back(path);
    auto g = config::load_global(path);
    if (!g) out.errors.push_back(g.error().describe());
    else add(hook_problems(g->deploy_hooks, g->queue_deploy_hooks));
  };
  auto check_certificate = [&](const std::string& path) {
    out.checked.push_back(path);
    auto c = config::load_certificate(path);
    if (!c) {
      out.errors.push_back(c.error().describe());
      return;
    }
    add(hook_problems(c->deploy_hooks, run_as_root));
    for (const auto& e : c->solvers) {
      const solver::SolverFactory* f = solvers.find(e.type);
      if (!f) out.errors.push_back(e.settings.origin + ": solver type '" + e.type + "' is not available in this build");
      else if (auto v = f->validate({e.type, e.settings}); !v) out.errors.push_back(v.error().describe());
      else
        for (auto& w : f->warnings({e.type, e.settings})) out.warnings.push_back(std::move(w));
    }
  };
  if (files.empty()) {
    if (auto problem = config_dir_problem(config_dir)) {
      out.errors.push_back(*problem);
      return out;
    }
    const std::string global = config_dir + "/acmed.yaml";
    if (std::filesystem::exists(global)) check_global(global);
    for (const auto& n : configured_certificates(config_dir)) check_certificate(certificate_path(config_dir, n));
    return out;
  }
  for (const auto& f : files) {
    if (!std::filesystem::exists(f)) {
      out.errors.push_back(f + ": no such file");
      continue;
    }
    // acmed.yaml (or *.acmed.yaml, as in config/acmed.example.yaml) is the global file.
    const std::string base = std::filesystem::path(f).filename().string();
    if (base == "acmed.yaml" || base.rfind("acmed.", 0) == 0) check_global(f);
    else check_certificate(f);
  }
  return out;
}

}  // namespace acmed::app
