// SPDX-License-Identifier: Apache-2.0
#include "acmed/dns01/providers/pdns.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>

#include "acmed/dns01/credentials.hpp"
#include "acmed/solvers/settings.hpp"

namespace acmed::dns01 {
namespace {

using json = nlohmann::json;

constexpr std::string_view provider_name = "pdns";

constexpr solver::SettingSpec pdns_settings[] = {
    {.name = "api_url", .description = "base URL of the API, e.g. http://127.0.0.1:8081 (https:// is verified)"},
    {.name = "server_id", .description = "PowerDNS server id (default localhost)"},
    {.name = "api_key_file", .description = "file holding the X-API-Key, mode 0600", .credential = true},
    credential_setting,
    {.name = "ca_bundle", .description = "PEM roots trusted for an https:// api_url (default: the system store)"},
};

/// A TXT RRset as the API reports it; ttl 0 when the RRset is absent.
struct RRset {
  std::vector<std::string> values;
  std::uint32_t ttl = 0;
};

/// Reads the RRset at `fqdn` from a zone answer (GET .../zones/ZONE?rrsets=true).
/// Anything not shaped like the API's answer is an error, never an exception.
Result<RRset> parse_zone_answer(const std::string& body, const TxtRecord& r) {
  const std::string what = "PowerDNS API: the answer for zone " + r.zone;
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return fail(Errc::bad_response, what + " is not JSON");
  if (!j.is_object()) return fail(Errc::bad_response, what + " is not a JSON object");
  auto sets = j.find("rrsets");
  if (sets == j.end() || !sets->is_array()) return fail(Errc::bad_response, what + " has no rrsets array");
  RRset out;
  for (const auto& set : *sets) {
    auto name = set.is_object() ? set.find("name") : set.end();
    auto type = set.is_object() ? set.find("type") : set.end();
    if (!set.is_object() || name == set.end() || type == set.end() || !name->is_string() || !type->is_string())
      return fail(Errc::bad_response, what + " has an rrset without string 'name' and 'type'");
    if (*name != r.fqdn + "." || *type != "TXT") continue;
    const std::string rrset = what + ": TXT rrset " + r.fqdn + ": ";
    if (auto ttl = set.find("ttl"); ttl != set.end()) {
      if (!ttl->is_number_unsigned() || ttl->get<std::uint64_t>() > UINT32_MAX)
        return fail(Errc::bad_response, rrset + "'ttl' is not a TTL");
      out.ttl = ttl->get<std::uint32_t>();
    }
    auto records = set.find("records");
    if (records == set.end()) continue;
    if (!records->is_array()) return fail(Errc::bad_response, rrset + "'records' is not an array");
    for (const auto& rec : *records) {
      auto content = rec.is_object() ? rec.find("content") : rec.end();
      if (!rec.is_object() || content == rec.end() || !content->is_string())
        return fail(Errc::bad_response, rrset + "a record has no string 'content'");
      out.values.push_back(content->get<std::string>());
    }
  }
  return out;
}

std::string quote_txt(const std::string& v) { return "\"" + v + "\""; }

class PdnsWriter final : public RecordWriter {
 public:
  PdnsWriter(std::unique_ptr<transport::HttpClient> http, std::string api_url, std::string server_id, Secret key)
      : http_(std::move(http)), api_url_(std::move(api_url)), server_id_(std::move(server_id)), key_(std::move(key)) {}

  std::string id() const override { return "pdns@" + api_url_ + "/" + server_id_; }

  Result<void> add_txt(const TxtRecord& r) override {
    auto current = fetch(r);
    if (!current) return fail(current.error());
    auto values = current->values;
    if (std::find(values.begin(), values.end(), quote_txt(r.value)) == values.end()) values.push_back(quote_txt(r.value));
    return replace(r, values, current->ttl ? current->ttl : r.ttl);
  }

  Result<void> remove_txt(const TxtRecord& r) override {
    auto current = fetch(r);
    if (!current) return fail(current.error());
    auto values = current->values;
    values.erase(std::remove(values.begin(), values.end(), quote_txt(r.value)), values.end());
    return replace(r, values, current->ttl ? current->ttl : r.ttl);
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
  Result<RRset> fetch(const TxtRecord& r) {
    auto resp = call("GET", zone_url(r.zone) + "?rrsets=true", "");
    if (!resp) return fail(resp.error().with_context("zone " + r.zone));
    return parse_zone_answer(resp->body, r);
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
  explicit PdnsFactory(transport::HttpClientMaker http) : http_(std::move(http)) {}

  std::string_view name() const override { return provider_name; }
  std::span<const solver::SettingSpec> settings() const override { return pdns_settings; }

  Result<void> validate(const ConfigValue& s) const override {
    if (auto r = solver::check_declared_keys(s, pdns_settings, provider_name); !r) return r;
    auto url = solver::get_string(s, "api_url", "", provider_name);
    if (!url) return fail(url.error());
    if (url->empty()) return fail(Errc::config, s.origin + ": pdns needs 'api_url' (e.g. http://127.0.0.1:8081)");
    if (auto u = transport::parse_url(*url); !u) return fail(u.error().with_context(s.find("api_url")->origin));
    if ((s.find("api_key_file") ? 1 : 0) + (s.find("credential") ? 1 : 0) != 1)
      return fail(Errc::config, s.origin + ": pdns needs exactly one of 'api_key_file' or 'credential'");
    return {};
  }

  Result<std::unique_ptr<RecordWriter>> create(const ConfigValue& s) const override {
    if (auto r = validate(s); !r) return fail(r.error());
    if (!http_) return fail(Errc::config, "pdns: this build gave the provider no HTTP client");
    auto key = load_credential(s, "api_key_file");
    if (!key) return fail(key.error());
    transport::HttpClientOptions opts;
    opts.ca_bundle = *solver::get_string(s, "ca_bundle", "", provider_name);
    opts.user_agent = "acmed-pdns";
    opts.read_timeout = std::chrono::seconds(15);
    auto http = http_(opts);
    if (!http) return fail(http.error());
    std::string url = *solver::get_string(s, "api_url", "", provider_name);
    while (!url.empty() && url.back() == '/') url.pop_back();
    return std::unique_ptr<RecordWriter>(std::make_unique<PdnsWriter>(
        std::move(*http), url, *solver::get_string(s, "server_id", "localhost", provider_name), std::move(*key)));
  }

 private:
  transport::HttpClientMaker http_;
};

}  // namespace

std::unique_ptr<ProviderFactory> make_pdns_provider(transport::HttpClientMaker http) {
  return std::make_unique<PdnsFactory>(std::move(http));
}

}  // namespace acmed::dns01
