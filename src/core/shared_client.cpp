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
  std::unique_ptr<HttpClient> client;
  {
    std::unique_lock lock(mu_);
    turn_.wait(lock, [&] { return in_flight_ < max_in_flight_; });
    ++in_flight_;
    peak_ = std::max(peak_, in_flight_);
    if (!idle_.empty()) {
      client = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  // Gives the slot back (and the client, when it is still usable) on every path.
  auto release = [&](std::unique_ptr<HttpClient> c) {
    {
      std::lock_guard g(mu_);
      if (c) idle_.push_back(std::move(c));
      --in_flight_;
    }
    turn_.notify_one();
  };
  if (!client) {
    auto made = maker_ ? maker_(options_) : Result<std::unique_ptr<HttpClient>>(fail(Errc::config, "no HTTP client maker"));
    if (!made) {
      release(nullptr);
      return fail(made.error());
    }
    client = std::move(*made);
  }
  ++requests_;
  auto r = client->send(request);
  release(std::move(client));
  return r;
}

}  // namespace acmed::transport
