// SPDX-License-Identifier: Apache-2.0
// A binary built from the dns-persist-01 solver and the read-only resolver only.
// tests/boundaries/check_no_writer.sh inspects its symbols: no DNS writer, no ldns
// UPDATE or TSIG function may be referenced. The calls below make sure the linker
// keeps everything these two targets would bring into acmed.
#include <iostream>

#include "acmed/dns/ldns_resolver.hpp"
#include "acmed/persist/records.hpp"
#include "acmed/solvers/dns_persist01.hpp"

int main(int argc, char**) {
  auto factory = acmed::solver::make_dns_persist01_factory();
  auto resolver = acmed::dns::make_ldns_resolver({});
  if (argc > 1 && resolver) {
    acmed::persist::Expectation e;
    auto check = acmed::persist::check_record(**resolver, "_validation-persist.example.invalid", e);
    std::cout << acmed::persist::to_string(check.status) << "\n";
    acmed::solver::SolverDeps deps;
    deps.resolver = resolver->get();
    auto solver = factory->create({"dns-persist-01", acmed::ConfigValue::make_map("probe")}, deps);
    std::cout << (solver ? "created" : solver.error().message) << "\n";
  }
  std::cout << factory->name() << "\n";
  return 0;
}
