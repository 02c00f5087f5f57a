// SPDX-License-Identifier: Apache-2.0
// FakeHttpClient: scripted replies for acmed::transport::HttpClient, with a record
// of every request sent. Replies are matched in order; running out is a failure.
//
//   FakeHttpClient http;
//   http.push(200, {{"Content-Type", "application/json"}}, R"({"newNonce": ...})");
//   acme::Client c(http, {.directory_url = "https://ca.test/dir"});
#pragma once

#include <deque>
#include <functional>

#include "acmed/transport/http_client.hpp"

namespace acmed::test {

class FakeHttpClient final : public transport::HttpClient {
 public:
  using Handler = std::function<Result<transport::HttpResponse>(const transport::HttpRequest&)>;

  /// Queue a canned reply.
  void push(int status, std::vector<transport::HttpHeader> headers, std::string body);
  /// Queue a network failure.
  void push_error(Error e);
  /// Used for every request once the queue is empty (e.g. a whole fake CA); none = failure.
  void set_handler(Handler h) { handler_ = std::move(h); }

  Result<transport::HttpResponse> send(const transport::HttpRequest& request) override;
  std::size_t requests_sent() const override { return requests_.size(); }
  const std::vector<transport::HttpRequest>& requests() const { return requests_; }

 private:
  std::deque<Result<transport::HttpResponse>> replies_;
  std::vector<transport::HttpRequest> requests_;
  Handler handler_;
};

/// A fake CA's JSON reply with the next Replay-Nonce ("n1", "n2", ... counted in `nonce`)
/// and, when given, a Location.
transport::HttpResponse acme_reply(int status, std::string body, int& nonce, const std::string& location = "");
/// The same as an RFC 7807 problem of ACME error `type` ("rateLimited"); `detail` is
/// written as is (no JSON escaping: keep it plain).
transport::HttpResponse acme_problem(int status, const std::string& type, const std::string& detail, int& nonce);

}  // namespace acmed::test
