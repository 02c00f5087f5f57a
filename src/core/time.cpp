// SPDX-License-Identifier: Apache-2.0
#include "acmed/core/time.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string>

namespace acmed {
namespace {

using std::chrono::system_clock;

// floor/ceil keep the bounds themselves representable after conversion back.
constexpr std::int64_t max_seconds =
    std::chrono::floor<std::chrono::seconds>(system_clock::time_point::max()).time_since_epoch().count();
constexpr std::int64_t min_seconds =
    std::chrono::ceil<std::chrono::seconds>(system_clock::time_point::min()).time_since_epoch().count();

}  // namespace

system_clock::time_point time_from_unix(std::int64_t seconds) noexcept {
  return system_clock::time_point(std::chrono::seconds(std::clamp(seconds, min_seconds, max_seconds)));
}

system_clock::time_point time_from_utc(const std::tm& utc) noexcept {
  std::tm copy = utc;  // timegm normalises its argument
  return time_from_unix(static_cast<std::int64_t>(timegm(&copy)));
}

std::optional<system_clock::time_point> parse_rfc3339(std::string_view text) {
  const std::string s(text);
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!end) return std::nullopt;
  std::tm copy = tm;
  std::int64_t seconds = timegm(&copy);
  if (*end == '.')  // fractional seconds
    for (++end; std::isdigit(static_cast<unsigned char>(*end)); ++end) {}
  if ((*end == 'Z' || *end == 'z') && end[1] == '\0') return time_from_unix(seconds);
  int hh = 0, mm = 0, used = 0;
  if ((*end == '+' || *end == '-') && std::sscanf(end + 1, "%2d:%2d%n", &hh, &mm, &used) == 2 && end[1 + used] == '\0') {
    const std::int64_t offset = hh * 3600 + mm * 60;
    return time_from_unix(*end == '+' ? seconds - offset : seconds + offset);  // RFC 3339: local = UTC + offset
  }
  return std::nullopt;
}

}  // namespace acmed
