// SPDX-License-Identifier: Apache-2.0
#include "acmed/status/http_server.hpp"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <atomic>
#include <deque>

#include "acmed/core/text.hpp"
#include "acmed_detail/asio.hpp"
#include "acmed_detail/http_bytes.hpp"
#include "acmed_detail/listen.hpp"

namespace acmed::status {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

/// RFC 6750 §2.1: `credentials = "Bearer" 1*SP b64token`, where the scheme is
/// case-insensitive (RFC 7235 §2.1) and nothing follows the one token.
bool token_ok(std::string_view header, const std::string& token) {
  constexpr std::string_view scheme = "bearer";
  if (header.size() <= scheme.size() || header[scheme.size()] != ' ') return false;
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) return false;
  std::string_view credential = header.substr(scheme.size());
  credential.remove_prefix(std::min(credential.find_first_not_of(' '), credential.size()));
  // Constant-time comparison: the token is a credential.
  return credential.size() == token.size() && CRYPTO_memcmp(credential.data(), token.data(), token.size()) == 0;
}

detail::RequestLimits limits(const ServerOptions& o) { return {.header_limit = o.header_limit, .body_limit = 1024}; }

bool too_large(const beast::error_code& ec) {
  return ec == http::error::header_limit || ec == http::error::body_limit || ec == http::error::buffer_overflow;
}

http::response<http::string_body> too_large_response(const beast::error_code& ec) {
  http::response<http::string_body> res{
      ec == http::error::body_limit ? http::status::payload_too_large : http::status::request_header_fields_too_large, 11};
  res.set(http::field::content_type, "application/json");
  res.body() = R"({"error":"request too large"})";
  res.prepare_payload();
  res.keep_alive(false);
  return res;
}

/// One request's response: the token check, GET/HEAD only, then the handler.
http::response<http::string_body> answer(const http::request<http::string_body>& req, const ServerOptions& opts,
                                         const Handler& handler) {
  http::response<http::string_body> res;
  res.version(11);
  res.keep_alive(req.keep_alive());
  res.set(http::field::server, "acmed");
  res.set("X-Content-Type-Options", "nosniff");
  res.set(http::field::cache_control, "no-store");
  std::string target(req.target());
  Response out;
  if (!opts.bearer_token.empty() && !token_ok(std::string(req[http::field::authorization]), opts.bearer_token)) {
    out = {401, "application/json", R"({"error":"missing or wrong bearer token"})"};
    res.set(http::field::www_authenticate, "Bearer");
  } else if (req.method() != http::verb::get && req.method() != http::verb::head) {
    out = {405, "application/json", R"({"error":"read-only: only GET and HEAD"})"};
    res.set(http::field::allow, "GET, HEAD");
  } else {
    Request r;
    r.method = std::string(req.method_string());
    auto q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    try {
      out = handler(r);
    } catch (const std::exception& e) {
      spdlog::error("status handler for {} failed: {}", escape_untrusted(r.path), e.what());
      out = {500, "application/json", R"({"error":"internal error"})"};
    }
  }
  res.result(static_cast<http::status>(out.status));
  res.set(http::field::content_type, out.content_type);
  if (req.method() != http::verb::head) res.body() = std::move(out.body);
  res.prepare_payload();
  return res;
}


class Server final : public HttpServer {
 public:
  Server(ServerOptions o, Handler h) : opts_(std::move(o)), handler_(std::move(h)), acceptor_(ioc_) {}

  Result<void> listen() {
    beast::error_code ec;
    auto addr = net::ip::make_address(opts_.address, ec);
    if (ec) return fail(Errc::config, "listen address '" + opts_.address + "' is not an IP address");
    if (auto r = detail::open_acceptor(acceptor_, tcp::endpoint(addr, opts_.port)); !r) return r;
    port_ = acceptor_.local_endpoint().port();
    return {};
  }

