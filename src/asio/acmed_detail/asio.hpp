// SPDX-License-Identifier: Apache-2.0
// The one place acmed includes Asio and Beast for client code.
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>
// (fails with GCC 12: "'exchange' is not a member of 'std'"), so include it first.
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
