// SPDX-License-Identifier: Apache-2.0
#include "acmed/status/prometheus.hpp"

namespace acmed::status {
namespace {

std::string escaped(const std::string& v, bool quote) {
  std::string o;
  o.reserve(v.size());
  for (char c : v) {
    if (c == '\\') o += "\\\\";
    else if (c == '\n') o += "\\n";
    else if (quote && c == '"') o += "\\\"";
    else o += c;
  }
  return o;
}

}  // namespace

std::string escape_label_value(const std::string& v) { return escaped(v, true); }

std::string exposition(const std::vector<Gauge>& gauges) {
  std::string out;
  for (const auto& g : gauges) {
    out += "# HELP " + g.name + " " + escaped(g.help, false) + "\n# TYPE " + g.name + " gauge\n";
    for (const auto& s : g.samples) {
      out += g.name;
      if (!s.labels.empty()) {
        out += "{";
        for (std::size_t i = 0; i < s.labels.size(); ++i)
          out += (i ? "," : "") + s.labels[i].first + "=\"" + escape_label_value(s.labels[i].second) + "\"";
        out += "}";
      }
      out += " " + std::to_string(s.value) + "\n";
    }
  }
  return out;
}

}  // namespace acmed::status
