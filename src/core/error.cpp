// SPDX-License-Identifier: Apache-2.0
#include "acmed/core/error.hpp"

#include <ctime>

namespace acmed {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "acmed"; }
  std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::ok: return "success";
      case Errc::invalid_argument: return "invalid argument";
      case Errc::config: return "configuration error";
      case Errc::io: return "file system error";
      case Errc::crypto: return "cryptographic error";
      case Errc::network: return "network error";
      case Errc::timeout: return "timed out";
      case Errc::http: return "unexpected HTTP status";
      case Errc::bad_response: return "malformed server response";
      case Errc::acme_problem: return "ACME server reported a problem";
      case Errc::challenge_failed: return "challenge failed";
      case Errc::solver: return "challenge solver error";
      case Errc::not_found: return "not found";
      case Errc::unsupported: return "not supported";
      case Errc::dns: return "DNS error";
      case Errc::cancelled: return "cancelled";
    }
    return "unknown acmed error";
  }
};

constexpr std::string_view acme_urn = "urn:ietf:params:acme:error:";

}  // namespace

const std::error_category& error_category() noexcept {
  static const category c;
  return c;
}

std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), error_category()}; }

std::string Problem::short_type() const {
  if (type.rfind(acme_urn, 0) == 0) return type.substr(acme_urn.size());
  return type.empty() ? std::string("about:blank") : type;
}

bool Error::is_acme(std::string_view short_type) const {
  return problem && problem->type.rfind(acme_urn, 0) == 0 && problem->short_type() == short_type;
}

std::string format_rfc3339(std::chrono::system_clock::time_point tp) {
  std::time_t t = std::chrono::system_clock::to_time_t(tp);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Error::describe() const {
  if (!problem) return message;
  std::string out;
  if (!message.empty()) out = message + ": ";
  out += problem->short_type();
  if (!problem->detail.empty()) out += ": " + problem->detail;
  if (problem->retry_after) out += "; retry after " + format_rfc3339(*problem->retry_after);
  for (const auto& sub : problem->subproblems) {
    out += "\n  - ";
    if (sub.identifier) out += *sub.identifier + ": ";
    out += sub.short_type();
    if (!sub.detail.empty()) out += ": " + sub.detail;
  }
  return out;
}

Error Error::with_context(std::string_view context) const {
  Error e = *this;
  e.message = message.empty() ? std::string(context) : std::string(context) + ": " + message;
  return e;
}

}  // namespace acmed
