// SPDX-License-Identifier: Apache-2.0
// File: acmed/core/cancel.hpp
//
// Process-wide cancellation: the CLI's SIGINT/SIGTERM handler calls
// request_cancel(); long waits (polling, DNS propagation) use sleep_or_cancel so
// the run unwinds promptly and every solver cleans up.
//
//   if (!sleep_or_cancel(std::chrono::seconds(2))) return fail(Errc::cancelled, "interrupted");
#pragma once

#include <chrono>

namespace acmed {

/// Async-signal-safe.
void request_cancel() noexcept;
bool cancel_requested() noexcept;
/// Sleeps for `d` in short slices; false when cancellation was requested meanwhile.
bool sleep_or_cancel(std::chrono::milliseconds d);

}  // namespace acmed
