// SPDX-License-Identifier: Apache-2.0
// File: acmed/transport/beast_client.hpp
//
// HttpClient over Boost.Beast and OpenSSL: TLS verification on by default, SNI,
// host-name checks, one keep-alive connection per origin, deadlines on every step.
//
//   auto http = transport::make_beast_client({.ca_bundle = "/etc/acmed/ca.pem"});
#pragma once

#include <memory>

#include "acmed/transport/http_client.hpp"

namespace acmed::transport {

[[nodiscard]] Result<std::unique_ptr<HttpClient>> make_beast_client(HttpClientOptions options);

}  // namespace acmed::transport
