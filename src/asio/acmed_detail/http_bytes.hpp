// SPDX-License-Identifier: Apache-2.0
// File: acmed_detail/http_bytes.hpp
//
// One HTTP/1.1 request parsed from bytes already in memory, with the limits a server
// sets on its socket parser, and a response written back as bytes. The responders
// (status server, http-01) answer through these in their fuzz targets and tests, with
// the same request-to-response function their sockets use:
//
//   auto req = detail::parse_request_bytes<http::empty_body>(raw, {.header_limit = 8192});
//   if (req.request) std::string wire = detail::response_bytes(answer(*req.request));
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>

#include "acmed_detail/asio.hpp"

namespace acmed::detail {

struct RequestLimits {
  std::size_t header_limit = 8 * 1024;
  std::size_t body_limit = 1024;
};

/// Applies the limits to a socket's parser, so the bytes path and the socket path agree.
template <class Body>
void apply_limits(boost::beast::http::request_parser<Body>& parser, const RequestLimits& limits) {
  parser.header_limit(static_cast<std::uint32_t>(limits.header_limit));
  if constexpr (!std::is_same_v<Body, boost::beast::http::empty_body>) parser.body_limit(limits.body_limit);
}

template <class Body>
struct ParsedRequest {
  std::optional<boost::beast::http::request<Body>> request;  ///< a complete request
  boost::beast::error_code error;  ///< why there is none: a limit, a syntax error, or need_more
};

/// The first request in `raw`; bytes after it are ignored, as a socket would leave them
/// for the next read.
template <class Body>
ParsedRequest<Body> parse_request_bytes(std::string_view raw, const RequestLimits& limits) {
  namespace http = boost::beast::http;
  http::request_parser<Body> parser;
  apply_limits(parser, limits);
  parser.eager(true);
  ParsedRequest<Body> out;
  boost::asio::const_buffer rest(raw.data(), raw.size());
  // put() takes everything it can from the whole buffer; need_more means the bytes end
  // inside the request, as when a client stops sending.
  while (!parser.is_done()) {
    std::size_t used = parser.put(rest, out.error);
    if (out.error) return out;
    rest += used;
    if (used == 0 && !parser.is_done()) {
      out.error = http::error::need_more;
      return out;
    }
  }
  out.request = parser.release();
  return out;
}

/// The response as it goes on the wire.
template <class Body>
std::string response_bytes(const boost::beast::http::response<Body>& res) {
  std::ostringstream os;
  os << res;
  return os.str();
}

}  // namespace acmed::detail
