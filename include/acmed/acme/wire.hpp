// SPDX-License-Identifier: Apache-2.0
// File: acmed/acme/wire.hpp
//
// Parsers for the server's side of the wire. Each one validates shape and types
// and returns a clear error instead of throwing. Exposed for tests and tools.
//
//   auto authz = parse_authorization(resp.body, url);
//   auto when = parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now);
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "acmed/acme/types.hpp"
#include "acmed/core/result.hpp"

namespace acmed::acme {

[[nodiscard]] Result<Directory> parse_directory(std::string_view body);
[[nodiscard]] Result<Account> parse_account(std::string_view body, std::string url);
[[nodiscard]] Result<Order> parse_order(std::string_view body, std::string url);
[[nodiscard]] Result<Authorization> parse_authorization(std::string_view body, std::string url);
[[nodiscard]] Result<Challenge> parse_challenge(std::string_view body);
/// An RFC 7807 document. Fails when the body is not one.
[[nodiscard]] Result<Problem> parse_problem(std::string_view body);

/// An ARI response (RFC 9773 §4.2): the suggested window and explanationURL; retry_after
/// comes from the response's header, not the body, and is left empty.
[[nodiscard]] Result<RenewalInfo> parse_renewal_info(std::string_view body);

/// Retry-After as delta-seconds or HTTP-date (RFC 9110 §10.2.3); nothing when unparseable.
std::optional<std::chrono::system_clock::time_point> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

/// Link header values with the given rel, e.g. rel="alternate" (RFC 8288); targets with
/// controls, spaces or non-ASCII bytes are skipped.
std::vector<std::string> parse_link_urls(const std::vector<std::string>& link_headers, std::string_view rel);

}  // namespace acmed::acme
