// SPDX-License-Identifier: Apache-2.0
#include "acmed/transport/shared_client.hpp"

#include <algorithm>

namespace acmed::transport {

SharedHttpClient::SharedHttpClient(std::unique_ptr<HttpClient> first, HttpClientMaker maker, HttpClientOptions options,
                                   std::size_t max_in_flight)
    : maker_(std::move(maker)), options_(std::move(options)), max_in_flight_(std::max<std::size_t>(max_in_flight, 1)) {
  if (first) idle_.push_back(std::move(first));
}

std::size_t SharedHttpClient::peak_in_flight() const {
  std::lock_guard g(mu_);
  return peak_;
}

Result<HttpResponse> SharedHttpClient::send(const HttpRequest& request) {
  /// Holds one in-flight slot; gives it back on every path, exceptions included. The
  /// client goes back to the pool only after a send that returned (an exception may
  /// have left it mid-exchange).
  struct Slot {
    SharedHttpClient& owner;
    std::unique_ptr<HttpClient> client;
    bool reusable = false;
    ~Slot() {
      {
        std::lock_guard g(owner.mu_);
        if (client && reusable) owner.idle_.push_back(std::move(client));
        --owner.in_flight_;
      }
      owner.turn_.notify_one();
    }
  };
  std::unique_lock lock(mu_);
  turn_.wait(lock, [&] { return in_flight_ < max_in_flight_; });
  ++in_flight_;
  peak_ = std::max(peak_, in_flight_);
  Slot slot{*this, nullptr};
  if (!idle_.empty()) {
    slot.client = std::move(idle_.back());
    idle_.pop_back();
  }
  lock.unlock();
  if (!slot.client) {
    auto made = maker_ ? maker_(options_) : Result<std::unique_ptr<HttpClient>>(fail(Errc::config, "no HTTP client maker"));
    if (!made) return fail(made.error());
    slot.client = std::move(*made);
  }
  ++requests_;
  auto r = slot.client->send(request);
  slot.reusable = true;
  return r;
}

}  // namespace acmed::transport
