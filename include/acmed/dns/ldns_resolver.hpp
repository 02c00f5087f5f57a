// File: acmed/dns/ldns_resolver.hpp
//
// The Resolver implementation on ldns (UDP with TCP fallback on truncation).
//
//   auto r = dns::make_ldns_resolver({.recursive = {{"127.0.0.1", 53}}});
#pragma once

#include <memory>

#include "acmed/dns/resolver.hpp"

namespace acmed::dns {

[[nodiscard]] Result<std::unique_ptr<Resolver>> make_ldns_resolver(ResolverOptions options);

}  // namespace acmed::dns
