// SPDX-License-Identifier: Apache-2.0
// acmed::app persist formats: the zone-file, Terraform and octoDNS text of a plan, and
// quoting that no record value can break out of.
#include "acmed/app/persist_formats.hpp"

#include <catch2/catch.hpp>

namespace acmed::app {
namespace {

using namespace std::chrono;

PersistPlan plan_for(const std::string& yaml) {
  auto root = config::parse_yaml(yaml, "www.yaml");
  REQUIRE(root);
  static config::CertificateConfig cert;
  auto c = config::parse_certificate(*root, "www", "www.yaml");
  REQUIRE(c);
  cert = *c;
  CaPersistInfo ca;
  ca.known = true;
  ca.caa_identities = {"ca.example", "ca2.example"};
  PlanInput in{&cert, ca, {"https://ca.example/acct/1", "tp", {}}, "", 1'900'000'000, system_clock::time_point(seconds(1'800'000'000))};
  auto plan = plan_persist(in);
  REQUIRE(plan);
  return *plan;
}

std::string zone_of(const std::string& name) {
  return name.size() > 12 && name.substr(name.size() - 12) == ".example.com" ? "example.com" : "";
}

TEST_CASE("render_records: the zone file explains each record and carries persistUntil", "[app][formats]") {
  auto plan = plan_for("names: [example.com, \"*.example.com\"]\nsolvers:\n  - type: dns-persist-01\n");
  auto text = render_records(plan, RecordFormat::zone, 600, zone_of);
  CHECK_THAT(text, Catch::Contains("; DNS-PERSIST-01 records for certificate 'www'") &&
                       Catch::Contains("; the CA also accepts records for: ca2.example") &&
                       Catch::Contains("; persistUntil=1900000000 = 2030-03-17T17:46:40Z") &&
                       Catch::Contains("_validation-persist.example.com. 600 IN TXT \"ca.example; accounturi="
                                       "https://ca.example/acct/1; policy=wildcard; persistUntil=1900000000\""));
}

TEST_CASE("render_records: Terraform and octoDNS name the zone and the relative name", "[app][formats]") {
  auto plan = plan_for("names: [www.example.com, other.test]\nsolvers:\n  - type: dns-persist-01\n");
  auto tf = render_records(plan, RecordFormat::terraform, 3600, zone_of);
  CHECK_THAT(tf, Catch::Contains("resource \"dns_txt_record_set\" \"validation_persist_www_example_com\" {\n"
                                 "  zone = \"example.com.\"\n  name = \"_validation-persist.www\"\n"));
  CHECK_THAT(tf, Catch::Contains("zone = \"REPLACE-WITH-ZONE.\"\n  name = \"_validation-persist.other.test\""));
  auto octo = render_records(plan, RecordFormat::octodns, 3600, zone_of);
  CHECK_THAT(octo, Catch::Contains("# --- example.com.yaml (octoDNS) ---\n") &&
                       Catch::Contains("# --- UNKNOWN-ZONE.yaml (octoDNS) ---\n") &&
                       Catch::Contains("_validation-persist.www:\n  type: TXT\n  ttl: 3600\n  value: \"ca.example\\\\; "
                                       "accounturi=https://ca.example/acct/1\\\\; persistUntil=1900000000\""));
}

TEST_CASE("double_quoted: quotes, backslashes, control characters and Terraform templates stay literal", "[app][formats]") {
  CHECK(double_quoted("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(double_quoted("x\ny\x1b[31m") == "\"x\\u000ay\\u001b[31m\"");
  CHECK(double_quoted("${var.x} %{if}") == "\"${var.x} %{if}\"");
  CHECK(double_quoted("${var.x} %{if}", true) == "\"$${var.x} %%{if}\"");
  CHECK(double_quoted("$ {ok} 100%", true) == "\"$ {ok} 100%\"");
}

TEST_CASE("parse_record_format: known names, a clear error otherwise", "[app][formats]") {
  CHECK(parse_record_format("octodns").value() == RecordFormat::octodns);
  auto bad = parse_record_format("bind9");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("'bind9'") && Catch::Contains("zone, json, terraform, octodns"));
}

}  // namespace
}  // namespace acmed::app
