// SPDX-License-Identifier: Apache-2.0
#include "acmed/status/page.hpp"

namespace acmed::status {

std::string html_escape(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string fill(std::string_view page, std::string_view section, const std::map<std::string, std::string>& values) {
  const std::string marker = "<!-- section " + std::string(section) + " -->\n";
  auto begin = page.find(marker);
  if (begin == std::string_view::npos) return {};
  begin += marker.size();
  const std::string_view tmpl = page.substr(begin, page.find("<!-- section ", begin) - begin);
  std::string out;
  for (std::size_t pos = 0;;) {
    const auto open = tmpl.find("{{", pos);
    out += tmpl.substr(pos, open - pos);
    if (open == std::string_view::npos) return out;
    const bool raw = tmpl.substr(open, 3) == "{{{";
    const std::string_view close = raw ? "}}}" : "}}";
    const auto key = open + (raw ? 3 : 2);
    const auto end = tmpl.find(close, key);
    if (end == std::string_view::npos) return out;
    if (auto it = values.find(std::string(tmpl.substr(key, end - key))); it != values.end())
      out += raw ? it->second : html_escape(it->second);
    pos = end + close.size();
  }
}

std::string query_param(const std::string& query, const std::string& key) {
  std::size_t pos = 0;
  while (pos <= query.size()) {
    auto amp = query.find('&', pos);
    std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    if (kv.rfind(key + "=", 0) == 0) return kv.substr(key.size() + 1);
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return {};
}

std::string url_decode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace acmed::status
