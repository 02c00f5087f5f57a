// SPDX-License-Identifier: Apache-2.0
// transport::SharedHttpClient: many threads, at most max_in_flight requests at once,
// underlying clients made on need and reused, a slot given back on every path.
#include "acmed/transport/shared_client.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace acmed::transport {
namespace {

/// Counts how many requests are inside send() at once, across all instances.
struct Gauge {
  std::atomic<int> now{0}, peak{0}, made{0};
};

class SlowClient final : public HttpClient {
 public:
  explicit SlowClient(Gauge& g) : g_(g) {}
  Result<HttpResponse> send(const HttpRequest&) override {
    const int inside = ++g_.now;
    for (int p = g_.peak.load(); inside > p && !g_.peak.compare_exchange_weak(p, inside);) {
    }
    ++sent_;
    // Long enough that every thread piles up behind the cap.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    --g_.now;
    HttpResponse r;
    r.status = 200;
    return r;
  }
  std::size_t requests_sent() const override { return sent_; }

 private:
  Gauge& g_;
  std::size_t sent_ = 0;
};

TEST_CASE("SharedHttpClient keeps at most max_in_flight requests in flight across threads", "[transport][shared]") {
  Gauge g;
  HttpClientMaker maker = [&](const HttpClientOptions&) -> Result<std::unique_ptr<HttpClient>> {
    ++g.made;
    return std::unique_ptr<HttpClient>(std::make_unique<SlowClient>(g));
  };
  SharedHttpClient shared(nullptr, maker, {}, 3);
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};  // Catch2 assertions are not thread-safe: count, check after join
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i)
        if (!shared.send({"GET", "https://ca.test/x", {}, {}})) ++failed;
    });
  for (auto& t : threads) t.join();
  CHECK(failed.load() == 0);
  CHECK(shared.requests_sent() == 80);
  CHECK(g.peak.load() <= 3);
  CHECK(shared.peak_in_flight() == static_cast<std::size_t>(g.peak.load()));
  CHECK(shared.peak_in_flight() >= 2);  // 8 threads did overlap
  CHECK(g.made.load() <= 3);            // connections are reused, never more than the cap
}

TEST_CASE("SharedHttpClient uses the first client before making any, and gives a slot back when making fails",
          "[transport][shared]") {
  Gauge g;
  int attempts = 0;
  HttpClientMaker failing = [&](const HttpClientOptions&) -> Result<std::unique_ptr<HttpClient>> {
    ++attempts;
    return fail(Errc::config, "cannot load CA bundle");
  };
  SharedHttpClient shared(std::make_unique<SlowClient>(g), failing, {}, 1);
  REQUIRE(shared.send({"GET", "https://ca.test/x", {}, {}}));
  REQUIRE(shared.send({"GET", "https://ca.test/y", {}, {}}));
  CHECK(attempts == 0);  // one thread: the first client serves everything

  SharedHttpClient none(nullptr, failing, {}, 1);
  for (int i = 0; i < 3; ++i) {  // with the slot leaked, the second call would wait forever
    auto r = none.send({"GET", "https://ca.test/x", {}, {}});
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "cannot load CA bundle");
  }
  CHECK(attempts == 3);
}

class ThrowingClient final : public HttpClient {
 public:
  Result<HttpResponse> send(const HttpRequest&) override { throw std::runtime_error("boom"); }
  std::size_t requests_sent() const override { return 0; }
};

TEST_CASE("SharedHttpClient gives the slot back when a send throws", "[transport][shared]") {
  int made = 0;
  HttpClientMaker maker = [&](const HttpClientOptions&) -> Result<std::unique_ptr<HttpClient>> {
    ++made;
    return std::unique_ptr<HttpClient>(std::make_unique<ThrowingClient>());
  };
  SharedHttpClient shared(nullptr, maker, {}, 1);
  for (int i = 0; i < 3; ++i)  // with the slot leaked, the second call would wait forever
    CHECK_THROWS_AS(shared.send({"GET", "https://ca.test/x", {}, {}}), std::runtime_error);
  CHECK(made == 3);  // a client that threw mid-exchange is not reused
}

}  // namespace
}  // namespace acmed::transport
