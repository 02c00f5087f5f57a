// SPDX-License-Identifier: Apache-2.0
// File: acmed/solvers/endpoint_share.hpp
//
// One listener per address:port for the whole process. `acmed renew -j 4` runs
// several certificates at once; their standalone http-01 (or tls-alpn-01) solvers
// must share the one port the CA validates on instead of failing with EADDRINUSE.
// Tokens are unique per challenge, so sharing is safe. ListenerLease
// (acmed/solvers/listener.hpp) is how the solvers use it.
//
//   auto l = EndpointShare<Running>::acquire("0.0.0.0|80", [&] { return start_listener(); });
//   ... EndpointShare<Running>::release("0.0.0.0|80", l);   // last owner stops it
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "acmed/core/result.hpp"

namespace acmed::solver {

template <class T>
class EndpointShare {
 public:
  /// The running T for `key`, or a new one from `make()` (a Result<std::shared_ptr<T>>).
  template <class Make>
  static Result<std::shared_ptr<T>> acquire(const std::string& key, Make&& make) {
    std::lock_guard lock(mutex());
    if (auto existing = table()[key].lock()) return existing;
    Result<std::shared_ptr<T>> made = make();
    if (made) table()[key] = *made;
    return made;
  }

  /// Drops one owner. The last owner's release destroys T under the lock, so a new
  /// acquire never races with the old listener still holding the port.
  static void release(const std::string& key, std::shared_ptr<T>& owner) {
    std::lock_guard lock(mutex());
    owner.reset();
    auto it = table().find(key);
    if (it != table().end() && it->second.expired()) table().erase(it);
  }

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::map<std::string, std::weak_ptr<T>>& table() {
    static std::map<std::string, std::weak_ptr<T>> t;
    return t;
  }
};

}  // namespace acmed::solver
