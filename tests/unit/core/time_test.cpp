// SPDX-License-Identifier: Apache-2.0
#include "acmed/core/time.hpp"

#include <catch2/catch.hpp>

#include <limits>

#include "acmed/core/error.hpp"

namespace acmed {
namespace {

using namespace std::chrono;

TEST_CASE("time_from_unix converts ordinary Unix seconds exactly", "[time]") {
  CHECK(time_from_unix(0) == system_clock::time_point{});
  CHECK(time_from_unix(1'800'000'000) == sys_days{year{2027} / January / 15} + hours{8});
  CHECK(time_from_unix(-86400) == sys_days{year{1969} / December / 31});
}

TEST_CASE("time_from_unix saturates past 2262 instead of wrapping into the past", "[time]") {
  const auto last = time_from_unix(std::numeric_limits<std::int64_t>::max());
  CHECK(time_from_unix(253402300799) == last);  // 9999-12-31T23:59:59Z
  CHECK(time_from_unix(10413792000) == last);   // 2300-01-01T00:00:00Z
  CHECK(last > sys_days{year{2262} / January / 1});
  CHECK(last <= system_clock::time_point::max());
  CHECK(system_clock::time_point::max() - last < seconds{1});  // the last whole second
  CHECK(format_rfc3339(last) == "2262-04-11T23:47:16Z");
  CHECK(format_rfc3339(system_clock::time_point::max()) == "2262-04-11T23:47:16Z");
  const auto first = time_from_unix(std::numeric_limits<std::int64_t>::min());
  CHECK(first < sys_days{year{1678} / January / 1});
  CHECK(first >= system_clock::time_point::min());
}

TEST_CASE("The saturated bound survives a round trip through Unix seconds", "[time]") {
  // Stores keep Unix seconds; what they read back must be the same time point.
  const auto last = time_from_unix(std::numeric_limits<std::int64_t>::max());
  const auto secs = duration_cast<seconds>(last.time_since_epoch()).count();
  CHECK(time_from_unix(secs) == last);
}

TEST_CASE("time_from_utc reads a broken-down UTC time and saturates far dates", "[time]") {
  std::tm tm{};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 2;
  tm.tm_mday = 1;
  tm.tm_hour = 12;
  CHECK(time_from_utc(tm) == sys_days{year{2026} / March / 1} + hours{12});
  tm.tm_year = 9999 - 1900;
  CHECK(time_from_utc(tm) == time_from_unix(std::numeric_limits<std::int64_t>::max()));
}

TEST_CASE("parse_rfc3339 reads UTC, offsets and fractions", "[time]") {
  const system_clock::time_point t = sys_days{year{2026} / January / 8} + hours{10};
  CHECK(parse_rfc3339("2026-01-08T10:00:00Z") == t);
  CHECK(parse_rfc3339("2026-01-08T10:00:00.123456Z") == t);
  CHECK(parse_rfc3339("2026-01-08T12:30:00+02:30") == t);
  CHECK(parse_rfc3339("2026-01-08T05:00:00-05:00") == t);
  CHECK(parse_rfc3339("9999-12-31T23:59:59Z") == time_from_unix(std::numeric_limits<std::int64_t>::max()));
  CHECK(parse_rfc3339("9999-12-31T23:59:59-05:00") == time_from_unix(std::numeric_limits<std::int64_t>::max()));
  for (const char* bad : {"", "2026-01-08", "2026-01-08T10:00:00", "2026-01-08T10:00:00Zjunk", "2026-01-08 10:00:00Z",
                          "2026-01-08T10:00:00+0200", "yesterday"}) {
    INFO("value '" << bad << "'");
    CHECK_FALSE(parse_rfc3339(bad));
  }
}

}  // namespace
}  // namespace acmed
