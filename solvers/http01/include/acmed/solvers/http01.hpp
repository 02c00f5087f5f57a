// File: acmed/solvers/http01.hpp
//
// The http-01 solver factory. Settings:
//   mode: standalone | webroot      (default standalone)
//   listen: "0.0.0.0:80"            (standalone; "[::]:80" for IPv6)
//   webroot: /var/www/html          (webroot; files go to .well-known/acme-challenge/)
//
//   registry.add(acmed::solver::make_http01_factory());
#pragma once

#include <memory>

#include "acmed/solver/solver.hpp"

namespace acmed::solver {

std::unique_ptr<SolverFactory> make_http01_factory();

}  // namespace acmed::solver
