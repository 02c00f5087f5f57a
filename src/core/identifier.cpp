// SPDX-License-Identifier: Apache-2.0
#include "acmed/core/identifier.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "acmed/core/text.hpp"

namespace acmed {
namespace {

bool valid_label(std::string_view l) {
  if (l.empty() || l.size() > 63) return false;
  if (l.front() == '-' || l.back() == '-') return false;
  return std::all_of(l.begin(), l.end(), [](unsigned char c) { return std::isalnum(c) || c == '-'; });
}

}  // namespace

Result<Identifier> Identifier::parse(std::string_view text) {
  if (text.empty()) return fail(Errc::invalid_argument, "empty identifier");
  std::string s(text);
  // IP literals (RFC 8738): keep the canonical text form inet_ntop produces.
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    char out[INET6_ADDRSTRLEN];
    int af = s.find(':') == std::string::npos ? AF_INET : AF_INET6;
    inet_ntop(af, buf, out, sizeof out);
    return Identifier{Type::ip, out};
  }
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s.back() == '.') s.pop_back();
  if (s.size() > 253) return fail(Errc::invalid_argument, "name '" + escape_untrusted(s) + "' is longer than 253 octets");
  std::string_view rest = s;
  if (rest.rfind("*.", 0) == 0) rest.remove_prefix(2);
  if (rest.find('*') != std::string_view::npos)
    return fail(Errc::invalid_argument, "name '" + escape_untrusted(s) + "': a wildcard is only allowed as the whole leftmost label");
  if (rest.find('.') == std::string_view::npos)
    return fail(Errc::invalid_argument, "name '" + escape_untrusted(s) + "' is not a fully qualified domain name");
  std::size_t start = 0;
  while (start <= rest.size()) {
    auto dot = rest.find('.', start);
    auto label = rest.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!valid_label(label))
      return fail(Errc::invalid_argument, "name '" + escape_untrusted(s) + "' has an invalid label '" + escape_untrusted(label) +
                                              "' (letters, digits and '-' only; use the A-label for IDNs)");
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  // A numeric last label is a mistyped IP address ("192.0.2.256"), never a TLD.
  auto last = rest.substr(rest.rfind('.') + 1);
  if (std::all_of(last.begin(), last.end(), [](unsigned char c) { return std::isdigit(c); }))
    return fail(Errc::invalid_argument, "'" + escape_untrusted(s) + "' is neither a valid IP address nor a DNS name");
  return Identifier{Type::dns, s};
}

bool name_in_domain(std::string_view name, std::string_view domain) {
  if (domain == "*" || name == domain) return true;
  return name.size() > domain.size() && name.compare(name.size() - domain.size(), domain.size(), domain) == 0 &&
         name[name.size() - domain.size() - 1] == '.';
}

}  // namespace acmed
