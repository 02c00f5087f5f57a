// SPDX-License-Identifier: Apache-2.0
// File: acmed/solvers/http01.hpp
//
// The http-01 solver factory. Settings:
//   mode: standalone | webroot      (default standalone)
//   listen: "0.0.0.0:80"            (standalone; "[::]:80" for IPv6)
//   webroot: /var/www/html          (webroot; files go to .well-known/acme-challenge/)
//
//   registry.add(acmed::solver::make_http01_factory());
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "acmed/solver/solver.hpp"

namespace acmed::solver {

std::unique_ptr<SolverFactory> make_http01_factory();

/// What the standalone responder sends back for `raw`, the first bytes a validator sends
/// on a new connection, with `tokens` (token -> key authorization) published: the same
/// limits and routing as its socket path. Nothing when `raw` holds no complete request.
/// For tests and the fuzz target.
std::optional<std::string> http01_answer_bytes(std::string_view raw, const std::map<std::string, std::string>& tokens);

}  // namespace acmed::solver