  void run() override {
    net::co_spawn(ioc_, accept_loop(), net::detached);
    ioc_.run();
  }
  void stop() override {
    net::post(ioc_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
      ioc_.stop();
    });
  }
  unsigned short port() const override { return port_; }

 private:
  net::awaitable<void> accept_loop() {
    while (acceptor_.is_open()) {
      beast::error_code ec;
      tcp::socket sock = co_await acceptor_.async_accept(net::redirect_error(net::use_awaitable, ec));
      if (ec == net::error::operation_aborted) co_return;
      if (ec) {
        // EMFILE/ENFILE leave the connection queued, so accepting again at once fails the
        // same way and the loop spins: free a descriptor and pause while it closes.
        if (detail::out_of_descriptors(ec)) close_oldest();
        backoff_.expires_after(std::chrono::milliseconds(50));
        co_await backoff_.async_wait(net::redirect_error(net::use_awaitable, ec));
        continue;
      }
      // At the cap the oldest connection is dropped to make room. Real requests take
      // milliseconds, so the oldest ones are the stalled ones: a flood of slow clients
      // cannot lock others out, and memory stays bounded by the cap.
      if (active_ >= opts_.max_connections) close_oldest();
      auto stream = std::make_shared<beast::tcp_stream>(std::move(sock));
      sessions_.push_back(stream);
      if (sessions_.size() > 4 * opts_.max_connections)  // drop entries of finished sessions
        sessions_.erase(std::remove_if(sessions_.begin(), sessions_.end(), [](const auto& w) { return w.expired(); }),
                        sessions_.end());
      ++active_;  // session() gives it back
      net::co_spawn(ioc_, session(std::move(stream)), net::detached);
    }
  }

  void close_oldest() {
    while (!sessions_.empty()) {
      auto oldest = sessions_.front().lock();
      sessions_.pop_front();
      if (!oldest) continue;
      beast::error_code ec;
      oldest->socket().close(ec);  // frees the descriptor now; the session ends with operation_aborted
      return;
    }
  }

  net::awaitable<void> session(std::shared_ptr<beast::tcp_stream> owner) {
    beast::tcp_stream& stream = *owner;
    beast::flat_buffer buffer(opts_.header_limit);
    beast::error_code ec;
    for (;;) {
      stream.expires_after(opts_.io_timeout);
      http::request_parser<http::string_body> parser;
      detail::apply_limits(parser, limits(opts_));
      co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
      if (too_large(ec)) {
        auto res = too_large_response(ec);
        stream.expires_after(opts_.io_timeout);
        co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
        break;
      }
      if (ec) break;
      auto res = answer(parser.get(), opts_, handler_);
      stream.expires_after(opts_.io_timeout);
      co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
      if (ec || !res.keep_alive()) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    --active_;
  }

  ServerOptions opts_;
  Handler handler_;
  net::io_context ioc_{1};
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::size_t active_ = 0;  ///< touched only on the io thread
  std::deque<std::weak_ptr<beast::tcp_stream>> sessions_;  ///< oldest first
  net::steady_timer backoff_{ioc_};  ///< after a failed accept
};

}  // namespace

bool is_loopback(const std::string& address) {
  beast::error_code ec;
  auto a = net::ip::make_address(address, ec);
  return !ec && a.is_loopback();
}

std::optional<std::string> answer_bytes(std::string_view raw, const ServerOptions& options, const Handler& handler) {
  auto parsed = detail::parse_request_bytes<http::string_body>(raw, limits(options));
  if (too_large(parsed.error)) return detail::response_bytes(too_large_response(parsed.error));
  if (!parsed.request) return std::nullopt;
  return detail::response_bytes(answer(*parsed.request, options, handler));
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(ServerOptions options, Handler handler) {
  if (!is_loopback(options.address) && options.bearer_token.empty())
    return fail(Errc::config, "refusing to serve on non-loopback address " + options.address +
                                  " without authentication: configure a bearer token (--token-file)");
  auto s = std::make_unique<Server>(std::move(options), std::move(handler));
  if (auto r = s->listen(); !r) return fail(r.error());
  return std::unique_ptr<HttpServer>(std::move(s));
}

}  // namespace acmed::status
