// SPDX-License-Identifier: Apache-2.0
#include "acmed/transport/beast_client.hpp"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "acmed_detail/asio.hpp"

namespace acmed::transport {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using net::awaitable;
using net::redirect_error;
using net::use_awaitable;

struct Connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  bool open = false;

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  void close() {
    beast::error_code ignored;
    if (secure || plain) lowest().socket().close(ignored);
    secure.reset();
    plain.reset();
    buffer.clear();
    open = false;
  }
};

bool is_ip_literal(const std::string& host) {
  beast::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

Error network_error(std::string_view what, const Url& url, const beast::error_code& ec) {
  Errc code = ec == beast::error::timeout ? Errc::timeout : Errc::network;
  return Error(code, std::string(what) + " " + url.scheme + "://" + url.host + ":" + url.port + ": " + ec.message());
}

class BeastClient final : public HttpClient {
 public:
  explicit BeastClient(HttpClientOptions opts) : opts_(std::move(opts)), tls_(net::ssl::context::tls_client) {}

  Result<void> init() {
    tls_.set_verify_mode(net::ssl::verify_peer);
    tls_.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                     net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
    beast::error_code ec;
    if (opts_.ca_bundle.empty()) {
      tls_.set_default_verify_paths(ec);
    } else {
      // OpenSSL's own error for a missing file is "asio.ssl error": name the file and the
      // OS's reason first, and say so plainly when the file holds no usable certificate.
      std::ifstream in(opts_.ca_bundle);
      if (!in) return fail(Errc::config, "cannot read CA bundle " + opts_.ca_bundle + ": " + std::strerror(errno));
      if (std::filesystem::is_directory(opts_.ca_bundle))
        return fail(Errc::config, "cannot read CA bundle " + opts_.ca_bundle + ": it is a directory, not a PEM file");
      tls_.load_verify_file(opts_.ca_bundle, ec);
      if (ec)
        return fail(Errc::config, "CA bundle " + opts_.ca_bundle +
                                      " holds no PEM certificate that OpenSSL accepts (" + ec.message() + ")");
    }
    if (ec)
      return fail(Errc::config, "cannot load CA bundle '" + (opts_.ca_bundle.empty() ? std::string("system default")
                                                                                  : opts_.ca_bundle) +
                                    "': " + ec.message());
    if (opts_.user_agent.empty()) opts_.user_agent = "acmed";
    return {};
  }

  Result<HttpResponse> send(const HttpRequest& request) override {
    auto url = parse_url(request.url);
    if (!url) return fail(url.error());
    std::string origin = url->scheme + "://" + url->host + ":" + url->port;
    Connection& conn = connections_[origin];
    ++requests_;

    // A kept-alive connection may have been closed by the server while idle; in
    // that case the request is retried once on a fresh connection.
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool reused = conn.open;
      Result<HttpResponse> result = fail(Errc::network, "request not run");
      net::co_spawn(ioc_, exchange(conn, *url, request), [&](std::exception_ptr ep, Result<HttpResponse> r) {
        if (ep) {
          try {
            std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            result = fail(Errc::network, std::string("HTTP exchange failed: ") + e.what());
          }
        } else {
          result = std::move(r);
        }
      });
      ioc_.restart();
      ioc_.run();
      if (result) return result;
      conn.close();
      if (!reused || result.error().code != Errc::network) return result;
      spdlog::debug("kept-alive connection to {} was closed; reconnecting", origin);
    }
    return fail(Errc::network, "unreachable");
  }

  std::size_t requests_sent() const override { return requests_; }

 private:
  awaitable<Result<void>> connect(Connection& conn, const Url& url) {
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto endpoints = co_await resolver.async_resolve(url.host, url.port, redirect_error(use_awaitable, ec));
    if (ec) co_return fail(network_error("cannot resolve", url, ec));

    if (url.scheme == "https") {
      conn.secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc_, tls_);
      // SNI must not carry an IP literal (RFC 6066 §3). SSL_ctrl is what the macro
      // SSL_set_tlsext_host_name expands to, without its C-style cast.
      if (!is_ip_literal(url.host) && !SSL_ctrl(conn.secure->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                                                TLSEXT_NAMETYPE_host_name, const_cast<char*>(url.host.c_str())))
        co_return fail(Errc::network, "cannot set SNI for " + url.host);
      conn.secure->set_verify_callback(net::ssl::host_name_verification(url.host));
    } else {
      conn.plain = std::make_unique<beast::tcp_stream>(ioc_);
    }
    conn.lowest().expires_after(opts_.connect_timeout);
    co_await conn.lowest().async_connect(endpoints, redirect_error(use_awaitable, ec));
    if (ec) co_return fail(network_error("cannot connect to", url, ec));
    if (conn.secure) {
      conn.lowest().expires_after(opts_.connect_timeout);
      co_await conn.secure->async_handshake(net::ssl::stream_base::client, redirect_error(use_awaitable, ec));
      if (ec) co_return fail(network_error("TLS handshake failed with", url, ec));
    }
    conn.open = true;
    co_return Result<void>{};
  }

  template <class Stream>
  awaitable<Result<HttpResponse>> roundtrip(Stream& stream, Connection& conn, const Url& url,
                                            const HttpRequest& request) {
    beast::error_code ec;
    http::request<http::string_body> req;
    req.method_string(request.method);
    req.target(url.target);
    req.version(11);
    bool default_port = (url.scheme == "https" && url.port == "443") || (url.scheme == "http" && url.port == "80");
    std::string host_header = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
    req.set(http::field::host, default_port ? host_header : host_header + ":" + url.port);
    req.set(http::field::user_agent, opts_.user_agent);
    for (const auto& h : request.headers) req.set(h.name, h.value);
    if (!request.body.empty() || request.method == "POST") {
      req.body() = request.body;
      req.prepare_payload();
    }
    conn.lowest().expires_after(opts_.read_timeout);
    co_await http::async_write(stream, req, redirect_error(use_awaitable, ec));
    if (ec) co_return fail(network_error("cannot send request to", url, ec));

    http::response_parser<http::string_body> parser;
    parser.body_limit(opts_.max_body);
    // HEAD responses carry Content-Length without a body.
    if (request.method == "HEAD") parser.skip(true);
    conn.lowest().expires_after(opts_.read_timeout);
    co_await http::async_read(stream, conn.buffer, parser, redirect_error(use_awaitable, ec));
    if (ec == http::error::body_limit)
      co_return fail(Errc::bad_response, "response from " + request.url + " is larger than " +
                                             std::to_string(opts_.max_body) + " bytes; refusing it");
    if (ec) co_return fail(network_error("cannot read response from", url, ec));

    auto res = parser.release();
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res) out.headers.push_back({std::string(f.name_string()), std::string(f.value())});
    out.body = std::move(res.body());
    if (!res.keep_alive()) conn.close();
    co_return out;
  }

  awaitable<Result<HttpResponse>> exchange(Connection& conn, Url url, const HttpRequest& request) {
    if (!conn.open) {
      auto c = co_await connect(conn, url);
      if (!c) {
        conn.close();
        co_return fail(c.error());
      }
    }
    if (conn.secure) co_return co_await roundtrip(*conn.secure, conn, url, request);
    co_return co_await roundtrip(*conn.plain, conn, url, request);
  }

  HttpClientOptions opts_;
  net::io_context ioc_;
  net::ssl::context tls_;
  std::map<std::string, Connection> connections_;
  std::size_t requests_ = 0;
};

}  // namespace

Result<std::unique_ptr<HttpClient>> make_beast_client(HttpClientOptions options) {
  auto client = std::make_unique<BeastClient>(std::move(options));
  if (auto r = client->init(); !r) return fail(r.error());
  return std::unique_ptr<HttpClient>(std::move(client));
}

}  // namespace acmed::transport
