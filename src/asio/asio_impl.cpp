// SPDX-License-Identifier: Apache-2.0
// Asio and Beast compiled once (BOOST_ASIO_SEPARATE_COMPILATION,
// BOOST_BEAST_SEPARATE_COMPILATION, set for every user by acmed::asio): the targets
// that do network I/O include only declarations and templates, not the whole library.
#include <utility>  // before Asio: see acmed_detail/asio.hpp

#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
