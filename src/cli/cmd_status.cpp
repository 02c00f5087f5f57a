// acmed list | status [NAME] | next-due | config check: offline views of every
// certificate (expiry, solver modes, next renewal and why, last error) and a
// validator that reports every configuration error at once.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "acmed/app/issuance.hpp"
#include "acmed/app/renewal.hpp"
#include "acmed/storage/file_store.hpp"
#include "acmed/solver/registry.hpp"
#include "builtin_solvers.hpp"
#include "commands.hpp"
#include "persist_view.hpp"

namespace acmed::cli {

namespace {

using namespace std::chrono;
using json = nlohmann::json;

struct CertView {
  std::string name;
  std::vector<std::string> names;
  std::vector<std::string> solvers;
  std::optional<CertificateInfo> info;
  std::optional<app::Due> due;
  storage::RenewalState state;
  std::string config_error;
};

CertView view(const GlobalOptions& g, storage::StateStore& store, const std::string& name) {
  CertView v;
  v.name = name;
  auto cert = config::load_certificate(g.config_dir + "/certs.d/" + name + ".yaml");
  if (!cert) {
    v.config_error = cert.error().describe();
    return v;
  }
  for (const auto& id : cert->identifiers) v.names.push_back(id.value);
  for (const auto& s : cert->solvers)
    if (std::find(v.solvers.begin(), v.solvers.end(), s.type) == v.solvers.end()) v.solvers.push_back(s.type);
  if (auto st = store.load_renewal_state(name)) v.state = *st;
  auto stored = store.load_certificate(name);
  if (stored && *stored) {
    auto chain = parse_pem_chain((*stored)->fullchain_pem);
    if (chain)
      if (auto info = inspect_certificate(chain->front())) {
        v.info = *info;
        v.due = app::compute_due(*info, v.state, cert->renew_before);
      }
  }
  return v;
}

json to_json(const CertView& v) {
  json j = {{"name", v.name}, {"names", v.names}, {"solvers", v.solvers}, {"failures", v.state.failures}};
  if (!v.config_error.empty()) j["config_error"] = v.config_error;
  if (v.info) {
    j["not_after"] = format_rfc3339(v.info->not_after);
    j["serial"] = v.info->serial_hex;
    j["days_left"] = duration_cast<hours>(v.info->not_after - system_clock::now()).count() / 24;
  } else {
    j["not_after"] = nullptr;
  }
  if (v.due) {
    j["next_renewal"] = format_rfc3339(v.due->when);
    j["why"] = v.due->why;
  } else {
    j["next_renewal"] = nullptr;
    j["why"] = v.config_error.empty() ? "not issued yet: due now" : "configuration error";
  }
  if (!v.state.last_error.empty()) j["last_error"] = v.state.last_error;
  if (v.state.next_attempt) j["backoff_until"] = format_rfc3339(system_clock::time_point(seconds(*v.state.next_attempt)));
  return j;
}

void print(const CertView& v) {
  std::cout << v.name << ":";
  if (!v.config_error.empty()) {
    std::cout << " CONFIG ERROR: " << v.config_error << "\n";
    return;
  }
  std::string names, solvers;
  for (const auto& n : v.names) names += (names.empty() ? "" : ", ") + n;
  for (const auto& s : v.solvers) solvers += (solvers.empty() ? "" : ", ") + s;
  std::cout << " " << names << "\n  solvers: " << solvers << "\n";
  if (v.info) {
    std::cout << "  expires: " << format_rfc3339(v.info->not_after) << " ("
              << duration_cast<hours>(v.info->not_after - system_clock::now()).count() / 24 << " days)\n"
              << "  next renewal: " << format_rfc3339(v.due->when) << " (" << v.due->why << ")\n";
  } else {
    std::cout << "  not issued yet: due now\n";
  }
  if (v.state.failures > 0)
    std::cout << "  failures: " << v.state.failures << ", last error: " << v.state.last_error << "\n";
}

int run_list(const GlobalOptions& g, const std::vector<std::string>& only, bool json_out, bool check_persist,
             bool warn_exit) {
  storage::FileStateStore store(g.state_dir);
  auto names = only.empty() ? app::configured_certificates(g.config_dir) : only;
  json out = json::array();
  bool any_config_error = false, failed = false, warned = false;
  for (const auto& n : names) {
    if (!only.empty() && !std::filesystem::exists(g.config_dir + "/certs.d/" + n + ".yaml"))
      return report(Error(Errc::config, "no certificate named '" + n + "' in " + g.config_dir + "/certs.d"));
    CertView v = view(g, store, n);
    any_config_error |= !v.config_error.empty();
    json j = to_json(v);
    bool persist = std::find(v.solvers.begin(), v.solvers.end(), "dns-persist-01") != v.solvers.end();
    if (check_persist && persist) j["persist_records"] = persist_health(g, n, failed, warned);
    if (json_out) {
      out.push_back(j);
    } else {
      print(v);
      if (j.contains("persist_records"))
        for (const auto& r : j["persist_records"])
          std::cout << "  persist record " << r.value("name", "") << ": " << r.value("status", "")
                    << (r.value("republish", false) ? " REPUBLISH" : "") << " (" << r.value("summary", "") << ")\n";
    }
  }
  if (json_out) std::cout << json{{"certificates", out}}.dump(2) << "\n";
  if (any_config_error) return exit_config;
  if (failed) return exit_failure;
  if (warned && warn_exit) return exit_warning;
  return exit_ok;
}

int run_next_due(const GlobalOptions& g, bool json_out) {
  storage::FileStateStore store(g.state_dir);
  std::optional<system_clock::time_point> earliest;
  std::string who, why;
  for (const auto& n : app::configured_certificates(g.config_dir)) {
    CertView v = view(g, store, n);
    if (!v.config_error.empty()) continue;
    auto when = v.due ? v.due->when : system_clock::now();
    if (v.state.next_attempt) when = std::max(when, system_clock::time_point(seconds(*v.state.next_attempt)));
    if (!earliest || when < *earliest) {
      earliest = when;
      who = n;
      why = v.due ? v.due->why : "not issued yet";
    }
  }
  if (!earliest) {
    if (json_out) std::cout << json{{"next_due", nullptr}}.dump() << "\n";
    else std::cout << "no certificates configured\n";
    return exit_ok;
  }
  auto secs = std::max<long long>(0, duration_cast<seconds>(*earliest - system_clock::now()).count());
  if (json_out)
    std::cout << json{{"next_due", format_rfc3339(*earliest)}, {"in_seconds", secs}, {"name", who}, {"why", why}}.dump()
              << "\n";
  else
    std::cout << format_rfc3339(*earliest) << " (" << who << ", in " << secs << " s: " << why << ")\n";
  return exit_ok;
}

/// Validates acmed.yaml and certificate files, including each solver section; reports all errors.
int run_config_check(const GlobalOptions& g, const std::vector<std::string>& files, bool json_out) {
  solver::SolverRegistry registry;
  if (auto r = register_builtin_solvers(registry); !r) return report(r.error());
  std::vector<std::string> errors;
  std::vector<std::string> checked;
  auto check_global = [&](const std::string& path) {
    checked.push_back(path);
    if (auto r = config::load_global(path); !r) errors.push_back(r.error().describe());
  };
  auto check_cert = [&](const std::string& path) {
    checked.push_back(path);
    auto c = config::load_certificate(path);
    if (!c) {
      errors.push_back(c.error().describe());
      return;
    }
    for (const auto& e : c->solvers) {
      const solver::SolverFactory* f = registry.find(e.type);
      if (!f) {
        errors.push_back(e.settings.origin + ": solver type '" + e.type + "' is not available in this build");
        continue;
      }
      if (auto v = f->validate({e.type, e.settings}); !v) errors.push_back(v.error().describe());
    }
  };
  if (files.empty()) {
    std::string global = g.config_dir + "/acmed.yaml";
    if (std::filesystem::exists(global)) check_global(global);
    for (const auto& n : app::configured_certificates(g.config_dir)) check_cert(g.config_dir + "/certs.d/" + n + ".yaml");
  } else {
    for (const auto& f : files) {
      if (!std::filesystem::exists(f)) {
        errors.push_back(f + ": no such file");
        continue;
      }
      // acmed.yaml (or *.acmed.yaml, as in config/acmed.example.yaml) is the global file.
      std::string base = std::filesystem::path(f).filename().string();
      if (base == "acmed.yaml" || base.rfind("acmed.", 0) == 0) check_global(f);
      else check_cert(f);
    }
  }
  if (json_out) {
    std::cout << json{{"checked", checked}, {"errors", errors}, {"ok", errors.empty()}}.dump(2) << "\n";
  } else {
    for (const auto& e : errors) std::cerr << "error: " << e << "\n";
    std::cout << checked.size() << " file(s) checked, " << errors.size() << " error(s)\n";
  }
  return errors.empty() ? exit_ok : exit_config;
}

}  // namespace

nlohmann::json certificate_json(const GlobalOptions& g, const std::string& name) {
  storage::FileStateStore store(g.state_dir);
  CertView v = view(g, store, name);
  return to_json(v);
}

std::string metrics_text(const GlobalOptions& g, bool live_persist) {
  storage::FileStateStore store(g.state_dir);
  std::string out;
  auto metric = [&](const std::string& name, const std::string& help, const std::string& type) {
    out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  auto label = [](std::string v) {
    std::string o;
    for (char c : v) {
      if (c == '\\' || c == '"') o += '\\';
      if (c == '\n') { o += "\\n"; continue; }
      o += c;
    }
    return o;
  };
  std::vector<CertView> views;
  for (const auto& n : app::configured_certificates(g.config_dir)) views.push_back(view(g, store, n));
  auto secs = [](system_clock::time_point t) { return std::to_string(duration_cast<seconds>(t.time_since_epoch()).count()); };
  metric("acmed_certificate_not_after_seconds", "Expiry of the live certificate (Unix time).", "gauge");
  for (const auto& v : views)
    if (v.info) out += "acmed_certificate_not_after_seconds{name=\"" + label(v.name) + "\"} " + secs(v.info->not_after) + "\n";
  metric("acmed_certificate_next_renewal_seconds", "When the certificate is due for renewal (Unix time).", "gauge");
  for (const auto& v : views)
    if (v.due) out += "acmed_certificate_next_renewal_seconds{name=\"" + label(v.name) + "\"} " + secs(v.due->when) + "\n";
  metric("acmed_certificate_last_success_seconds", "Last successful issuance or renewal (Unix time).", "gauge");
  for (const auto& v : views)
    if (v.state.last_success)
      out += "acmed_certificate_last_success_seconds{name=\"" + label(v.name) + "\"} " + std::to_string(*v.state.last_success) + "\n";
  metric("acmed_certificate_consecutive_failures", "Consecutive failed renewal attempts.", "gauge");
  for (const auto& v : views)
    out += "acmed_certificate_consecutive_failures{name=\"" + label(v.name) + "\"} " + std::to_string(v.state.failures) + "\n";
  metric("acmed_config_error", "1 when the certificate's configuration file does not load.", "gauge");
  for (const auto& v : views)
    out += "acmed_config_error{name=\"" + label(v.name) + "\"} " + (v.config_error.empty() ? "0" : "1") + "\n";
  std::optional<system_clock::time_point> next;
  for (const auto& v : views)
    if (v.config_error.empty()) {
      auto w = v.due ? v.due->when : system_clock::now();
      if (!next || w < *next) next = w;
    }
  metric("acmed_next_due_seconds", "The earliest time any certificate needs work (Unix time).", "gauge");
  if (next) out += "acmed_next_due_seconds " + secs(*next) + "\n";
  if (live_persist) {
    std::string ok_lines, until_lines, republish_lines;
    for (const auto& v : views) {
      if (std::find(v.solvers.begin(), v.solvers.end(), "dns-persist-01") == v.solvers.end()) continue;
      bool failed = false, warned = false;
      auto health = persist_health(g, v.name, failed, warned);
      for (const auto& r : health) {
        std::string lbl = "{name=\"" + label(v.name) + "\",record=\"" + label(r.value("name", "")) + "\"}";
        std::string st = r.value("status", "");
        ok_lines += "acmed_persist_record_ok" + lbl + " " + (st == "ok" || st == "expiring" ? "1" : "0") + "\n";
        republish_lines += "acmed_persist_record_republish" + lbl + " " + (r.value("republish", false) ? "1" : "0") + "\n";
        if (r.contains("servers"))
          for (const auto& sv : r["servers"])
            if (sv.contains("persist_until")) {
              until_lines += "acmed_persist_until_seconds" + lbl + " " + std::to_string(sv["persist_until"].get<long long>()) + "\n";
              break;
            }
      }
    }
    metric("acmed_persist_record_ok", "1 when the DNS-PERSIST-01 record verifies on every server checked.", "gauge");
    out += ok_lines;
    metric("acmed_persist_until_seconds", "persistUntil of the record that authorizes the account (Unix time).", "gauge");
    out += until_lines;
    metric("acmed_persist_record_republish",
           "1 when the record must be republished: in the CA's other draft format (stale-format), or hashed with an "
           "earlier account key.",
           "gauge");
    out += republish_lines;
  }
  return out;
}

void add_status_commands(CLI::App& app, GlobalOptions& g, int& rc) {
  auto json_out = std::make_shared<bool>(false);
  auto warn_exit = std::make_shared<bool>(false);
  auto names = std::make_shared<std::vector<std::string>>();

  auto* list = app.add_subcommand("list", "Every certificate: expiry, solver mode, next renewal and why, last error");
  list->add_flag("--json", *json_out, "machine-readable output");
  list->callback([&g, &rc, json_out] { rc = run_list(g, {}, *json_out || g.json, false, false); });

  auto* status = app.add_subcommand("status", "Like list, plus a live read-only check of DNS-PERSIST-01 records");
  status->add_option("names", *names, "certificate names (default: all)");
  status->add_flag("--json", *json_out, "machine-readable output");
  status->add_flag("--warn-exit", *warn_exit, "exit 3 when a persistUntil is within its warning window");
  status->callback([&g, &rc, json_out, warn_exit, names] { rc = run_list(g, *names, *json_out || g.json, true, *warn_exit); });

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
