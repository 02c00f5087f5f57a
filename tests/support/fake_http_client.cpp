// SPDX-License-Identifier: Apache-2.0
#include "fake_http_client.hpp"

namespace acmed::test {

void FakeHttpClient::push(int status, std::vector<transport::HttpHeader> headers, std::string body) {
  transport::HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  r.body = std::move(body);
  replies_.push_back(std::move(r));
}

void FakeHttpClient::push_error(Error e) { replies_.push_back(tl::unexpected<Error>(std::move(e))); }

Result<transport::HttpResponse> FakeHttpClient::send(const transport::HttpRequest& request) {
  requests_.push_back(request);
  if (!replies_.empty()) {
    auto r = std::move(replies_.front());
    replies_.pop_front();
    return r;
  }
  if (handler_) return handler_(request);
  return fail(Errc::network, "FakeHttpClient: no scripted reply for " + request.method + " " + request.url);
}

transport::HttpResponse acme_reply(int status, std::string body, int& nonce, const std::string& location) {
  transport::HttpResponse resp;
  resp.status = status;
  resp.headers = {{"Content-Type", "application/json"}, {"Replay-Nonce", "n" + std::to_string(++nonce)}};
  if (!location.empty()) resp.headers.push_back({"Location", location});
  resp.body = std::move(body);
  return resp;
}

transport::HttpResponse acme_problem(int status, const std::string& type, const std::string& detail, int& nonce) {
  auto resp = acme_reply(status, R"({"type":"urn:ietf:params:acme:error:)" + type + R"(","detail":")" + detail + "\"}", nonce);
  resp.headers[0].value = "application/problem+json";
  return resp;
}

}  // namespace acmed::test
