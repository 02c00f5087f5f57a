// SPDX-License-Identifier: Apache-2.0
// acmed_provider_schema: prints the dns-01 provider part of config/certificate.schema.json
// ($defs/dns01_providers) from the settings the providers of this build declare.
// Build-time tool, not installed:
//
//   cmake --build build --target update_certificate_schema   # rewrites the checked-in schema
//   python3 scripts/certificate_schema.py --check config/certificate.schema.json build/src/cli/acmed_provider_schema
#include <iostream>
#include <nlohmann/json.hpp>

#include "builtin_solvers.hpp"

namespace {

using json = nlohmann::ordered_json;
using acmed::solver::SettingSpec;
using acmed::solver::SettingType;

json setting_schema(const SettingSpec& s) {
  json out;
  switch (s.type) {
    case SettingType::string: out["type"] = "string"; break;
    case SettingType::absolute_path: out["type"] = "string"; out["pattern"] = "^/"; break;
    case SettingType::duration: out["$ref"] = "#/$defs/duration"; break;
    case SettingType::choice: out["enum"] = json(std::vector<std::string>(s.choices.begin(), s.choices.end())); break;
  }
  out["description"] = std::string(s.description);
  return out;
}

}  // namespace

int main() {
  json names = json::array();
  json properties;
  properties["provider"] = json::object();
  for (const auto& p : acmed::cli::builtin_dns_provider_settings()) {
    names.push_back(p.owner);
    json section{{"type", "object"}, {"additionalProperties", false}, {"properties", json::object()}};
    for (const auto& s : p.settings) section["properties"][std::string(s.name)] = setting_schema(s);
    properties[p.owner] = section;
  }
  properties["provider"] = {{"enum", names},
                            {"description", "the DNS write provider; its settings go in the section of the same name"}};
  json out{{"$comment", "Generated from the dns-01 providers' declared settings (ProviderFactory::settings()) by "
                        "acmed_provider_schema: do not edit; run `cmake --build BUILD --target update_certificate_schema`"},
           {"properties", properties}};
  std::cout << out.dump() << "\n";
  return 0;
}
