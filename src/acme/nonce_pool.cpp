// SPDX-License-Identifier: Apache-2.0
#include "acmed/acme/nonce_pool.hpp"

#include <algorithm>
#include <cctype>

namespace acmed::acme {

void NoncePool::add(const std::optional<std::string>& nonce) {
  if (!nonce || nonce->empty() || nonce->size() > 512) return;
  // RFC 8555 §6.5.1: the value MUST be an octet string encoded with base64url.
  bool ok = std::all_of(nonce->begin(), nonce->end(),
                        [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
  if (!ok) return;
  std::lock_guard g(mu_);
  nonces_.push_back(*nonce);
  while (nonces_.size() > capacity_) nonces_.pop_front();
}

std::optional<std::string> NoncePool::take() {
  std::lock_guard g(mu_);
  if (nonces_.empty()) return std::nullopt;
  std::string n = std::move(nonces_.back());
  nonces_.pop_back();
  return n;
}

}  // namespace acmed::acme
