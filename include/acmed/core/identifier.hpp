// SPDX-License-Identifier: Apache-2.0
// File: acmed/core/identifier.hpp
//
// An ACME identifier (RFC 8555 §9.7.7): a DNS name (possibly "*.wildcard") or an
// IP address (RFC 8738).
//
//   auto id = Identifier::parse("*.example.com");   // dns, wildcard
//   id->authorization_name();                          // "example.com"
#pragma once

#include <string>

#include "acmed/core/result.hpp"

namespace acmed {

struct Identifier {
  enum class Type { dns, ip };
  Type type = Type::dns;
  std::string value;  ///< lowercase name as requested, "*.example.com" kept; IPs in canonical text form

  /// Parses a name or an IP literal, normalising case and rejecting what no CA accepts.
  [[nodiscard]] static Result<Identifier> parse(std::string_view text);

  bool is_wildcard() const { return type == Type::dns && value.rfind("*.", 0) == 0; }
  /// The name an authorization for this identifier carries: "*.x" -> "x".
  std::string authorization_name() const { return is_wildcard() ? value.substr(2) : value; }
  std::string type_string() const { return type == Type::dns ? "dns" : "ip"; }
  friend bool operator==(const Identifier&, const Identifier&) = default;
};

/// True when `name` equals `domain` or lies under it ("a.example.com" in "example.com");
/// "*" matches everything. Both are expected lowercase.
bool name_in_domain(std::string_view name, std::string_view domain);

}  // namespace acmed
