// SPDX-License-Identifier: Apache-2.0
// Value types of the read-only DNS interface; no DNS library here.
#include <arpa/inet.h>

#include <algorithm>
#include <cstdlib>

#include "acmed/dns/resolver.hpp"

namespace acmed::dns {
namespace {
bool is_ipv6(const std::string& a) { return a.find(':') != std::string::npos; }
}  // namespace

std::string Server::to_string() const {
  std::string a = is_ipv6(address) ? "[" + address + "]" : address;
  return port == 53 ? a : a + ":" + std::to_string(port);
}

std::string to_string(DnssecStatus s) {
  switch (s) {
    case DnssecStatus::secure: return "secure";
    case DnssecStatus::insecure: return "insecure";
    case DnssecStatus::bogus: return "bogus";
    case DnssecStatus::unchecked: break;
  }
  return "unchecked";
}

std::string bogus_hint() {
  return "broken DNSSEC chain; if your resolver strips DNSSEC records instead, set 'dns: {dnssec: off}'";
}

Result<Server> parse_server(std::string_view text) {
  std::string s(text);
  Server out;
  std::string port;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string::npos) return fail(Errc::config, "DNS server '" + s + "': unterminated '['");
    out.address = s.substr(1, close - 1);
    if (close + 1 < s.size()) {
      if (s[close + 1] != ':') return fail(Errc::config, "DNS server '" + s + "': expected ':' after ']'");
      port = s.substr(close + 2);
    }
  } else if (std::count(s.begin(), s.end(), ':') == 1) {
    out.address = s.substr(0, s.find(':'));
    port = s.substr(s.find(':') + 1);
  } else {
    out.address = s;
  }
  unsigned char buf[16];
  if (inet_pton(AF_INET, out.address.c_str(), buf) != 1 && inet_pton(AF_INET6, out.address.c_str(), buf) != 1)
    return fail(Errc::config, "DNS server '" + s + "' is not an IP address (host names are not resolved here)");
  if (!port.empty()) {
    char* end = nullptr;
    long p = std::strtol(port.c_str(), &end, 10);
    if (*end != '\0' || p < 1 || p > 65535) return fail(Errc::config, "DNS server '" + s + "': invalid port");
    out.port = static_cast<std::uint16_t>(p);
  }
  return out;
}

}  // namespace acmed::dns
