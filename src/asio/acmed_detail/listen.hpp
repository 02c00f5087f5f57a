// Opening a listening socket for the standalone responders (http-01, tls-alpn-01),
// with the error an operator needs when it fails.
#pragma once

#include <string>

#include "acmed/core/result.hpp"
#include "acmed_detail/asio.hpp"

namespace acmed::detail {

inline Result<void> open_acceptor(boost::asio::ip::tcp::acceptor& acceptor, const boost::asio::ip::tcp::endpoint& ep) {
  namespace net = boost::asio;
  boost::system::error_code ec;
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (!ec) return {};
  return fail(Errc::solver, "cannot listen on " + ep.address().to_string() + ":" + std::to_string(ep.port()) + ": " +
                                ec.message() +
                                (ec == net::error::access_denied ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
                                                                 : ""));
}

}  // namespace acmed::detail
