// SPDX-License-Identifier: Apache-2.0
// The PowerDNS HTTP API writer against a scripted HTTP client (the provider takes an
// HttpClientMaker, so no server is needed): the exact requests for adding to and
// removing from an RRset, the HTTP error mapping, malformed zone answers, and that
// the API key never appears in an error. tests/e2e/dns01_pdns.sh runs a real pdns.
#include "acmed/dns01/providers/pdns.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>

#include "acmed/core/files.hpp"
#include "fake_http_client.hpp"
#include "temp_dir.hpp"

namespace acmed::dns01 {
namespace {

using test::FakeHttpClient;

constexpr const char* api_key = "pdns-key-Zq81xW";
constexpr const char* zone_url = "http://127.0.0.1:8081/api/v1/servers/localhost/zones/example.com.";
const TxtRecord record{"example.com", "_acme-challenge.example.com", "v1", 60};

/// A zone answer holding the SOA and, when `txt` is not empty, the TXT RRset at the record's name.
std::string zone(const std::string& txt = "") {
  std::string sets = R"({"name": "example.com.", "type": "SOA", "ttl": 3600,
                         "records": [{"content": "ns1.example.com. hostmaster.example.com. 1 10800 3600 604800 3600",
                                      "disabled": false}]})";
  if (!txt.empty()) sets += ", " + txt;
  return R"({"name": "example.com.", "kind": "Native", "rrsets": [)" + sets + "]}";
}

/// The TXT RRset at the record's name, as the API lists it.
std::string txt_rrset(int ttl, std::initializer_list<std::string> values) {
  std::string records;
  for (const auto& v : values)
    records += std::string(records.empty() ? "" : ", ") + R"({"content": "\")" + v + R"(\"", "disabled": false})";
  return R"({"name": "_acme-challenge.example.com.", "type": "TXT", "ttl": )" + std::to_string(ttl) +
         R"(, "records": [)" + records + "]}";
}

/// The exact PATCH body that replaces the RRset with these values.
std::string replace_body(int ttl, std::initializer_list<std::string> values) {
  std::string records;
  for (const auto& v : values)
    records += std::string(records.empty() ? "" : ",") + R"({"content":"\")" + v + R"(\"","disabled":false})";
  return R"({"rrsets":[{"changetype":"REPLACE","name":"_acme-challenge.example.com.","records":[)" + records +
         R"(],"ttl":)" + std::to_string(ttl) + R"(,"type":"TXT"}]})";
}

std::string header(const transport::HttpRequest& r, const std::string& name) {
  for (const auto& h : r.headers)
    if (h.name == name) return h.value;
  return "";
}

struct Fixture {
  test::TempDir dir;
  FakeHttpClient* http = nullptr;  ///< owned by the writer
  std::optional<transport::HttpClientOptions> options;  ///< what the maker was asked for
  std::unique_ptr<ProviderFactory> factory;
  ConfigValue section = ConfigValue::make_map("certs.d/x.yaml:5:5");

  Fixture() {
    REQUIRE(write_file_atomic(dir.path() + "/pdns.key", std::string(api_key) + "\n", 0600));
    factory = make_pdns_provider([this](const transport::HttpClientOptions& o) -> Result<std::unique_ptr<transport::HttpClient>> {
      options = o;
      auto fake = std::make_unique<FakeHttpClient>();
      http = fake.get();
      return std::unique_ptr<transport::HttpClient>(std::move(fake));
    });
    section.map["api_url"] = ConfigValue::make_scalar("http://127.0.0.1:8081/", "certs.d/x.yaml:6:7");
    section.map["api_key_file"] = ConfigValue::make_scalar(dir.path() + "/pdns.key", "certs.d/x.yaml:7:7");
  }

  std::unique_ptr<RecordWriter> writer() {
    auto w = factory->create(section);
    REQUIRE(w);
    REQUIRE(http);
    return std::move(*w);
  }

  /// Answers the zone read with `zone_answer`, accepts the write, and returns the PATCH body.
  std::string patch_body(RecordWriter& w, const std::string& zone_answer, bool remove) {
    const auto before = http->requests().size();
    http->push(200, {}, zone_answer);
    http->push(204, {}, "");
    REQUIRE((remove ? w.remove_txt(record) : w.add_txt(record)));
    REQUIRE(http->requests().size() == before + 2);
    CHECK(http->requests().back().method == "PATCH");
    return http->requests().back().body;
  }

