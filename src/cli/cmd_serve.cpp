// SPDX-License-Identifier: Apache-2.0
// acmed serve: a read-only status interface. JSON API (/api/v1), a web page that
// works without JavaScript (serve/page.html, style.css, app.js) and Prometheus
// metrics, all rendered from acmed::app's status views. It never shows keys or
// credentials and never issues, renews or writes DNS.
#include <netdb.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <charconv>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "acmed/app/issuance.hpp"
#include "acmed/app/status_query.hpp"
#include "acmed/core/cancel.hpp"
#include "acmed/core/version.hpp"
#include "acmed/status/http_server.hpp"
#include "acmed/status/page.hpp"
#include "acmed/storage/file_store.hpp"
#include "commands.hpp"
#include "persist_view.hpp"
#include "serve/assets.hpp"

namespace acmed::cli {

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

/// Section `name` of page.html filled with `values` (HTML-escaped; {{{key}}} takes fragments).
std::string fill(std::string_view name, const std::map<std::string, std::string>& values) {
  return status::fill(assets::page_html, name, values);
}

/// One certificate as the page and the API show it: its DNS-PERSIST-01 records
/// (checked when `live`) and what needs attention.
struct Shown {
  app::CertificateView cert;
  std::optional<app::PersistView> persist;
  std::optional<app::CaaView> caa;
  std::vector<std::string> warnings;
};

/// `c` with its DNS-PERSIST-01 records (checked when `live`), its CAA (when `live`)
/// and what needs attention.
Shown shown_one(ViewSession& session, app::CertificateView c, bool live) {
  Shown s{std::move(c), std::nullopt, std::nullopt, {}};
  if (s.cert.persist) s.persist = session.persist(s.cert.name, {.check = live});
  if (live && s.cert.config_error.empty()) s.caa = session.caa(s.cert.name);
  s.warnings = app::attention(s.cert, s.persist ? &*s.persist : nullptr, s.caa ? &*s.caa : nullptr);
  return s;
}

std::vector<Shown> shown(const GlobalOptions& g, const std::vector<std::string>& names, bool live) {
  auto store = store_for_views(g);
  ViewSession session(g);
  std::vector<Shown> out;
  for (auto& c : app::certificate_views(*store, g.config_dir, names, system_clock_instance().now()))
    out.push_back(shown_one(session, std::move(c), live));
  return out;
}

/// The certificates a list shows: every view (cheap: no DNS, no CA), then the records,
/// CAA and warnings (`live`: checked) only for the page `q` selects.
struct Listing {
  std::vector<Shown> rows;
  std::size_t total = 0;      ///< matches on every page
  std::size_t attention = 0;  ///< certificates that need attention, of all (known without DNS)
};
Listing listing(const GlobalOptions& g, const app::CertificateQuery& q, bool live) {
  auto store = store_for_views(g);
  auto views = app::certificate_views(*store, g.config_dir, app::configured_certificates(g.config_dir),
                                      system_clock_instance().now());
  const auto selected = app::select_certificates(views, q);
  ViewSession session(g);
  Listing out;
  out.total = selected.total;
  out.attention = app::select_certificates(views, {.offset = 0, .limit = 0, .filter = "", .state = app::StateFilter::attention}).total;
  for (std::size_t i : selected.shown) out.rows.push_back(shown_one(session, std::move(views[i]), live));
  return out;
}

/// ?offset=&limit=&filter=&state= of a list, each optional. With `max_limit`, limit is
/// capped at it (and is it when not given); without, no limit means every match.
Result<app::CertificateQuery> certificate_query(const std::string& query, std::optional<std::size_t> max_limit) {
  auto number = [&](const char* key, std::optional<std::size_t>& out) -> Result<void> {
    const std::string text = status::query_param(query, key);
    if (text.empty()) return {};
    std::size_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || text.size() > 9)
      return fail(Errc::invalid_argument, std::string(key) + " must be a whole number 0..999999999");
    out = v;
    return {};
  };
  app::CertificateQuery q;
  std::optional<std::size_t> offset;
  if (auto r = number("offset", offset); !r) return fail(r.error());
  if (auto r = number("limit", q.limit); !r) return fail(r.error());
  q.offset = offset.value_or(0);
  if (max_limit) q.limit = std::min(q.limit.value_or(*max_limit), *max_limit);
  q.filter = status::url_decode(status::query_param(query, "filter"));
  if (q.filter.size() > 253) return fail(Errc::invalid_argument, "filter is longer than 253 characters");
  if (const std::string state = status::query_param(query, "state"); !state.empty()) {
    auto f = app::state_filter_from(state);
    if (!f) return fail(Errc::invalid_argument, "state must be any, attention or ok");
    q.state = *f;
  }
  return q;
}

json detail_json(const GlobalOptions& g, const Shown& s, const json& fleet) {
  json c = certificate_json(s.cert);
  if (fleet.contains(s.cert.name)) c["fleet"] = fleet[s.cert.name];
  if (s.cert.persist) {
    std::string err;
    json recs = persist_records_json(g, s.cert.name, err);
    if (!recs.is_null()) c["records"] = recs["records"];
  }
  if (s.caa) c["caa"] = caa_json(*s.caa);
  c["warnings"] = s.warnings;
  return c;
}

