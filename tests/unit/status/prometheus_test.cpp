// SPDX-License-Identifier: Apache-2.0
// acmed::status Prometheus exposition: layout, and escaping that keeps hostile names
// (a certificate called `a"} 1\nevil 1`) inside their label.
#include "acmed/status/prometheus.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

namespace acmed::status {
namespace {

TEST_CASE("exposition: HELP, TYPE and one line per sample, labels in the order given", "[status][prometheus]") {
  Gauge g{"acmed_x", "What x is.", {{{{"name", "www"}, {"record", "_validation-persist.www.example"}}, 5}, {{}, -1}}};
  CHECK(exposition({g}) == "# HELP acmed_x What x is.\n# TYPE acmed_x gauge\n"
                           "acmed_x{name=\"www\",record=\"_validation-persist.www.example\"} 5\nacmed_x -1\n");
  CHECK(exposition({Gauge{"acmed_empty", "none", {}}}) == "# HELP acmed_empty none\n# TYPE acmed_empty gauge\n");
}

TEST_CASE("exposition: label values and HELP text cannot break out of their place", "[status][prometheus]") {
  const std::string evil = "a\"} 1\nacmed_forged 1\\";
  CHECK(escape_label_value(evil) == "a\\\"} 1\\nacmed_forged 1\\\\");
  Gauge g{"acmed_x", "line one\nline \\two", {{{{"name", evil}}, 1}}};
  const std::string text = exposition({g});
  CHECK(text == "# HELP acmed_x line one\\nline \\\\two\n# TYPE acmed_x gauge\n"
                "acmed_x{name=\"a\\\"} 1\\nacmed_forged 1\\\\\"} 1\n");
  // Exactly three lines: nothing was forged.
  CHECK(std::count(text.begin(), text.end(), '\n') == 3);
}

}  // namespace
}  // namespace acmed::status
