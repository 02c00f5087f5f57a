// SPDX-License-Identifier: Apache-2.0
#include "acmed/core/cancel.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

namespace acmed {
namespace {
// Lock-free so it may be written from a signal handler.
std::atomic<bool> g_cancel{false};
static_assert(std::atomic<bool>::is_always_lock_free);
}  // namespace

void request_cancel() noexcept { g_cancel.store(true, std::memory_order_relaxed); }
bool cancel_requested() noexcept { return g_cancel.load(std::memory_order_relaxed); }

bool sleep_or_cancel(std::chrono::milliseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (!cancel_requested()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(50)));
  }
  return false;
}

}  // namespace acmed