std::string record_html(const app::PersistView& p, const persist::RequiredRecord& r, int id) {
  std::string status = "unchecked";
  for (const auto& v : p.records)
    if (v.name == r.name) status = app::status_name(v) + ": " + v.summary;
  const auto& until = r.params.persist_until;
  return fill("record",
              {{"name", r.name},
               {"covers", comma_joined(r.covers)},
               {"id", std::to_string(id)},
               {"value", r.value},
               {"wildcard", r.params.policy_wildcard ? "yes" : "no"},
               {"reason", r.policy_reason},
               {"until", until ? std::to_string(*until) + " (" +
                                     format_rfc3339(app::TimePoint(std::chrono::seconds(*until))) + ")"
                               : "none (valid until removed)"},
               {"class", status.rfind("ok", 0) == 0 ? "ok" : "bad"},
               {"status", status}});
}

/// The page's own address with `q`'s parameters, `offset` changed ("" values left out).
std::string page_link(const app::CertificateQuery& q, std::size_t offset) {
  auto escape = [](const std::string& v) {
    static const char* hex = "0123456789ABCDEF";
    std::string o;
    for (unsigned char c : v) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') o += static_cast<char>(c);
      else o += std::string("%") + hex[c >> 4] + hex[c & 15];
    }
    return o;
  };
  std::string link = "/?offset=" + std::to_string(offset) + "&limit=" + std::to_string(q.limit.value_or(0));
  if (!q.filter.empty()) link += "&filter=" + escape(q.filter);
  if (q.state == app::StateFilter::attention) link += "&state=attention";
  if (q.state == app::StateFilter::ok) link += "&state=ok";
  return link;
}

/// At most this many certificates per page (each gets live DNS checks): 50 unless ?limit= asks for fewer or more.
constexpr std::size_t page_limit_default = 50;
constexpr std::size_t page_limit_max = 500;

std::string render_page(const GlobalOptions& g, app::CertificateQuery q) {
  std::string warnings, rows, records;
  int id = 0;
  const auto fleet = fleet_lines_by_name(g);
  const Listing list = listing(g, q, true);
  for (const auto& s : list.rows) {
    const auto& c = s.cert;
    for (const auto& w : s.warnings) warnings += fill("warning", {{"text", c.name + ": " + w}});
    rows += fill("row", {{"name", c.name},
                         {"names", comma_joined(c.names)},
                         {"modes", comma_joined(c.solvers)},
                         {"expires", c.info ? format_rfc3339(c.info->not_after) : "not issued"},
                         {"next", c.due ? format_rfc3339(c.due->when) : "now"},
                         {"why", c.why},
                         {"fleet", fleet.count(c.name) ? fleet.at(c.name) : ""},
                         {"class", s.warnings.empty() ? "ok" : "bad"},
                         {"state", s.warnings.empty() ? "ok" : "attention"}});
    if (!s.persist || !s.persist->planned) continue;
    std::string recs;
    for (const auto& r : s.persist->planned->plan.records) recs += record_html(*s.persist, r, ++id);
    records += fill("records", {{"name", c.name}, {"records", recs}});
  }
  const std::size_t limit = q.limit.value_or(page_limit_default);
  // Warnings above are for the certificates shown; this counts every certificate.
  if (list.attention > 0 && q.state != app::StateFilter::attention) {
    app::CertificateQuery all_attention;
    all_attention.limit = limit;
    all_attention.state = app::StateFilter::attention;
    warnings += fill("attention", {{"count", std::to_string(list.attention)}, {"href", page_link(all_attention, 0)}});
  }
  const std::string count = list.rows.empty() ? "No certificates on this page; " + std::to_string(list.total) + " match"
                                              : "Certificates " + std::to_string(q.offset + 1) + "\u2013" +
                                                    std::to_string(q.offset + list.rows.size()) + " of " +
                                                    std::to_string(list.total);
  std::string nav;
  if (q.offset > 0) nav += fill("previous", {{"href", page_link(q, q.offset > limit ? q.offset - limit : 0)}});
  if (q.offset + list.rows.size() < list.total) nav += fill("next", {{"href", page_link(q, q.offset + limit)}});
  return fill("page", {{"warnings", warnings.empty() ? "" : fill("warnings", {{"items", warnings}})},
                       {"filter", q.filter},
                       {"any", q.state == app::StateFilter::any ? "selected" : ""},
                       {"attention", q.state == app::StateFilter::attention ? "selected" : ""},
                       {"ok", q.state == app::StateFilter::ok ? "selected" : ""},
                       {"limit", std::to_string(limit)},
                       {"count", count},
                       {"nav", nav},
                       {"rows", rows},
                       {"records", records},
                       {"version", version}});
}

