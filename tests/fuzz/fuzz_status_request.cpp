// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the status server's request handling (acmed/status/http_server.hpp
// answer_bytes): Beast's parser with the server's limits, the bearer-token check, the
// method check and the routing, as a client's first bytes on a connection get them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "acmed/status/http_server.hpp"
#include "acmed/status/page.hpp"

using namespace acmed;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  status::ServerOptions opts{.address = "0.0.0.0", .bearer_token = "0123456789abcdef0123456789abcdef"};
  bool reached = false;
  auto handler = [&](const status::Request& r) {
    reached = true;
    status::Response out{200, "text/html", "<p>" + status::html_escape(r.path) + "</p>"};
    out.body += status::html_escape(status::query_param(r.query, "name"));
    return out;
  };
  auto res = status::answer_bytes(in, opts, handler);
  // Only a request carrying the token reaches the handler.
  if (reached && in.find(opts.bearer_token) == std::string_view::npos) __builtin_trap();
  if (res && res->rfind("HTTP/1.1 ", 0) != 0) __builtin_trap();
  opts.bearer_token.clear();
  (void)status::answer_bytes(in, opts, handler);
  return 0;
}
