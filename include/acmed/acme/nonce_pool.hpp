// SPDX-License-Identifier: Apache-2.0
// File: acmed/acme/nonce_pool.hpp
//
// Replay-Nonce values from every response are kept here, so HEAD newNonce is sent
// only when the pool is empty (RFC 8555 §7.2).
//
//   pool.add(resp.header("Replay-Nonce"));
//   if (auto n = pool.take()) use(*n); else fetch_new_nonce();
#pragma once

#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace acmed::acme {

class NoncePool {
 public:
  explicit NoncePool(std::size_t capacity = 16) : capacity_(capacity) {}
  /// Adds a nonce if it is well-formed base64url (RFC 8555 §6.5.1); oldest dropped when full.
  void add(const std::optional<std::string>& nonce);
  /// The most recent nonce, or nothing when empty.
  std::optional<std::string> take();
  std::size_t size() const {
    std::lock_guard g(mu_);
    return nonces_.size();
  }
  void clear() {
    std::lock_guard g(mu_);
    nonces_.clear();
  }

 private:
  std::size_t capacity_;
  mutable std::mutex mu_;  ///< one pool serves every thread of a run
  std::deque<std::string> nonces_;
};

}  // namespace acmed::acme
