// SPDX-License-Identifier: Apache-2.0
// File: acmed/solvers/dns01.hpp
//
// The dns-01 solver (RFC 8555 §8.4): writes _acme-challenge TXT records through a
// provider, waits until every authoritative nameserver serves them (or as
// propagation.check says), removes them.
// Settings:
//   provider: rfc2136 | pdns | exec        and a section named after the provider
//   allow: [example.com, ...]              names/zones writes are limited to
//   ttl: 60
//   zone: example.com                      optional: the zone to write in, no SOA walk
//   propagation: {interval: 2s, timeout: 120s, check: authoritative | recursive | none, wait: 0s}
//                                          check: every authoritative server (default), the
//                                          configured resolvers, or nothing (only wait)
//
//   registry.add(make_dns01_factory(std::move(providers)));
#pragma once

#include <memory>
#include <vector>

#include "acmed/dns01/record_writer.hpp"
#include "acmed/solver/solver.hpp"

namespace acmed::solver {

std::unique_ptr<SolverFactory> make_dns01_factory(std::vector<std::unique_ptr<dns01::ProviderFactory>> providers);

}  // namespace acmed::solver
