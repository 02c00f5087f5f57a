// SPDX-License-Identifier: Apache-2.0
// acmed list | status [NAME] | next-due | config check, and the Prometheus metrics:
// acmed::app's status views (app/status.hpp) rendered as text, JSON and metrics.
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "acmed/app/issuance.hpp"
#include "acmed/status/prometheus.hpp"
#include "acmed/storage/file_store.hpp"
#include "builtin_solvers.hpp"
#include "acmed/core/text.hpp"
#include "acmed/storage/pg_store.hpp"
#include "commands.hpp"
#include "persist_view.hpp"

namespace acmed::cli {

namespace {

using namespace std::chrono;
using json = nlohmann::json;

/// With `config_ok` false (global_config_errors, already reported) the views read this
/// node's state directory, as store_for_views would after saying so.
std::vector<app::CertificateView> views(const GlobalOptions& g, const std::vector<std::string>& names,
                                        app::TimePoint now, bool config_ok = true) {
  auto store = config_ok ? store_for_views(g) : std::make_unique<storage::FileStateStore>(g.state_dir);
  return app::certificate_views(*store, g.config_dir, names, now);
}

/// The configuration errors of a view command: the global ones (already logged unless
/// `json_out`) plus each certificate's that does not load.
std::vector<std::string> config_errors(const std::vector<std::string>& global,
                                       const std::vector<app::CertificateView>& certs) {
  std::vector<std::string> out = global;
  for (const auto& c : certs)
    if (!c.config_error.empty()) out.push_back(c.config_error);
  return out;
}

std::vector<std::string> logged_global_config_errors(const GlobalOptions& g, bool json_out) {
  auto errors = global_config_errors(g);
  if (!json_out)
    for (const auto& e : errors) spdlog::error("{}", e);
  return errors;
}

void print(const app::CertificateView& v) {
  std::cout << v.name << ":";
  if (!v.config_error.empty()) {
    std::cout << " CONFIG ERROR: " << v.config_error << "\n";
    return;
  }
  std::cout << " " << comma_joined(v.names) << "\n  solvers: " << comma_joined(v.solvers) << "\n";
  if (v.info) {
    // Names from the stored certificate (hostile bytes when imported or from a broken CA).
    std::vector<std::string> shown;
    for (const auto& n : v.certificate_names) shown.push_back(escape_untrusted(n, 256));
    std::cout << "  in the certificate: " << comma_joined(shown) << "\n";
    if (!v.names_differ.empty()) std::cout << "  NAMES DIFFER: " << escape_untrusted(v.names_differ) << "\n";
  }
  if (v.info)
    std::cout << "  expires: " << format_rfc3339(v.info->not_after) << " (" << *v.days_left << " days)\n"
              << "  next renewal: " << format_rfc3339(v.due->when) << " (" << v.why << ")\n";
  else
    std::cout << "  " << v.why << "\n";
  if (v.state.failures > 0)
    std::cout << "  failures: " << v.state.failures << ", last error: " << v.state.last_error << "\n";
}

/// Fleet mode (state.backend: postgresql): who made each certificate's current version,
/// and what every node last deployed. Empty with the file store.
struct Fleet {
  std::map<std::string, storage::VersionInfo> current;
  std::map<std::string, std::vector<storage::NodeVersion>> nodes;
};
std::optional<Fleet> fleet_view(const GlobalOptions& g) {
  auto cfg = load_config(g);
  if (!cfg || cfg->state.backend != "postgresql") return std::nullopt;
  auto store = make_store(g, *cfg);
  if (!store) {
    spdlog::error("fleet view: {}", store.error().describe());
    return std::nullopt;
  }
  const auto* pg = dynamic_cast<const storage::PgStateStore*>(store->get());
  auto current = pg->current_versions();
  auto nodes = pg->node_versions();
  if (!current || !nodes) {
    spdlog::error("fleet view: {}", (!current ? current.error() : nodes.error()).describe());
    return std::nullopt;
  }
  Fleet f;
  for (auto& v : *current) f.current[v.name] = v;
  for (auto& n : *nodes) f.nodes[n.name].push_back(n);
  return f;
}

std::string unix_text(std::int64_t t) { return format_rfc3339(std::chrono::system_clock::from_time_t(static_cast<std::time_t>(t))); }

/// "version 3, made by web2 at ...; behind: web1 (v2)" ("" when the store has no version).
std::string fleet_line(const Fleet& f, const std::string& name) {
  auto it = f.current.find(name);
  if (it == f.current.end()) return {};
  std::string line = "version " + std::to_string(it->second.version) + ", made by " +
                     escape_untrusted(it->second.node, 64) + " at " + unix_text(it->second.created_at);
  std::string behind;
  for (const auto& n : f.nodes.count(name) ? f.nodes.at(name) : std::vector<storage::NodeVersion>{})
    if (n.version < it->second.version)
      behind += (behind.empty() ? "" : ", ") + escape_untrusted(n.node, 64) + " (v" + std::to_string(n.version) + ")";
  return line + (behind.empty() ? "; every node has it" : "; behind: " + behind);
}

void print_fleet(const Fleet& f, const std::string& name) {
  if (auto line = fleet_line(f, name); !line.empty()) std::cout << "  fleet: " << line << "\n";
}

json fleet_json(const Fleet& f, const std::string& name) {
  auto it = f.current.find(name);
  if (it == f.current.end()) return nullptr;
  json nodes = json::array();
  for (const auto& n : f.nodes.count(name) ? f.nodes.at(name) : std::vector<storage::NodeVersion>{})
    nodes.push_back({{"node", n.node}, {"version", n.version}, {"deployed_at", unix_text(n.deployed_at)},
                     {"behind", n.version < it->second.version}});
  return {{"version", it->second.version}, {"renewed_by", it->second.node},
          {"renewed_at", unix_text(it->second.created_at)}, {"nodes", nodes}};
}

}  // namespace

std::map<std::string, std::string> fleet_lines_by_name(const GlobalOptions& g) {
  std::map<std::string, std::string> out;
  if (auto fleet = fleet_view(g))
    for (const auto& [name, v] : fleet->current) out[name] = "fleet: " + fleet_line(*fleet, name);
  return out;
}

json fleet_json_by_name(const GlobalOptions& g) {
  json out = json::object();
  if (auto fleet = fleet_view(g))
    for (const auto& [name, v] : fleet->current) out[name] = fleet_json(*fleet, name);
  return out;
}

namespace {

int run_list(const GlobalOptions& g, const std::vector<std::string>& only, bool json_out, bool check_persist,
             bool warn_exit) {
  const auto global_errors = logged_global_config_errors(g, json_out);
  const auto fleet = fleet_view(g);
  for (const auto& n : only)
    if (!std::filesystem::exists(g.config_dir + "/certs.d/" + n + ".yaml"))
      return report(Error(Errc::config, "no certificate named '" + n + "' in " + g.config_dir + "/certs.d"));
  ViewSession session(g);
  json out = json::array();
  bool failed = false, warned = false;
  const auto certs = views(g, only.empty() ? app::configured_certificates(g.config_dir) : only,
                           system_clock_instance().now(), global_errors.empty());
  const auto errors = config_errors(global_errors, certs);
  for (const auto& c : certs) {
    std::optional<app::PersistView> p;
    std::optional<app::CaaView> caa;
    if (check_persist && c.persist) {
      p = session.persist(c.name, {.check = true});
      failed |= p->failed;
      warned |= p->warned;
    }
    if (check_persist && c.config_error.empty()) {
      caa = session.caa(c.name);
      failed |= caa->forbidden;
    }
    if (json_out) {
      out.push_back(certificate_json(c));
      if (fleet) out.back()["fleet"] = fleet_json(*fleet, c.name);
      if (p) out.back()["persist_records"] = check_json(p->records);
      if (caa) out.back()["caa"] = caa_json(*caa);
      continue;
    }
    print(c);
    if (fleet) print_fleet(*fleet, c.name);
    if (p)
      for (const auto& r : p->records)
        std::cout << "  persist record " << r.name << ": " << app::status_name(r) << (r.republish ? " REPUBLISH" : "")
                  << " (" << r.summary << ")\n";
    if (caa) {
      if (caa->error) std::cout << "  CAA: not checked (" << caa->error->describe() << ")\n";
      for (const auto& n : caa->names) {
        std::cout << "  CAA " << n.name << ": " << app::caa::to_string(n.verdict.outcome) << " (" << n.verdict.reason
                  << ")\n";
        if (!n.verdict.suggestion.empty()) std::cout << "    " << n.verdict.suggestion << "\n";
      }
    }
  }
  if (json_out) std::cout << json{{"certificates", out}, {"config_errors", errors}}.dump(2) << "\n";
  if (!errors.empty()) return exit_config;
  if (failed) return exit_failure;
  if (warned && warn_exit) return exit_warning;
  return exit_ok;
}

int run_next_due(const GlobalOptions& g, bool json_out) {
  const auto now = system_clock_instance().now();
  const auto global_errors = logged_global_config_errors(g, json_out);
  const auto certs = views(g, app::configured_certificates(g.config_dir), now, global_errors.empty());
  const auto errors = config_errors(global_errors, certs);
  if (!json_out)
    for (const auto& c : certs)
      if (!c.config_error.empty()) spdlog::error("{}", c.config_error);
  // A configuration error is never "nothing to do": exit 2, even when others are scheduled.
  const int code = errors.empty() ? exit_ok : exit_config;
  auto next = app::next_due(certs, now);
  if (!next) {
    if (json_out) std::cout << json{{"next_due", nullptr}, {"config_errors", errors}}.dump() << "\n";
    else if (errors.empty()) std::cout << "no certificates configured\n";
    else std::cout << "nothing can be scheduled: " << errors.size() << " configuration error(s)\n";
    return code;
  }
  const auto wait = std::max(seconds(0), duration_cast<seconds>(next->when - now));
  const std::string when = format_rfc3339(next->when);
  if (json_out)
    std::cout << json{{"next_due", when},   {"in_seconds", wait.count()}, {"name", next->name},
                      {"why", next->why}, {"config_errors", errors}}
                     .dump()
              << "\n";
  else
    std::cout << when << " (" << next->name << ", in " << app::human_duration(wait) << ": " << next->why << ")\n";
  return code;
}

int run_config_check(const GlobalOptions& g, const std::vector<std::string>& files, bool json_out) {
  solver::SolverRegistry registry;
  if (auto r = register_builtin_solvers(registry); !r) return report(r.error());
  auto c = app::check_configuration(registry, g.config_dir, files);
  if (json_out) {
    std::cout << json{{"checked", c.checked}, {"errors", c.errors}, {"warnings", c.warnings}, {"ok", c.errors.empty()}}
                     .dump(2)
              << "\n";
  } else {
    for (const auto& e : c.errors) std::cerr << "error: " << e << "\n";
    for (const auto& w : c.warnings) std::cerr << "warning: " << w << "\n";
    std::cout << c.checked.size() << " file(s) checked, " << c.errors.size() << " error(s)\n";
  }
  return c.errors.empty() ? exit_ok : exit_config;
}

}  // namespace

std::string comma_joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

app::PersistView ViewSession::persist(const std::string& name, app::PersistViewOptions o) {
  if (!session_) session_ = open_session(g_);
  if (!*session_) return app::failed_view(name, session_->error(), o);
  return app::persist_view(***session_, name, o);
}

app::CaaView ViewSession::caa(const std::string& name) {
  if (!session_) session_ = open_session(g_);
  if (!*session_) return {name, session_->error(), {}, false};
  return app::caa_view(***session_, name);
}

json caa_json(const app::CaaView& v) {
  json out = json::array();
  if (v.error) out.push_back({{"name", "(all)"}, {"outcome", "unknown"}, {"reason", v.error->describe()}});
  for (const auto& n : v.names) {
    json j = {{"name", n.name}, {"outcome", app::caa::to_string(n.verdict.outcome)}, {"reason", n.verdict.reason}};
    if (!n.verdict.found_at.empty()) j["found_at"] = n.verdict.found_at;
    if (!n.verdict.suggestion.empty()) j["suggestion"] = n.verdict.suggestion;
    out.push_back(j);
  }
  return out;
}

json check_json(const std::vector<app::RecordView>& rows) {
  json out = json::array();
  for (const auto& r : rows) {
    json j = {{"name", r.name}, {"status", app::status_name(r)}, {"summary", r.summary}};
    if (r.health) {
      const auto& h = *r.health;
      json servers = json::array();
      for (const auto& sv : h.check.servers) {
        json sj = {{"server", sv.server}, {"status", persist::to_string(sv.evaluation.status)},
                   {"detail", sv.evaluation.detail}, {"values", sv.values}};
        if (sv.evaluation.persist_until) sj["persist_until"] = *sv.evaluation.persist_until;
        servers.push_back(sj);
      }
      j.update({{"expected", h.record.value}, {"cnames", h.check.cnames}, {"dnssec", dns::to_string(h.check.dnssec)},
                {"republish", r.republish}, {"earlier_key", h.earlier_key}, {"servers", servers}});
    }
    out.push_back(j);
  }
  return out;
}

json certificate_json(const app::CertificateView& v) {
  json j = {{"name", v.name},       {"names", v.names},          {"solvers", v.solvers}, {"failures", v.state.failures},
            {"not_after", nullptr}, {"next_renewal", nullptr}, {"why", v.why}};
  if (!v.config_error.empty()) j["config_error"] = v.config_error;
  j["certificate_names"] = nullptr;
  std::vector<std::string> in_certificate;  // escaped: bytes from the certificate may not even be UTF-8
  for (const auto& n : v.certificate_names) in_certificate.push_back(escape_untrusted(n, 256));
  if (v.info)
    j.update({{"not_after", format_rfc3339(v.info->not_after)}, {"serial", v.info->serial_hex}, {"days_left", *v.days_left},
              {"certificate_names", in_certificate}});
  if (!v.names_differ.empty()) j["names_differ"] = escape_untrusted(v.names_differ);
  if (v.due) j["next_renewal"] = format_rfc3339(v.due->when);
  if (!v.state.last_error.empty()) j["last_error"] = v.state.last_error;
  if (v.backoff_until) j["backoff_until"] = format_rfc3339(*v.backoff_until);
  return j;
}

std::string metrics_text(const GlobalOptions& g, bool live_persist) {
  const auto now = system_clock_instance().now();
  auto certs = views(g, app::configured_certificates(g.config_dir), now);
  std::vector<app::PersistView> checked;
  ViewSession session(g);
  for (const auto& c : certs)
    if (live_persist && c.persist) checked.push_back(session.persist(c.name, {.check = true}));
  const app::Metrics m = app::metrics(certs, checked, now);
  std::vector<status::Gauge> gauges;
  auto family = [&](const std::string& name, const std::string& help, const std::vector<app::Sample>& samples) {
    status::Gauge gauge{name, help, {}};
    for (const auto& s : samples) {
      gauge.samples.push_back({{{"name", s.certificate}}, s.value});
      if (!s.record.empty()) gauge.samples.back().labels.emplace_back("record", s.record);
    }
    gauges.push_back(std::move(gauge));
  };
  family("acmed_certificate_not_after_seconds", "Expiry of the live certificate (Unix time).", m.not_after);
  family("acmed_certificate_next_renewal_seconds", "When the certificate is due for renewal (Unix time).", m.next_renewal);
  family("acmed_certificate_last_success_seconds", "Last successful issuance or renewal (Unix time).", m.last_success);
  family("acmed_certificate_consecutive_failures", "Consecutive failed renewal attempts.", m.failures);
  family("acmed_config_error", "1 when the certificate's configuration file does not load.", m.config_error);
  family("acmed_next_due_seconds", "The earliest time any certificate needs work (Unix time).", {});
  if (m.next_due) gauges.back().samples.push_back({{}, *m.next_due});
  if (live_persist) {
    family("acmed_persist_record_ok", "1 when the DNS-PERSIST-01 record verifies on every server checked.", m.persist_ok);
    family("acmed_persist_until_seconds", "persistUntil of the record that authorizes the account (Unix time).",
           m.persist_until);
    family("acmed_persist_record_republish",
           "1 when the record must be republished: in the CA's other draft format (stale-format), or hashed with an "
           "earlier account key.",
           m.persist_republish);
  }
  if (auto fleet = fleet_view(g)) {
    status::Gauge version{"acmed_fleet_certificate_version", "Current version of the certificate in the fleet store.", {}};
    status::Gauge node_version{"acmed_fleet_node_version", "The version each node last deployed.", {}};
    status::Gauge behind{"acmed_fleet_node_behind", "1 when the node has not deployed the current version.", {}};
    for (const auto& [name, v] : fleet->current) {
      version.samples.push_back({{{"name", name}, {"renewed_by", v.node}}, static_cast<std::int64_t>(v.version)});
      for (const auto& n : fleet->nodes.count(name) ? fleet->nodes.at(name) : std::vector<storage::NodeVersion>{}) {
        node_version.samples.push_back({{{"name", name}, {"node", n.node}}, static_cast<std::int64_t>(n.version)});
        behind.samples.push_back({{{"name", name}, {"node", n.node}}, std::int64_t{n.version < v.version ? 1 : 0}});
      }
    }
    for (auto* gauge : {&version, &node_version, &behind}) gauges.push_back(std::move(*gauge));
  }
  return status::exposition(gauges);
}

void add_status_commands(CLI::App& app, GlobalOptions& g, int& rc) {
  auto json_out = std::make_shared<bool>(false);
  auto warn_exit = std::make_shared<bool>(false);
  auto offline = std::make_shared<bool>(false);
  auto names = std::make_shared<std::vector<std::string>>();

  auto* list = app.add_subcommand("list", "Every certificate: expiry, solver mode, next renewal and why, last error");
  list->add_flag("--json", *json_out, "machine-readable output");
  list->callback([&g, &rc, json_out] { rc = run_list(g, {}, *json_out || g.json, false, false); });

  auto* status =
      app.add_subcommand("status", "Like list, plus a live read-only check of DNS-PERSIST-01 records and of CAA");
  status->add_option("names", *names, "certificate names (default: all)");
  status->add_flag("--json", *json_out, "machine-readable output");
  status->add_flag("--warn-exit", *warn_exit, "exit 3 when a persistUntil is within its warning window");
  status->add_flag("--offline", *offline,
                   "no live DNS checks (no record or CAA lookups): what the state directory and certs.d say, as fast as list");
  status->callback([&g, &rc, json_out, warn_exit, offline, names] {
    rc = run_list(g, *names, *json_out || g.json, !*offline, *warn_exit);
  });

  auto* next = app.add_subcommand("next-due", "The earliest time any certificate needs work (for timers)");
  next->add_flag("--json", *json_out, "machine-readable output");
  next->callback([&g, &rc, json_out] { rc = run_next_due(g, *json_out || g.json); });

  auto* cfg = app.add_subcommand("config", "Configuration tools");
  cfg->require_subcommand(1);
  auto files = std::make_shared<std::vector<std::string>>();
  auto* check = cfg->add_subcommand("check", "Validate acmed.yaml and every certs.d file (or the FILES given)");
  check->add_option("files", *files, "files to check instead of the configuration directory");
  check->add_flag("--json", *json_out, "machine-readable output");
  check->callback([&g, &rc, json_out, files] { rc = run_config_check(g, *files, *json_out || g.json); });
}

}  // namespace acmed::cli
