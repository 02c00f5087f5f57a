// SPDX-License-Identifier: Apache-2.0
// File: acmed/dns/ldns_resolver.hpp
//
// The Resolver implementation on ldns (UDP with TCP fallback on truncation).
//
//   auto r = dns::make_ldns_resolver({.recursive = {{"127.0.0.1", 53}}});
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "acmed/dns/resolver.hpp"

namespace acmed::dns {

[[nodiscard]] Result<std::unique_ptr<Resolver>> make_ldns_resolver(ResolverOptions options);

/// The TXT values for `name` in one DNS response given as wire bytes, with the CNAMEs
/// inside its answer section followed, exactly as a query's response is read. For tests
/// and the fuzz target.
[[nodiscard]] Result<TxtResult> read_txt_answer(std::string_view wire, const std::string& name);
/// The same for CAA records.
[[nodiscard]] Result<CaaResult> read_caa_answer(std::string_view wire, const std::string& name);

}  // namespace acmed::dns
