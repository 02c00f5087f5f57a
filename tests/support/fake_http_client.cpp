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

}  // namespace acmed::test
