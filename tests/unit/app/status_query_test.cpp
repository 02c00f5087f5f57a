// SPDX-License-Identifier: Apache-2.0
// acmed::app::select_certificates: the page, filter and state of the status views
// (acmed serve's list and page). Views built by hand: no disk, no network.
#include "acmed/app/status_query.hpp"

#include <catch2/catch.hpp>

namespace acmed::app {
namespace {

CertificateView view(const std::string& name, std::vector<std::string> names, bool attention = false) {
  CertificateView v;
  v.name = name;
  v.names = std::move(names);
  if (attention) {
    v.state.failures = 2;
    v.state.last_error = "boom";
  }
  return v;
}

std::vector<std::string> shown(const std::vector<CertificateView>& certs, const CertificateSelection& s) {
  std::vector<std::string> out;
  for (auto i : s.shown) out.push_back(certs.at(i).name);
  return out;
}

std::vector<CertificateView> many(std::size_t n) {
  std::vector<CertificateView> certs;
  for (std::size_t i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "c%03zu", i);
    certs.push_back(view(name, {std::string(name) + ".example"}, i % 10 == 3));
  }
  return certs;
}

TEST_CASE("select_certificates without a query selects every certificate in order", "[status][page]") {
  const auto certs = many(5);
  auto s = select_certificates(certs, {});
  CHECK(s.total == 5);
  CHECK(shown(certs, s) == std::vector<std::string>{"c000", "c001", "c002", "c003", "c004"});
}

TEST_CASE("select_certificates returns the requested page and the total", "[status][page]") {
  const auto certs = many(250);
  auto s = select_certificates(certs, {.offset = 100, .limit = 3, .filter = "", .state = StateFilter::any});
  CHECK(s.total == 250);
  CHECK(shown(certs, s) == std::vector<std::string>{"c100", "c101", "c102"});
  // The last page is short; past the end is empty, with the total still right.
  s = select_certificates(certs, {.offset = 248, .limit = 50, .filter = "", .state = StateFilter::any});
  CHECK(shown(certs, s) == std::vector<std::string>{"c248", "c249"});
  s = select_certificates(certs, {.offset = 900, .limit = 50, .filter = "", .state = StateFilter::any});
  CHECK(s.shown.empty());
  CHECK(s.total == 250);
  s = select_certificates(certs, {.offset = 0, .limit = 0, .filter = "", .state = StateFilter::any});
  CHECK(s.shown.empty());
  CHECK(s.total == 250);
}

TEST_CASE("select_certificates filters by certificate name or configured name, ignoring case", "[status][page]") {
  std::vector<CertificateView> certs = {view("web", {"www.Example.COM", "example.com"}), view("mail", {"mx.example.net"}),
                                        view("Example-api", {"api.internal"})};
  CHECK(shown(certs, select_certificates(certs, {.offset = 0, .limit = {}, .filter = "EXAMPLE.com", .state = StateFilter::any})) ==
        std::vector<std::string>{"web"});
  CHECK(shown(certs, select_certificates(certs, {.offset = 0, .limit = {}, .filter = "example", .state = StateFilter::any})) ==
        std::vector<std::string>{"web", "mail", "Example-api"});
  auto none = select_certificates(certs, {.offset = 0, .limit = {}, .filter = "nothing", .state = StateFilter::any});
  CHECK(none.shown.empty());
  CHECK(none.total == 0);
}

TEST_CASE("select_certificates by state pages over the matches only", "[status][page]") {
  const auto certs = many(100);  // c003, c013, ..., c093 need attention (failed renewals)
  auto s = select_certificates(certs, {.offset = 2, .limit = 3, .filter = "", .state = StateFilter::attention});
  CHECK(s.total == 10);
  CHECK(shown(certs, s) == std::vector<std::string>{"c023", "c033", "c043"});
  s = select_certificates(certs, {.offset = 0, .limit = 4, .filter = "", .state = StateFilter::ok});
  CHECK(s.total == 90);
  CHECK(shown(certs, s) == std::vector<std::string>{"c000", "c001", "c002", "c004"});
  s = select_certificates(certs, {.offset = 0, .limit = {}, .filter = "c05", .state = StateFilter::attention});
  CHECK(shown(certs, s) == std::vector<std::string>{"c053"});
}

TEST_CASE("state_filter_from accepts the three states only", "[status][page]") {
  CHECK(state_filter_from("attention") == StateFilter::attention);
  CHECK(state_filter_from("ok") == StateFilter::ok);
  CHECK(state_filter_from("any") == StateFilter::any);
  CHECK_FALSE(state_filter_from("ATTENTION"));
  CHECK_FALSE(state_filter_from(""));
}

}  // namespace
}  // namespace acmed::app
