// SPDX-License-Identifier: Apache-2.0
// File: acmed/core/clock.hpp
//
// Wall-clock time as a seam: application code asks a Clock, tests give it a fixed
// or stepped one, so renewal decisions and back-off run without sleeps.
//
//   const Clock& clock = system_clock_instance();
//   auto due = app::decide(current, state, renew_before, clock.now(), force);
#pragma once

#include <chrono>

namespace acmed {

class Clock {
 public:
  using time_point = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  virtual time_point now() const = 0;
};

/// The real wall clock.
class SystemClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::system_clock::now(); }
};

/// A clock that shows what it is told (tests).
class FixedClock final : public Clock {
 public:
  explicit FixedClock(time_point t) : t_(t) {}
  time_point now() const override { return t_; }
  void set(time_point t) { t_ = t; }
  void advance(std::chrono::system_clock::duration d) { t_ += d; }

 private:
  time_point t_;
};

inline const Clock& system_clock_instance() {
  static const SystemClock clock;
  return clock;
}

}  // namespace acmed
