// SPDX-License-Identifier: Apache-2.0
// File: acmed/status/http_server.hpp
//
// A small, read-only HTTP/1.1 server (Boost.Beast, private to acmed::status_http)
// for `acmed serve`. It only routes GET/HEAD requests to one handler; limits keep
// slow or flooding clients from holding memory or threads: a cap on connections,
// a deadline on every read and write, small header and body limits.
//
//   auto srv = status::HttpServer::start({.address = "127.0.0.1", .port = 8080}, handler);
//   (*srv)->run();   // until stop() or SIGTERM
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "acmed/core/result.hpp"

namespace acmed::status {

struct Request {
  std::string method;
  std::string path;   ///< without the query
  std::string query;  ///< after '?', undecoded
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  std::string address = "127.0.0.1";
  unsigned short port = 8080;
  std::string bearer_token{};  ///< when set, every request needs "Authorization: Bearer <token>"
  std::size_t max_connections = 64;
  std::chrono::milliseconds io_timeout{10000};
  std::size_t header_limit = 8 * 1024;
};

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  /// Serves until stop(); returns after every connection is closed.
  virtual void run() = 0;
  virtual void stop() = 0;
  virtual unsigned short port() const = 0;

  /// Binds and listens; refuses a non-loopback address without a bearer token.
  [[nodiscard]] static Result<std::unique_ptr<HttpServer>> start(ServerOptions options, Handler handler);
};

/// What the server sends back for `raw`, the first bytes a client sends on a new
/// connection: the same limits, token check and routing as a socket gets, without one.
/// Nothing when `raw` holds no complete request (a socket would wait, then time out).
/// For tests and the fuzz target.
std::optional<std::string> answer_bytes(std::string_view raw, const ServerOptions& options, const Handler& handler);

/// True for 127.0.0.0/8 and ::1.
bool is_loopback(const std::string& address);

}  // namespace acmed::status