  /// The error of a call that must fail; it never carries the API key.
  static Error error_of(const Result<void>& r) {
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, !Catch::Contains(api_key));
    return r.error();
  }
};

TEST_CASE("pdns: add_txt to an absent RRset creates it with the record's TTL", "[pdns]") {
  Fixture f;
  auto w = f.writer();
  f.http->push(200, {{"Content-Type", "application/json"}}, zone());
  f.http->push(204, {}, "");
  REQUIRE(w->add_txt(record));

  REQUIRE(f.http->requests().size() == 2);
  const auto& get = f.http->requests()[0];
  CHECK(get.method == "GET");
  CHECK(get.url == std::string(zone_url) + "?rrsets=true");
  CHECK(header(get, "X-API-Key") == api_key);
  CHECK(header(get, "Accept") == "application/json");
  const auto& patch = f.http->requests()[1];
  CHECK(patch.method == "PATCH");
  CHECK(patch.url == zone_url);
  CHECK(header(patch, "X-API-Key") == api_key);
  CHECK(header(patch, "Content-Type") == "application/json");
  CHECK(patch.body ==
        R"({"rrsets":[{"changetype":"REPLACE","name":"_acme-challenge.example.com.",)"
        R"("records":[{"content":"\"v1\"","disabled":false}],"ttl":60,"type":"TXT"}]})");
  CHECK(patch.body == replace_body(60, {"v1"}));
  REQUIRE(f.options);
  CHECK(f.options->user_agent == "acmed-pdns");
  CHECK(f.options->ca_bundle.empty());
}

TEST_CASE("pdns: add_txt to a present RRset keeps its values and its TTL, and adds a value once", "[pdns]") {
  Fixture f;
  auto w = f.writer();
  CHECK(f.patch_body(*w, zone(txt_rrset(300, {"admin-owned"})), false) == replace_body(300, {"admin-owned", "v1"}));
  CHECK(f.patch_body(*w, zone(txt_rrset(300, {"admin-owned", "v1"})), false) == replace_body(300, {"admin-owned", "v1"}));
}

TEST_CASE("pdns: remove_txt leaves the other values, and deletes the RRset when ours was the last", "[pdns]") {
  Fixture f;
  auto w = f.writer();
  CHECK(f.patch_body(*w, zone(txt_rrset(120, {"admin-owned", "v1"})), true) == replace_body(120, {"admin-owned"}));
  CHECK(f.patch_body(*w, zone(txt_rrset(120, {"v1"})), true) ==
        R"({"rrsets":[{"changetype":"DELETE","name":"_acme-challenge.example.com.","type":"TXT"}]})");
  CHECK(header(f.http->requests().back(), "X-API-Key") == api_key);
}

TEST_CASE("pdns: HTTP errors are mapped to messages that say what failed", "[pdns]") {
  Fixture f;
  auto w = f.writer();
  for (int status : {401, 403}) {
    f.http->push(status, {}, R"({"error": "Unauthorized"})");
    auto e = Fixture::error_of(w->add_txt(record));
    CHECK(e.code == Errc::dns);
    CHECK(e.message == "zone example.com: PowerDNS API refused the API key (HTTP " + std::to_string(status) + ")");
  }
  f.http->push(404, {}, R"({"error": "Could not find domain 'example.com.'"})");
  CHECK(Fixture::error_of(w->add_txt(record)).message ==
        "zone example.com: PowerDNS API: HTTP 404: Could not find domain 'example.com.'");

  f.http->push(200, {}, zone());
  f.http->push(422, {}, R"({"error": "RRset _acme-challenge.example.com. IN TXT: Not in expected format"})");
  CHECK(Fixture::error_of(w->add_txt(record)).message ==
        "updating TXT _acme-challenge.example.com: PowerDNS API: HTTP 422: RRset _acme-challenge.example.com. IN TXT: "
        "Not in expected format");

  f.http->push(422, {}, "not json");
  CHECK(Fixture::error_of(w->remove_txt(record)).message == "zone example.com: PowerDNS API: HTTP 422");

  f.http->push(500, {}, "");
  CHECK_THAT(Fixture::error_of(w->add_txt(record)).message,
             Catch::Contains("unexpected HTTP 500 for GET " + std::string(zone_url)));

  f.http->push_error(Error(Errc::network, "connection refused"));
  CHECK(Fixture::error_of(w->add_txt(record)).message == "zone example.com: PowerDNS API: connection refused");
  // A failed read never goes on to write: the one PATCH is the refused one.
  const auto& sent = f.http->requests();
  CHECK(sent.size() == 8);
  CHECK(std::count_if(sent.begin(), sent.end(), [](const auto& r) { return r.method == "PATCH"; }) == 1);
}