Response route(const GlobalOptions& g, const Request& r) {
  const std::string& p = r.path;
  if (p == "/") {
    auto q = certificate_query(r.query, page_limit_max);
    if (!q) return {400, "text/plain; charset=utf-8", q.error().message + "\n"};
    if (status::query_param(r.query, "limit").empty() || q->limit == std::size_t{0}) q->limit = page_limit_default;
    return {200, "text/html; charset=utf-8", render_page(g, *q)};
  }
  if (p == "/static/style.css") return {200, "text/css", std::string(assets::style_css)};
  if (p == "/static/app.js") return {200, "application/javascript", std::string(assets::app_js)};
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
      a["key_location"] = (*stored)->key_uri ? *(*stored)->key_uri : (*session)->account_key_location();
    }
    return as_json(200, a);
  }
  if (p == "/api/v1/certificates") {
    // Without parameters: every certificate, as before pagination existed.
    auto q = certificate_query(r.query, std::nullopt);
    if (!q) return as_json(400, {{"error", q.error().message}});
    json list = json::array();
    const json fleet = fleet_json_by_name(g);
    const Listing l = listing(g, *q, false);
    for (const auto& s : l.rows) list.push_back(detail_json(g, s, fleet));
    return as_json(200, {{"certificates", list}, {"total", l.total}, {"offset", q->offset},
                         {"limit", q->limit ? json(*q->limit) : json(nullptr)}});
  }
  const std::string prefix = "/api/v1/certificates/";
  if (p.rfind(prefix, 0) == 0) {
    std::string rest = p.substr(prefix.size());
    std::string name = rest.substr(0, rest.find('/'));
    std::string sub = rest.find('/') == std::string::npos ? "" : rest.substr(rest.find('/') + 1);
    if (name.empty() || !known(g, name)) return not_found("no certificate named '" + name + "'");
    if (sub.empty()) return as_json(200, detail_json(g, shown(g, {name}, false).front(), fleet_json_by_name(g)));
    if (sub == "records") {
      std::string format = status::query_param(r.query, "format");
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
      const auto s = shown(g, {name}, true).front();
      if (!s.persist) return as_json(409, {{"error", "'" + name + "' does not use dns-persist-01"}});
      return as_json(200, {{"certificate", name}, {"ok", !s.persist->failed}, {"warning", s.persist->warned},
                           {"records", check_json(s.persist->records)}});
    }
    return not_found("unknown resource '" + sub + "'");
  }
  return not_found("no such path: " + p);
}

/// "localhost" as the loopback address it resolves to; refused when it resolves to
/// anything that is not loopback (a hosts file pointing it elsewhere).
Result<std::string> loopback_of_localhost() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo("localhost", nullptr, &hints, &found); rc != 0)
    return fail(Errc::config, std::string("--listen: cannot resolve localhost: ") + ::gai_strerror(rc));
  std::vector<std::string> addresses;
  for (addrinfo* a = found; a; a = a->ai_next) {
    char text[NI_MAXHOST] = {};
    if ((a->ai_family == AF_INET || a->ai_family == AF_INET6) &&
        ::getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST) == 0)
      addresses.emplace_back(text);
  }
  ::freeaddrinfo(found);
  if (addresses.empty()) return fail(Errc::config, "--listen: localhost resolves to no address");
  for (const auto& a : addresses)
    if (!status::is_loopback(a))
      return fail(Errc::config, "--listen: localhost resolves to " + a +
                                    ", which is not a loopback address; give 127.0.0.1 or [::1]");
  // IPv4 first: 127.0.0.1 is what "localhost:PORT" in a browser or curl reaches everywhere.
  for (const auto& a : addresses)
    if (a.find(':') == std::string::npos) return a;
  return addresses.front();
}

int run_serve(const GlobalOptions& g, const std::string& listen, const std::string& token_file) {
  // The page and the API read the configuration on every request; one that cannot load
  // at startup is an error to fix now, not a page of errors later.
  if (const auto errors = global_config_errors(g); !errors.empty()) {
    for (const auto& e : errors) spdlog::error("{}", e);
    return exit_config;
  }
  status::ServerOptions opts;
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return report(Error(Errc::config, "--listen must be ADDRESS:PORT"));
  opts.address = listen.substr(0, colon);
  if (!opts.address.empty() && opts.address.front() == '[') opts.address = opts.address.substr(1, opts.address.size() - 2);
  if (opts.address == "localhost") {
    auto loopback = loopback_of_localhost();
    if (!loopback) return report(loopback.error());
    opts.address = *loopback;
  }
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
  // One start line (on stderr, as every log line; port 0 shows the port chosen).
  const bool v6 = opts.address.find(':') != std::string::npos;
  const std::string where = (v6 ? "[" + opts.address + "]" : opts.address) + ":" + std::to_string((*server)->port());
  spdlog::info("listening on {} (http://{}/, read-only status interface{})", where, where,
               opts.bearer_token.empty() ? "" : ", bearer token required");
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
  cmd->add_option("--listen", *listen,
                  "ADDRESS:PORT (default 127.0.0.1:8080; localhost means loopback; non-loopback needs --token-file)");
  cmd->add_option("--token-file", *token, "file holding a bearer token every request must present (0600)");
  cmd->callback([&g, &rc, listen, token] { rc = run_serve(g, *listen, *token); });
}

}  // namespace acmed::cli
