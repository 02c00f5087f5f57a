// SPDX-License-Identifier: Apache-2.0
// Listening sockets for the standalone responders (http-01, tls-alpn-01) and the status
// server: opening one with the error an operator needs, and telling accept failures that
// mean "out of descriptors" (back off, then make room) from the rest.
#pragma once

#include <cerrno>
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

/// Accept errors that mean "no descriptor or buffer for another socket".
inline bool out_of_descriptors(const boost::system::error_code& ec) {
  return ec.category() == boost::system::system_category() &&
         (ec.value() == EMFILE || ec.value() == ENFILE || ec.value() == ENOBUFS || ec.value() == ENOMEM);
}

}  // namespace acmed::detail
