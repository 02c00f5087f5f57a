// SPDX-License-Identifier: Apache-2.0
// acmed::solver::http01_answer_bytes: the standalone responder's request handling
// without a socket, the path its fuzz target takes.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "acmed/solvers/http01.hpp"

namespace acmed::solver {
namespace {

const std::map<std::string, std::string> tokens{{"tok-1", "tok-1.thumb"}};

TEST_CASE("http01_answer_bytes: GET of a published token serves its key authorization") {
  auto res = http01_answer_bytes("GET /.well-known/acme-challenge/tok-1 HTTP/1.1\r\nHost: example.com\r\n\r\n", tokens);
  REQUIRE(res);
  CHECK(res->rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(res->size() >= 11);
  CHECK(res->substr(res->size() - 11) == "tok-1.thumb");
}

TEST_CASE("http01_answer_bytes: HEAD gets the status without the body") {
  auto res = http01_answer_bytes("HEAD /.well-known/acme-challenge/tok-1 HTTP/1.1\r\nHost: x\r\n\r\n", tokens);
  REQUIRE(res);
  CHECK(res->rfind("HTTP/1.1 200", 0) == 0);
  CHECK(res->find("tok-1.thumb") == std::string::npos);
}

TEST_CASE("http01_answer_bytes: other paths, prefixes and methods are refused") {
  CHECK(http01_answer_bytes("GET /.well-known/acme-challenge/tok-2 HTTP/1.1\r\n\r\n", tokens)->rfind("HTTP/1.1 404", 0) == 0);
  CHECK(http01_answer_bytes("GET /tok-1 HTTP/1.1\r\n\r\n", tokens)->rfind("HTTP/1.1 404", 0) == 0);
  CHECK(http01_answer_bytes("GET /.well-known/acme-challenge/tok-1/x HTTP/1.1\r\n\r\n", tokens)->rfind("HTTP/1.1 404", 0) == 0);
  auto del = http01_answer_bytes("DELETE /.well-known/acme-challenge/tok-1 HTTP/1.1\r\n\r\n", tokens);
  REQUIRE(del);
  CHECK(del->rfind("HTTP/1.1 405", 0) == 0);
  CHECK(del->find("tok-1.thumb") == std::string::npos);
}

TEST_CASE("http01_answer_bytes: oversized, incomplete or bodied requests get no answer") {
  CHECK_FALSE(http01_answer_bytes("GET / HTTP/1.1\r\nX: " + std::string(9000, 'a') + "\r\n\r\n", tokens));
  CHECK_FALSE(http01_answer_bytes("GET /.well-known/acme-challenge/tok-1 HTTP/1.1\r\n", tokens));
  CHECK_FALSE(http01_answer_bytes("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd", tokens));
}

}  // namespace
}  // namespace acmed::solver
