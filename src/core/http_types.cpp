// SPDX-License-Identifier: Apache-2.0
#include <strings.h>

#include <algorithm>

#include "acmed/core/text.hpp"
#include "acmed/transport/http_client.hpp"

namespace acmed::transport {
namespace {
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}
}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return h.value;
  return std::nullopt;
}

std::vector<std::string> HttpResponse::headers_named(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& h : headers)
    if (iequals(h.name, name)) out.push_back(h.value);
  return out;
}

Result<Url> parse_url(std::string_view url) {
  Url u;
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return fail(Errc::invalid_argument, "not an absolute URL: '" + escape_untrusted(url) + "'");
  u.scheme = std::string(url.substr(0, scheme_end));
  std::transform(u.scheme.begin(), u.scheme.end(), u.scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  if (u.scheme != "https" && u.scheme != "http")
    return fail(Errc::invalid_argument, "unsupported URL scheme '" + escape_untrusted(u.scheme) + "' in '" + escape_untrusted(url) + "'");
  auto rest = url.substr(scheme_end + 3);
  auto path_start = rest.find_first_of("/?");
  auto authority = rest.substr(0, path_start);
  u.target = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (!u.target.empty() && u.target.front() == '?') u.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos)
    return fail(Errc::invalid_argument, "URLs with user information are not supported");
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail(Errc::invalid_argument, "unterminated IPv6 literal in URL");
    u.host = std::string(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (!after.empty() && after.front() == ':') u.port = std::string(after.substr(1));
  } else {
    auto colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) u.port = std::string(authority.substr(colon + 1));
  }
  if (u.host.empty()) return fail(Errc::invalid_argument, "URL without host: '" + escape_untrusted(url) + "'");
  if (u.port.empty()) u.port = u.scheme == "https" ? "443" : "80";
  if (!std::all_of(u.port.begin(), u.port.end(), [](unsigned char c) { return std::isdigit(c); }))
    return fail(Errc::invalid_argument, "invalid port in URL '" + escape_untrusted(url) + "'");
  return u;
}

}  // namespace acmed::transport
