// SPDX-License-Identifier: Apache-2.0
// File: acmed/solvers/tls_alpn01.hpp
//
// The tls-alpn-01 solver factory (RFC 8737): a standalone TLS responder that
// answers ALPN "acme-tls/1" with a self-signed certificate carrying the critical
// acmeIdentifier extension. DNS names and IP addresses (RFC 8738 §6: the SNI is the
// in-addr.arpa / ip6.arpa name); no wildcards. The responder runs on its own thread
// from the first present() until the last cleanup(). Settings:
//   listen: "0.0.0.0:443"           ("[::]:443" for IPv6)
//
//   registry.add(acmed::solver::make_tls_alpn01_factory());
#pragma once

#include <memory>

#include "acmed/solver/solver.hpp"

namespace acmed::solver {

std::unique_ptr<SolverFactory> make_tls_alpn01_factory();

}  // namespace acmed::solver
