// SPDX-License-Identifier: Apache-2.0
// File: acmed/status/prometheus.hpp
//
// The Prometheus text exposition format (version 0.0.4) for gauges: HELP and TYPE
// lines, then one line per sample. Label values are escaped as the format requires
// (backslash, double quote, newline), HELP text likewise (backslash, newline), so a
// certificate or record name cannot forge a sample or break the scrape.
//
//   status::Gauge g{"acmed_certificate_not_after_seconds", "Expiry (Unix time)."};
//   g.samples.push_back({{{"name", "www"}}, 1767225600});
//   std::string text = status::exposition({g});
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace acmed::status {

struct GaugeSample {
  std::vector<std::pair<std::string, std::string>> labels;  ///< name, value (names are the caller's constants)
  std::int64_t value = 0;
};

struct Gauge {
  std::string name;
  std::string help;
  std::vector<GaugeSample> samples;
};

/// A label value escaped for the exposition format.
std::string escape_label_value(const std::string& v);

/// The gauges in the text exposition format.
std::string exposition(const std::vector<Gauge>& gauges);

}  // namespace acmed::status
