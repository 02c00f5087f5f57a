// SPDX-License-Identifier: Apache-2.0
// File: acmed/transport/shared_client.hpp
//
// One HttpClient for every thread of a run: at most `max_in_flight` requests are in
// flight at once, each on its own underlying client (its own connection), made with
// the maker on first need and kept for reuse. A thread beyond the cap waits its turn.
//
//   auto first = transport::make_beast_client(opts);   // fails early on a bad CA bundle
//   transport::SharedHttpClient http(std::move(*first), transport::make_beast_client, opts, 4);
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "acmed/transport/http_client.hpp"

namespace acmed::transport {

class SharedHttpClient final : public HttpClient {
 public:
  /// `first` serves the first request; `maker` builds the others (up to max_in_flight, at least 1).
  SharedHttpClient(std::unique_ptr<HttpClient> first, HttpClientMaker maker, HttpClientOptions options,
                   std::size_t max_in_flight);

  [[nodiscard]] Result<HttpResponse> send(const HttpRequest& request) override;
  std::size_t requests_sent() const override { return requests_.load(); }
  std::size_t peak_in_flight() const override;
  std::size_t max_in_flight() const { return max_in_flight_; }

 private:
  HttpClientMaker maker_;
  HttpClientOptions options_;
  const std::size_t max_in_flight_;
  mutable std::mutex mu_;
  std::condition_variable turn_;
  std::vector<std::unique_ptr<HttpClient>> idle_;
  std::size_t in_flight_ = 0;
  std::size_t peak_ = 0;
  std::atomic<std::size_t> requests_{0};
};

}  // namespace acmed::transport
