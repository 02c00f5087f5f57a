// SPDX-License-Identifier: Apache-2.0
// File: acmed/app/caa.hpp
//
// CAA, checked read-only before an order, as the CA will check it (RFC 8659): climb from
// each name to its TLD for the closest CAA RRset (CNAMEs followed by the resolver), use
// issuewild for a wildcard when the set has one, match the CA's caaIdentities, and apply
// the RFC 8657 parameters accounturi and validationmethods (dns-persist-01 included).
// A forbidding verdict names the record and the name it is at, and the record that would
// allow the issuance; a lookup that fails gives "unknown" (the CA decides then).
//
//   auto v = app::caa::check(resolver, {.name = "*.example.com", .ca_identities = {"ca.example"},
//                                       .account_uri = url, .methods = {"dns-persist-01"}});
//   if (v.outcome == caa::Outcome::forbidden) return fail(Errc::config, v.reason + "\n" + v.suggestion);
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "acmed/core/result.hpp"
#include "acmed/dns/resolver.hpp"

namespace acmed::app::caa {

/// An issue or issuewild property value (RFC 8659 §4.2).
struct IssueValue {
  std::string issuer;  ///< lower case, no trailing dot; empty (";") names no CA
  std::vector<std::pair<std::string, std::string>> parameters;  ///< tag (lower case), value
};

/// Parses a property value; an error says what is wrong (a CA treats such a property as
/// naming no CA).
[[nodiscard]] Result<IssueValue> parse_issue_value(std::string_view value);

struct Request {
  std::string name;                        ///< "example.com" or "*.example.com"
  std::vector<std::string> ca_identities;  ///< the directory's meta.caaIdentities
  std::string account_uri;                 ///< for accounturi
  std::vector<std::string> methods;        ///< challenge types configured for the name
};

enum class Outcome { allowed, forbidden, unknown };
std::string to_string(Outcome o);

struct Verdict {
  Outcome outcome = Outcome::unknown;
  std::string found_at;                 ///< the name holding the relevant RRset ("" when none)
  std::vector<dns::CaaRecord> records;  ///< the relevant RRset
  std::vector<std::string> allowed_methods;  ///< of Request::methods, those CAA allows
  std::string reason;                   ///< one line, CAA bytes escaped
  std::string suggestion;               ///< when forbidden: the zone-file line that would allow it
};

/// Decides on the relevant RRset `records` found at `found_at` (RFC 8659 §4).
[[nodiscard]] Verdict evaluate(const std::vector<dns::CaaRecord>& records, const std::string& found_at,
                               const Request& request);

/// Finds the relevant RRset for `request.name` through `resolver` and evaluates it.
[[nodiscard]] Verdict check(dns::Resolver& resolver, const Request& request);

/// A CAA record in zone-file presentation form, its bytes escaped.
std::string to_string(const dns::CaaRecord& r);

}  // namespace acmed::app::caa
