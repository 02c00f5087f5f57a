// SPDX-License-Identifier: Apache-2.0
// File: acmed/core/time.hpp
//
// Times that come from outside (Unix seconds, X.509 validity, HTTP dates, RFC 3339
// text) as system_clock time points. libstdc++ counts nanoseconds in 64 bits, so a
// time_point ends in 2262; a later date saturates to the last representable second
// instead of wrapping into the past (a certificate valid until 9999 is not expired).
//
//   info.not_after = time_from_utc(tm);                      // 9999-12-31 -> 2262-04-11
//   auto start = parse_rfc3339("2026-01-01T00:00:00Z");
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string_view>

namespace acmed {

/// Unix seconds as a time point, clamped to the whole seconds a time point can hold.
std::chrono::system_clock::time_point time_from_unix(std::int64_t seconds) noexcept;

/// A broken-down UTC time (as timegm reads it) as a time point, clamped like time_from_unix.
std::chrono::system_clock::time_point time_from_utc(const std::tm& utc) noexcept;

/// An RFC 3339 date-time ("2026-01-01T00:00:00Z", "...T02:00:00.5+02:00"); fractions of a
/// second are dropped. Nothing when the text is not one.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace acmed
