// SPDX-License-Identifier: Apache-2.0
// acmed::status::answer_bytes: the status server's request handling without a socket,
// the path its fuzz target takes. Each case is what a socket client would get.
#include <catch2/catch.hpp>

#include <string>

#include "acmed/status/http_server.hpp"

namespace acmed::status {
namespace {

const std::string token = "0123456789abcdef0123456789abcdef";

struct Probe {
  int calls = 0;
  Handler handler() {
    return [this](const Request& r) {
      ++calls;
      return Response{200, "text/plain", "path=" + r.path + " query=" + r.query};
    };
  }
};

std::string get(const std::string& target, const std::string& auth) {
  return "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + (auth.empty() ? "" : "Authorization: " + auth + "\r\n") + "\r\n";
}

TEST_CASE("answer_bytes: a request with the token reaches the handler with path and query split") {
  Probe p;
  auto res = answer_bytes(get("/api/v1/certificates?name=www", "Bearer " + token), {.bearer_token = token}, p.handler());
  REQUIRE(res);
  CHECK(res->rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(res->find("path=/api/v1/certificates query=name=www") != std::string::npos);
  CHECK(res->find("Cache-Control: no-store") != std::string::npos);
  CHECK(p.calls == 1);
}

TEST_CASE("answer_bytes: the scheme is case-insensitive, the token is not") {
  Probe p;
  CHECK(answer_bytes(get("/", "bEaReR " + token), {.bearer_token = token}, p.handler())->rfind("HTTP/1.1 200", 0) == 0);
  auto wrong = answer_bytes(get("/", "Bearer " + std::string(token.size(), 'A')), {.bearer_token = token}, p.handler());
  REQUIRE(wrong);
  CHECK(wrong->rfind("HTTP/1.1 401", 0) == 0);
  CHECK(wrong->find("WWW-Authenticate: Bearer") != std::string::npos);
  CHECK(answer_bytes(get("/", ""), {.bearer_token = token}, p.handler())->rfind("HTTP/1.1 401", 0) == 0);
  CHECK(answer_bytes(get("/", "Basic " + token), {.bearer_token = token}, p.handler())->rfind("HTTP/1.1 401", 0) == 0);
  CHECK(p.calls == 1);
}

TEST_CASE("answer_bytes: only GET and HEAD; HEAD gets headers only") {
  Probe p;
  auto post = answer_bytes("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab", {}, p.handler());
  REQUIRE(post);
  CHECK(post->rfind("HTTP/1.1 405", 0) == 0);
  CHECK(post->find("Allow: GET, HEAD") != std::string::npos);
  auto head = answer_bytes("HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n", {}, p.handler());
  REQUIRE(head);
  CHECK(head->rfind("HTTP/1.1 200", 0) == 0);
  CHECK(head->find("path=") == std::string::npos);
  CHECK(p.calls == 1);
}

TEST_CASE("answer_bytes: header and body limits answer 431 and 413 without the handler") {
  Probe p;
  auto big_header = answer_bytes("GET / HTTP/1.1\r\nX: " + std::string(9000, 'a') + "\r\n\r\n", {}, p.handler());
  REQUIRE(big_header);
  CHECK(big_header->rfind("HTTP/1.1 431", 0) == 0);
  auto big_body =
      answer_bytes("GET / HTTP/1.1\r\nContent-Length: 2000\r\n\r\n" + std::string(2000, 'b'), {}, p.handler());
  REQUIRE(big_body);
  CHECK(big_body->rfind("HTTP/1.1 413", 0) == 0);
  CHECK(p.calls == 0);
}

TEST_CASE("answer_bytes: an incomplete or garbled request gets no answer") {
  Probe p;
  CHECK_FALSE(answer_bytes("GET / HTTP/1.1\r\nHost: x\r\n", {}, p.handler()));
  CHECK_FALSE(answer_bytes("", {}, p.handler()));
  CHECK_FALSE(answer_bytes("\x16\x03\x01\x02\x00garbage\r\n\r\n", {}, p.handler()));
  CHECK(p.calls == 0);
}

TEST_CASE("answer_bytes: a handler that throws gives 500, not a crash") {
  auto res = answer_bytes(get("/", ""), {}, [](const Request&) -> Response { throw std::runtime_error("boom"); });
  REQUIRE(res);
  CHECK(res->rfind("HTTP/1.1 500", 0) == 0);
  CHECK(res->find("boom") == std::string::npos);
}

}  // namespace
}  // namespace acmed::status
