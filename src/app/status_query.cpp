// SPDX-License-Identifier: Apache-2.0
#include "acmed/app/status_query.hpp"

#include <algorithm>
#include <cctype>

namespace acmed::app {
namespace {

std::string lowered(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool contains(const std::string& text, const std::string& lowered_needle) {
  return lowered(text).find(lowered_needle) != std::string::npos;
}

}  // namespace

std::optional<StateFilter> state_filter_from(const std::string& text) {
  if (text == "any") return StateFilter::any;
  if (text == "attention") return StateFilter::attention;
  if (text == "ok") return StateFilter::ok;
  return std::nullopt;
}

CertificateSelection select_certificates(const std::vector<CertificateView>& certs, const CertificateQuery& q) {
  CertificateSelection out;
  const std::string needle = lowered(q.filter);
  for (std::size_t i = 0; i < certs.size(); ++i) {
    const auto& c = certs[i];
    if (!needle.empty() && !contains(c.name, needle) &&
        std::none_of(c.names.begin(), c.names.end(), [&](const std::string& n) { return contains(n, needle); }))
      continue;
    if (q.state != StateFilter::any && attention(c, nullptr).empty() != (q.state == StateFilter::ok)) continue;
    const std::size_t position = out.total++;
    if (position >= q.offset && (!q.limit || position - q.offset < *q.limit)) out.shown.push_back(i);
  }
  return out;
}

}  // namespace acmed::app
