// SPDX-License-Identifier: Apache-2.0
// File: acmed/core/error.hpp
//
// acmed::Error is the value every expected failure is reported as: a category
// code, a message for the operator and, when a CA answered with an RFC 7807
// problem document, that document.
//
//   Result<Order> r = client.new_order(ids);
//   if (!r) spdlog::error("{}", r.error().describe());
//   if (r.error().is_acme("rateLimited")) ...
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace acmed {

/// What kind of failure an Error is. Each value is stable: it maps to exit codes and log fields.
enum class Errc {
  ok = 0,
  invalid_argument = 1,  ///< a caller passed something that cannot work (bad name, bad option)
  config,                ///< a configuration file or value is wrong
  io,                    ///< a local file or directory operation failed
  crypto,                ///< key generation, signing, parsing of keys/certificates failed
  network,               ///< connect, TLS, read or write to a server failed
  timeout,               ///< a deadline passed
  http,                  ///< an HTTP response had an unexpected status without a problem document
  bad_response,          ///< a server response was malformed (JSON, fields, content type, size)
  acme_problem,          ///< the CA answered with a problem document
  challenge_failed,      ///< an authorization became invalid
  solver,                ///< a challenge solver could not present or clean up
  not_found,             ///< a requested object does not exist
  unsupported,           ///< the server or this build does not support the request
  dns,                   ///< a DNS lookup failed
  cancelled,             ///< SIGINT/SIGTERM arrived; the run unwound and cleaned up
};

const std::error_category& error_category() noexcept;
std::error_code make_error_code(Errc e) noexcept;

/// An RFC 7807 problem document as sent by an ACME server (RFC 8555 §6.7).
struct Problem {
  std::string type;    ///< full URN, e.g. "urn:ietf:params:acme:error:rateLimited"
  std::string detail;
  int status = 0;
  std::optional<std::string> identifier;  ///< "dns:example.com" for subproblems
  std::vector<Problem> subproblems;
  /// From the Retry-After header of the response that carried the problem.
  std::optional<std::chrono::system_clock::time_point> retry_after;

  /// The ACME short type ("rateLimited") or the full type when it is not an ACME URN.
  std::string short_type() const;
};

struct Error {
  Errc code = Errc::ok;
  std::string message;
  std::optional<Problem> problem;

  Error() = default;
  Error(Errc c, std::string msg) : code(c), message(std::move(msg)) {}
  Error(Errc c, std::string msg, Problem p) : code(c), message(std::move(msg)), problem(std::move(p)) {}

  /// True when this is an ACME problem of the given short type ("badNonce").
  bool is_acme(std::string_view short_type) const;

  /// One line for operators, e.g.
  /// "rateLimited: too many new orders; retry after 2026-12-01T10:00:00Z".
  std::string describe() const;

  /// Returns a copy whose message is prefixed with `context: `.
  Error with_context(std::string_view context) const;
};

/// Formats a time point as RFC 3339 UTC ("2026-12-01T10:00:00Z").
std::string format_rfc3339(std::chrono::system_clock::time_point tp);

}  // namespace acmed

template <>
struct std::is_error_code_enum<acmed::Errc> : std::true_type {};
