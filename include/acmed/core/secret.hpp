// SPDX-License-Identifier: Apache-2.0
// File: acmed/core/secret.hpp
//
// Secret holds key material or credentials. It is move-only, wipes its bytes on
// destruction and has no stream or fmt formatter, so it cannot be logged by accident.
//
//   Secret pem = key.to_pem();
//   store.write_private(path, pem.view());
#pragma once

#include <string>
#include <string_view>

#include "acmed/core/result.hpp"

namespace acmed {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  ~Secret();

  /// Access the bytes; never pass the result to a logger.
  std::string_view view() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }
  std::size_t size() const noexcept { return value_.size(); }

 private:
  void wipe() noexcept;
  std::string value_;
};

/// Reads a credential file, refusing one that group or others can read (with the
/// chmod that fixes it) and files over 64 KiB. Trailing newlines are dropped.
[[nodiscard]] Result<Secret> read_secret_file(const std::string& path);

}  // namespace acmed