TEST_CASE("pdns: a malformed zone answer is a clear error, and nothing is written", "[pdns]") {
  const std::string name = R"("name": "_acme-challenge.example.com.", "type": "TXT")";
  const std::pair<std::string, std::string> cases[] = {
      {"<html>busy</html>", "PowerDNS API: the answer for zone example.com is not JSON"},
      {"[1, 2]", "PowerDNS API: the answer for zone example.com is not a JSON object"},
      {R"({"name": "example.com."})", "PowerDNS API: the answer for zone example.com has no rrsets array"},
      {R"({"rrsets": {"name": "x"}})", "PowerDNS API: the answer for zone example.com has no rrsets array"},
      {R"({"rrsets": ["x"]})", "PowerDNS API: the answer for zone example.com has an rrset without string 'name' and 'type'"},
      {R"({"rrsets": [{"name": 7, "type": "TXT"}]})",
       "PowerDNS API: the answer for zone example.com has an rrset without string 'name' and 'type'"},
      {R"({"rrsets": [{)" + name + R"(, "ttl": "60", "records": []}]})",
       "PowerDNS API: the answer for zone example.com: TXT rrset _acme-challenge.example.com: 'ttl' is not a TTL"},
      {R"({"rrsets": [{)" + name + R"(, "ttl": -5, "records": []}]})",
       "PowerDNS API: the answer for zone example.com: TXT rrset _acme-challenge.example.com: 'ttl' is not a TTL"},
      {R"({"rrsets": [{)" + name + R"(, "ttl": 60, "records": {"content": "\"a\""}}]})",
       "PowerDNS API: the answer for zone example.com: TXT rrset _acme-challenge.example.com: 'records' is not an array"},
      {R"({"rrsets": [{)" + name + R"(, "ttl": 60, "records": [{"content": 5}]}]})",
       "PowerDNS API: the answer for zone example.com: TXT rrset _acme-challenge.example.com: a record has no string "
       "'content'"},
  };
  for (const auto& [body, message] : cases) {
    Fixture f;
    auto w = f.writer();
    f.http->push(200, {}, body);
    auto e = Fixture::error_of(w->add_txt(record));
    CHECK(e.code == Errc::bad_response);
    CHECK(e.message == message);
    CHECK(f.http->requests().size() == 1);
  }
}

TEST_CASE("pdns: settings are declared once and validate checks against them", "[pdns]") {
  Fixture f;
  std::vector<std::string> names, credentials;
  for (const auto& s : f.factory->settings()) {
    names.emplace_back(s.name);
    if (s.credential) credentials.emplace_back(s.name);
    CHECK_FALSE(s.description.empty());
  }
  CHECK(names == std::vector<std::string>{"api_url", "server_id", "api_key_file", "credential", "ca_bundle"});
  CHECK(credentials == std::vector<std::string>{"api_key_file", "credential"});

  CHECK(f.factory->validate(f.section));
  auto bad = f.section;
  bad.map["api_token"] = ConfigValue::make_scalar("x", "certs.d/x.yaml:8:7");
  auto r = f.factory->validate(bad);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "certs.d/x.yaml:8:7: unknown pdns setting 'api_token' (expected one of: api_url, "
                             "server_id, api_key_file, credential, ca_bundle)");
  // Validation reads no credential and opens no connection.
  CHECK_FALSE(f.options);
}

TEST_CASE("pdns: the injected maker gets the section's CA bundle, and its failure is the provider's", "[pdns]") {
  Fixture f;
  f.section.map["ca_bundle"] = ConfigValue::make_scalar("/etc/acmed/pdns-ca.pem", "certs.d/x.yaml:8:7");
  f.section.map["server_id"] = ConfigValue::make_scalar("ns1", "certs.d/x.yaml:9:7");
  auto w = f.writer();
  CHECK(f.options->ca_bundle == "/etc/acmed/pdns-ca.pem");
  CHECK(w->id() == "pdns@http://127.0.0.1:8081/ns1");

  auto failing = make_pdns_provider([](const transport::HttpClientOptions&) -> Result<std::unique_ptr<transport::HttpClient>> {
    return fail(Errc::config, "cannot load CA bundle");
  });
  auto made = failing->create(f.section);
  REQUIRE_FALSE(made);
  CHECK(made.error().message == "cannot load CA bundle");
}

}  // namespace
}  // namespace acmed::dns01
