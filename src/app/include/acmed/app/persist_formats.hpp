// SPDX-License-Identifier: Apache-2.0
// File: acmed/app/persist_formats.hpp
//
// The records of a DNS-PERSIST-01 plan as text for the people and tools that publish
// them: a zone-file snippet with the reasoning in comments, Terraform
// (hashicorp/dns `dns_txt_record_set`) or octoDNS YAML, one file section per zone.
// Every value is quoted for its target language; acmed itself never publishes them.
//
//   auto f = app::parse_record_format("terraform");
//   std::cout << app::render_records(plan, *f, 3600, [&](const std::string& n) { return zone_apex(n); });
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "acmed/app/persist.hpp"

namespace acmed::app {

enum class RecordFormat { zone, terraform, octodns };

/// "zone", "terraform" or "octodns" ("json" is the caller's own rendering).
[[nodiscard]] Result<RecordFormat> parse_record_format(const std::string& name);

/// The zone apex a record name lives in ("" when unknown); the IaC formats need it.
using ZoneOf = std::function<std::string(const std::string& name)>;

/// The records of `plan` in `format`, with `ttl`.
std::string render_records(const PersistPlan& plan, RecordFormat format, std::uint32_t ttl, const ZoneOf& zone_of);

/// `s` as a double-quoted string that YAML, JSON and Terraform all read back unchanged
/// (control characters as \uXXXX; for Terraform, template sequences ${ and %{ doubled).
std::string double_quoted(const std::string& s, bool terraform = false);

}  // namespace acmed::app
