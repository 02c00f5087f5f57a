#include "acmed/dns01/providers/pdns.hpp"

#include <nlohmann/json.hpp>

#include "acmed/dns01/credentials.hpp"
#include "acmed/solvers/settings.hpp"
#include "acmed/transport/beast_client.hpp"

namespace acmed::dns01 {
namespace {

using json = nlohmann::json;

std::string quote_txt(const std::string& v) { return "\"" + v + "\""; }

class PdnsWriter final : public RecordWriter {
 public:
  PdnsWriter(std::unique_ptr<transport::HttpClient> http, std::string api_url, std::string server_id, Secret key)
      : http_(std::move(http)), api_url_(std::move(api_url)), server_id_(std::move(server_id)), key_(std::move(key)) {}

  std::string id() const override { return "pdns@" + api_url_ + "/" + server_id_; }

  Result<void> add_txt(const TxtRecord& r) override {
    auto current = fetch(r);
    if (!current) return fail(current.error());
    auto values = current->first;
    if (std::find(values.begin(), values.end(), quote_txt(r.value)) == values.end()) values.push_back(quote_txt(r.value));
    return replace(r, values, current->second ? current->second : r.ttl);
  }

  Result<void> remove_txt(const TxtRecord& r) override {
    auto current = fetch(r);
    if (!current) return fail(current.error());
    auto values = current->first;
    values.erase(std::remove(values.begin(), values.end(), quote_txt(r.value)), values.end());
    return replace(r, values, current->second ? current->second : r.ttl);
  }

 private:
  std::string zone_url(const std::string& zone) const {
    return api_url_ + "/api/v1/servers/" + server_id_ + "/zones/" + zone + ".";
  }

  Result<transport::HttpResponse> call(const std::string& method, const std::string& url, const std::string& body) {
    transport::HttpRequest req{method, url, {{"X-API-Key", std::string(key_.view())}, {"Accept", "application/json"}}, body};
    if (!body.empty()) req.headers.push_back({"Content-Type", "application/json"});
    auto r = http_->send(req);
    if (!r) return fail(r.error().with_context("PowerDNS API"));
    if (r->status == 401 || r->status == 403)
      return fail(Errc::dns, "PowerDNS API refused the API key (HTTP " + std::to_string(r->status) + ")");
    if (r->status == 404 || r->status == 422) {
      std::string detail;
      auto j = json::parse(r->body, nullptr, false);
      if (j.is_object() && j.contains("error") && j["error"].is_string()) detail = j["error"].get<std::string>();
      return fail(Errc::dns, "PowerDNS API: HTTP " + std::to_string(r->status) + (detail.empty() ? "" : ": " + detail));
    }
    if (r->status >= 300) return fail(Errc::dns, "PowerDNS API: unexpected HTTP " + std::to_string(r->status) + " for " + method + " " + url);
    return r;
  }

  /// The TXT RRset at r.fqdn: its contents and TTL (0 when absent).
  Result<std::pair<std::vector<std::string>, std::uint32_t>> fetch(const TxtRecord& r) {
    auto resp = call("GET", zone_url(r.zone) + "?rrsets=true", "");
    if (!resp) return fail(resp.error().with_context("zone " + r.zone));
    auto j = json::parse(resp->body, nullptr, false);
    if (!j.is_object() || !j.contains("rrsets") || !j["rrsets"].is_array())
      return fail(Errc::bad_response, "PowerDNS API: zone " + r.zone + " answer has no rrsets");
    std::vector<std::string> values;
    std::uint32_t ttl = 0;
    for (const auto& set : j["rrsets"]) {
      if (!set.is_object() || set.value("name", "") != r.fqdn + "." || set.value("type", "") != "TXT") continue;
      ttl = set.value("ttl", 0U);
      if (set.contains("records") && set["records"].is_array())
        for (const auto& rec : set["records"])
          if (rec.is_object() && rec.contains("content") && rec["content"].is_string())
            values.push_back(rec["content"].get<std::string>());
    }
    return std::make_pair(values, ttl);
  }

  Result<void> replace(const TxtRecord& r, const std::vector<std::string>& values, std::uint32_t ttl) {
    json set = {{"name", r.fqdn + "."}, {"type", "TXT"}};
    if (values.empty()) {
      set["changetype"] = "DELETE";
    } else {
      set["changetype"] = "REPLACE";
      set["ttl"] = ttl;
      json recs = json::array();
      for (const auto& v : values) recs.push_back({{"content", v}, {"disabled", false}});
      set["records"] = recs;
    }
    auto resp = call("PATCH", zone_url(r.zone), json{{"rrsets", json::array({set})}}.dump());
    if (!resp) return fail(resp.error().with_context("updating TXT " + r.fqdn));
    return {};
  }

  std::unique_ptr<transport::HttpClient> http_;
  std::string api_url_;
  std::string server_id_;
  Secret key_;
};

class PdnsFactory final : public ProviderFactory {
 public:
  std::string_view name() const override { return "pdns"; }

  Result<void> validate(const ConfigValue& s) const override {
    if (auto r = solver::check_keys(s, {"api_url", "server_id", "api_key_file", "credential", "ca_bundle"}, "pdns"); !r)
      return r;
    auto url = solver::get_string(s, "api_url", "", "pdns");
    if (!url) return fail(url.error());
    if (url->empty()) return fail(Errc::config, s.origin + ": pdns needs 'api_url' (e.g. http://127.0.0.1:8081)");
    if (auto u = transport::parse_url(*url); !u) return fail(u.error().with_context(s.find("api_url")->origin));
    if ((s.find("api_key_file") ? 1 : 0) + (s.find("credential") ? 1 : 0) != 1)
      return fail(Errc::config, s.origin + ": pdns needs exactly one of 'api_key_file' or 'credential'");
    return {};
  }

  Result<std::unique_ptr<RecordWriter>> create(const ConfigValue& s) const override {
    if (auto r = validate(s); !r) return fail(r.error());
    auto key = load_credential(s, "api_key_file");
    if (!key) return fail(key.error());
    transport::HttpClientOptions opts;
    opts.ca_bundle = *solver::get_string(s, "ca_bundle", "", "pdns");
    opts.user_agent = "acmed-pdns";
    opts.read_timeout = std::chrono::seconds(15);
    auto http = transport::make_beast_client(opts);
    if (!http) return fail(http.error());
    std::string url = *solver::get_string(s, "api_url", "", "pdns");
    while (!url.empty() && url.back() == '/') url.pop_back();
    return std::unique_ptr<RecordWriter>(std::make_unique<PdnsWriter>(
        std::move(*http), url, *solver::get_string(s, "server_id", "localhost", "pdns"), std::move(*key)));
  }
};

}  // namespace

std::unique_ptr<ProviderFactory> make_pdns_provider() { return std::make_unique<PdnsFactory>(); }

}  // namespace acmed::dns01
