// SPDX-License-Identifier: Apache-2.0
#include "acmed/core/text.hpp"

#include <algorithm>
#include <cstdio>

namespace acmed {
namespace {

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), 0 when there is none; its code point in `cp`.
std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char lead = b(0);
  std::size_t n = 0;
  if (lead >= 0xc2 && lead <= 0xdf) n = 2, cp = lead & 0x1f;
  else if (lead >= 0xe0 && lead <= 0xef) n = 3, cp = lead & 0x0f;
  else if (lead >= 0xf0 && lead <= 0xf4) n = 4, cp = lead & 0x07;
  else return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

// Code points that move the cursor, end a line or reorder what a terminal shows.
bool is_control(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

std::string hex_escape(const char* format, unsigned value) {
  char buf[12];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

}  // namespace

std::string escape_untrusted(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes == no_text_limit ? text.size() : max_bytes) + 40);
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    std::string piece;
    std::size_t used = 1;
    char32_t cp = 0;
    if (c == '\n') piece = "\\n";
    else if (c == '\r') piece = "\\r";
    else if (c == '\t') piece = "\\t";
    else if (c == '\\') piece = "\\\\";
    else if (c < 0x20 || c == 0x7f) piece = hex_escape("\\x%02x", c);
    else if (c < 0x80) piece.assign(1, static_cast<char>(c));
    else if ((used = utf8_sequence(text, i, cp)) == 0) used = 1, piece = hex_escape("\\x%02x", c);
    else if (is_control(cp)) piece = hex_escape("\\u%04x", static_cast<unsigned>(cp));
    else piece = text.substr(i, used);
    if (max_bytes != no_text_limit && out.size() + piece.size() > max_bytes) {
      out += "... (truncated, " + std::to_string(text.size()) + " bytes)";
      return out;
    }
    out += piece;
    i += used;
  }
  return out;
}

}  // namespace acmed
