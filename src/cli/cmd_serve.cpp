// acmed serve: a read-only status interface. JSON API (/api/v1), a web page that
// works without JavaScript, and Prometheus metrics. It never shows keys or
// credentials and never issues, renews or writes DNS.
#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "acmed/app/issuance.hpp"
#include "acmed/core/cancel.hpp"
#include "acmed/core/version.hpp"
#include "acmed/status/http_server.hpp"
#include "commands.hpp"
#include "persist_view.hpp"

namespace acmed::cli {

nlohmann::json certificate_json(const GlobalOptions& g, const std::string& name);

namespace {

using json = nlohmann::json;
using status::Request;
using status::Response;

Response as_json(int code, const json& j) { return {code, "application/json", j.dump(2) + "\n"}; }
Response not_found(const std::string& what) { return as_json(404, {{"error", what}}); }

bool known(const GlobalOptions& g, const std::string& name) {
  auto names = app::configured_certificates(g.config_dir);
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string query_param(const std::string& query, const std::string& key) {
  std::size_t pos = 0;
  while (pos <= query.size()) {
    auto amp = query.find('&', pos);
    std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    if (kv.rfind(key + "=", 0) == 0) return kv.substr(key.size() + 1);
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return {};
}

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

bool uses_persist(const json& cert) {
  if (!cert.contains("solvers")) return false;
  for (const auto& s : cert["solvers"])
    if (s == "dns-persist-01") return true;
  return false;
}

/// Everything the page and the API show for one certificate, with its warnings.
json certificate_detail(const GlobalOptions& g, const std::string& name, bool live) {
  json c = certificate_json(g, name);
  json warnings = json::array();
  if (c.contains("config_error")) warnings.push_back("configuration error: " + c["config_error"].get<std::string>());
  if (c.contains("days_left") && c["days_left"].get<long long>() < 14)
    warnings.push_back("certificate expires in " + std::to_string(c["days_left"].get<long long>()) + " days");
  if (c.value("failures", 0) > 0)
    warnings.push_back("last renewal failed (" + std::to_string(c.value("failures", 0)) + " in a row): " +
                       c.value("last_error", std::string()));
  if (uses_persist(c)) {
    std::string err;
    json recs = persist_records_json(g, name, err);
    if (recs.is_null()) warnings.push_back("records cannot be generated: " + err);
    else c["records"] = recs["records"];
    if (!recs.is_null() && recs.contains("ca_revision_notice"))
      warnings.push_back("affected by a CA draft change: " + recs["ca_revision_notice"].get<std::string>());
    if (live) {
      bool failed = false, warned = false;
      json health = persist_health(g, name, failed, warned);
      c["verification"] = health;
      for (const auto& h : health) {
        std::string st = h.value("status", "");
        if (st != "ok") warnings.push_back(h.value("name", "") + ": " + st + ": " + h.value("summary", ""));
        else if (h.value("republish", false))
          warnings.push_back(h.value("name", "") + ": republish: " + h.value("summary", ""));
      }
    }
  }
  c["warnings"] = warnings;
  return c;
}

const char* style_css = R"CSS(
body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2733;max-width:70rem}
h1{font-size:1.4rem} h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%} td,th{border-bottom:1px solid #d8dee4;padding:.4rem;text-align:left;vertical-align:top}
.warn{background:#fff1f0;border:2px solid #cf222e;color:#82071e;padding:.6rem 1rem;margin:1rem 0;font-weight:600}
.ok{color:#1a7f37} .bad{color:#cf222e;font-weight:600}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
button.copy{margin-left:.5rem} .formats a{margin-right:.8rem}
)CSS";

// Progressive enhancement only: every record is readable and selectable without it.
const char* app_js = R"JS(
document.querySelectorAll('button.copy').forEach(function (b) {
  b.hidden = false;
  b.addEventListener('click', function () {
    var text = document.getElementById(b.dataset.target).textContent;
    navigator.clipboard.writeText(text).then(function () { b.textContent = 'Copied'; });
  });
});
)JS";

std::string render_page(const GlobalOptions& g) {
  std::ostringstream h;
  h << "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>acmed status</title>"
    << "<link rel=\"stylesheet\" href=\"/static/style.css\"></head><body><h1>acmed status</h1>";
  std::vector<json> certs;
  json all_warnings = json::array();
  for (const auto& n : app::configured_certificates(g.config_dir)) {
    json c = certificate_detail(g, n, true);
    for (const auto& w : c["warnings"]) all_warnings.push_back(n + ": " + w.get<std::string>());
    certs.push_back(std::move(c));
  }
  if (!all_warnings.empty()) {
    h << "<div class=\"warn\" id=\"warnings\"><p>Attention needed</p><ul>";
    for (const auto& w : all_warnings) h << "<li>" << html_escape(w.get<std::string>()) << "</li>";
    h << "</ul></div>";
  }
  h << "<table id=\"certificates\"><tr><th>Certificate</th><th>Names</th><th>Mode</th><th>Expires</th>"
    << "<th>Next renewal</th><th>Status</th></tr>";
  for (const auto& c : certs) {
    std::string names, modes;
    for (const auto& n : c["names"]) names += (names.empty() ? "" : ", ") + n.get<std::string>();
    for (const auto& m : c["solvers"]) modes += (modes.empty() ? "" : ", ") + m.get<std::string>();
    h << "<tr><td>" << html_escape(c["name"].get<std::string>()) << "</td><td>" << html_escape(names) << "</td><td>"
      << html_escape(modes) << "</td><td>"
      << (c["not_after"].is_null() ? std::string("not issued") : html_escape(c["not_after"].get<std::string>())) << "</td><td>"
      << (c["next_renewal"].is_null() ? std::string("now") : html_escape(c["next_renewal"].get<std::string>())) << "<br><small>"
      << html_escape(c.value("why", "")) << "</small></td><td class=\"" << (c["warnings"].empty() ? "ok\">ok" : "bad\">attention")
      << "</td></tr>";
  }
  h << "</table>";
  int id = 0;
  for (const auto& c : certs) {
    if (!c.contains("records")) continue;
    const std::string name = c["name"].get<std::string>();
    h << "<h2 id=\"records-" << html_escape(name) << "\">DNS-PERSIST-01 records for " << html_escape(name) << "</h2>"
      << "<p>Publish these through your DNS change process; acmed never writes them.</p><p class=\"formats\">Formats: ";
    for (const char* f : {"zone", "json", "terraform", "octodns"})
      h << "<a href=\"/api/v1/certificates/" << html_escape(name) << "/records?format=" << f << "\">" << f << "</a>";
    h << "</p>";
    for (const auto& r : c["records"]) {
      ++id;
      std::string status = "unchecked";
      if (c.contains("verification"))
        for (const auto& v : c["verification"])
          if (v.value("name", "") == r["name"]) status = v.value("status", "unchecked") + ": " + v.value("summary", "");
      std::string covers;
      for (const auto& x : r["covers"]) covers += (covers.empty() ? "" : ", ") + x.get<std::string>();
      h << "<div class=\"record\"><p><b>" << html_escape(r["name"].get<std::string>()) << "</b> TXT (covers "
        << html_escape(covers) << ")</p><pre id=\"rec" << id << "\">" << html_escape(r["value"].get<std::string>())
        << "</pre><button class=\"copy\" data-target=\"rec" << id << "\" hidden>Copy</button>"
        << "<p>policy=wildcard: " << (r["policy_wildcard"].get<bool>() ? "yes" : "no") << " &mdash; "
        << html_escape(r["policy_reason"].get<std::string>()) << "</p><p>persistUntil: "
        << (r["persist_until"].is_null() ? std::string("none (valid until removed)")
                                         : std::to_string(r["persist_until"].get<long long>()) + " (" +
                                               html_escape(r.value("persist_until_utc", "")) + ")")
        << "</p><p>Check: <span class=\"" << (status.rfind("ok", 0) == 0 ? "ok" : "bad") << "\">" << html_escape(status)
        << "</span></p></div>";
    }
  }
  h << "<p><small>acmed " << version << " &middot; <a href=\"/api/v1/certificates\">API</a> &middot; "
    << "<a href=\"/metrics\">metrics</a></small></p><script src=\"/static/app.js\"></script></body></html>";
  return h.str();
}

Response route(const GlobalOptions& g, const Request& r) {
  const std::string& p = r.path;
  if (p == "/") return {200, "text/html; charset=utf-8", render_page(g)};
  if (p == "/static/style.css") return {200, "text/css", style_css};
  if (p == "/static/app.js") return {200, "application/javascript", app_js};
  if (p == "/metrics") return {200, "text/plain; version=0.0.4", metrics_text(g, true)};
  if (p == "/api/v1/health") return as_json(200, {{"status", "ok"}, {"version", version}});
  if (p == "/api/v1/account") {
    auto session = open_session(g);
    if (!session) return as_json(500, {{"error", session.error().describe()}});
    auto stored = (*session)->store().load_account((*session)->ca());
    json a = {{"ca", (*session)->config().ca.directory_url}, {"url", nullptr}, {"key_storage", nullptr}, {"key_location", nullptr}};
    if (stored && *stored) {
      if ((*stored)->url) a["url"] = *(*stored)->url;
      a["key_storage"] = (*stored)->key_uri ? "pkcs11" : "file";
      a["key_location"] = (*stored)->key_uri ? *(*stored)->key_uri
                                             : (*session)->store().account_dir((*session)->ca()) + "/private_key.pem";
    }
    return as_json(200, a);
  }
  if (p == "/api/v1/certificates") {
    json list = json::array();
    for (const auto& n : app::configured_certificates(g.config_dir)) list.push_back(certificate_detail(g, n, false));
    return as_json(200, {{"certificates", list}});
  }
  const std::string prefix = "/api/v1/certificates/";
  if (p.rfind(prefix, 0) == 0) {
    std::string rest = p.substr(prefix.size());
    std::string name = rest.substr(0, rest.find('/'));
    std::string sub = rest.find('/') == std::string::npos ? "" : rest.substr(rest.find('/') + 1);
    if (name.empty() || !known(g, name)) return not_found("no certificate named '" + name + "'");
    if (sub.empty()) return as_json(200, certificate_detail(g, name, false));
    if (sub == "records") {
      std::string format = query_param(r.query, "format");
      if (format.empty() || format == "json") {
        std::string err;
        json recs = persist_records_json(g, name, err);
        if (recs.is_null()) return as_json(409, {{"error", err}});
        return as_json(200, recs);
      }
      if (format != "zone" && format != "terraform" && format != "octodns")
        return as_json(400, {{"error", "format must be json, zone, terraform or octodns"}});
      std::ostringstream out;
      if (persist_records_text(g, name, format, out) != exit_ok) return as_json(409, {{"error", "records cannot be generated"}});
      return {200, "text/plain; charset=utf-8", out.str()};
    }
    if (sub == "verification") {
      bool failed = false, warned = false;
      json j = certificate_json(g, name);
      if (!uses_persist(j)) return as_json(409, {{"error", "'" + name + "' does not use dns-persist-01"}});
      json health = persist_health(g, name, failed, warned);
      return as_json(200, {{"certificate", name}, {"ok", !failed}, {"warning", warned}, {"records", health}});
    }
    return not_found("unknown resource '" + sub + "'");
  }
  return not_found("no such path: " + p);
}

int run_serve(const GlobalOptions& g, const std::string& listen, const std::string& token_file) {
  status::ServerOptions opts;
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return report(Error(Errc::config, "--listen must be ADDRESS:PORT"));
  opts.address = listen.substr(0, colon);
  if (!opts.address.empty() && opts.address.front() == '[') opts.address = opts.address.substr(1, opts.address.size() - 2);
  try {
    opts.port = static_cast<unsigned short>(std::stoul(listen.substr(colon + 1)));
  } catch (const std::exception&) {
    return report(Error(Errc::config, "--listen: invalid port"));
  }
  if (!token_file.empty()) {
    auto t = read_secret_file(token_file);
    if (!t) return report(t.error());
    if (t->size() < 16) return report(Error(Errc::config, token_file + ": the bearer token must be at least 16 characters"));
    opts.bearer_token = std::string(t->view());
  }
  auto server = status::HttpServer::start(opts, [&g](const Request& r) { return route(g, r); });
  if (!server) return report(server.error());
  spdlog::info("acmed status interface on http://{}:{}/ (read-only{})", opts.address, (*server)->port(),
               opts.bearer_token.empty() ? "" : ", bearer token required");
  std::cout << "listening on " << opts.address << ":" << (*server)->port() << std::endl;
  // SIGINT/SIGTERM set the cancellation flag; a watcher stops the server.
  std::thread watcher([&server] {
    while (sleep_or_cancel(std::chrono::seconds(3600))) {
    }
    (*server)->stop();
  });
  (*server)->run();
  request_cancel();
  watcher.join();
  return exit_ok;
}

}  // namespace

void add_serve_command(CLI::App& app, GlobalOptions& g, int& rc) {
  auto listen = std::make_shared<std::string>("127.0.0.1:8080");
  auto token = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("serve", "Read-only status interface: JSON API, web page, Prometheus metrics");
  cmd->add_option("--listen", *listen, "ADDRESS:PORT (default 127.0.0.1:8080; non-loopback needs --token-file)");
  cmd->add_option("--token-file", *token, "file holding a bearer token every request must present (0600)");
  cmd->callback([&g, &rc, listen, token] { rc = run_serve(g, *listen, *token); });
}

}  // namespace acmed::cli
