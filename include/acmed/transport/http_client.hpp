// SPDX-License-Identifier: Apache-2.0
// File: acmed/transport/http_client.hpp
//
// The abstract HTTP client the ACME core talks through. The Beast implementation
// lives in acmed::transport_beast; tests script replies with a fake.
//
//   HttpRequest req{"HEAD", dir.new_nonce};
//   Result<HttpResponse> r = http.send(req);
//   auto nonce = r->header("Replay-Nonce");
//
// A component that opens its own connections takes an HttpClientMaker instead of
// building a client: the composition root passes transport::make_beast_client, a
// test passes a maker returning a fake.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "acmed/core/result.hpp"

namespace acmed::transport {

struct HttpHeader {
  std::string name;
  std::string value;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<HttpHeader> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::vector<HttpHeader> headers;
  std::string body;

  /// First header with this name (case-insensitive).
  std::optional<std::string> header(std::string_view name) const;
  /// Every header with this name, in order (e.g. several Link headers).
  std::vector<std::string> headers_named(std::string_view name) const;
};

struct HttpClientOptions {
  std::string ca_bundle;  ///< PEM file of trusted roots; empty = system store
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds read_timeout{30000};
  std::size_t max_body = 1024 * 1024;  ///< larger bodies are refused
  std::string user_agent;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  [[nodiscard]] virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
  /// Requests sent so far (for diagnostics and the request-count report).
  virtual std::size_t requests_sent() const = 0;
  /// The most requests that were ever in flight at once (one client, one connection: 1).
  virtual std::size_t peak_in_flight() const { return requests_sent() > 0 ? 1 : 0; }
};

/// Builds a client for the given options (transport::make_beast_client in production).
using HttpClientMaker = std::function<Result<std::unique_ptr<HttpClient>>(const HttpClientOptions&)>;

/// Splits "https://host:port/path?q" into parts; rejects anything that is not http(s).
struct Url {
  std::string scheme;
  std::string host;
  std::string port;
  std::string target;
};
[[nodiscard]] Result<Url> parse_url(std::string_view url);

}  // namespace acmed::transport
