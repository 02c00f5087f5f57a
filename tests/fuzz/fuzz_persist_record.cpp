// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the dns-persist-01 TXT record parser and evaluator
// (acmed/persist/records.hpp). The input is the TXT values one server returned, one per
// line; the evaluation runs for both draft revisions, with and without wildcard.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "acmed/persist/records.hpp"

using namespace acmed;

namespace {

std::vector<std::string> lines(std::string_view in) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= in.size() && out.size() < 64) {
    auto nl = in.find('\n', start);
    out.emplace_back(in.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto values = lines(in);
  for (const auto& v : values) {
    auto parsed = persist::parse_value(v);
    if (!parsed) continue;
    // Whatever parses builds back into a value that parses to the same record.
    if (parsed->account_uri) {
      persist::RecordParams p{.issuer = parsed->issuer,
                              .account_uri = *parsed->account_uri,
                              .policy_wildcard = parsed->policy_wildcard,
                              .persist_until = parsed->persist_until};
      if (auto built = persist::build_value(p)) {
        auto again = persist::parse_value(*built);
        if (!again || again->issuer != parsed->issuer || again->account_uri != parsed->account_uri ||
            again->persist_until != parsed->persist_until)
          __builtin_trap();
        std::string joined;
        for (const auto& part : persist::split_txt(*built)) {
          if (part.size() > 255) __builtin_trap();
          joined += part;
        }
        if (joined != *built) __builtin_trap();
        (void)persist::zone_file_line("_validation-persist.example.com", *built, 300);
      }
    }
  }
  for (auto revision : {persist::Revision::draft01, persist::Revision::draft02}) {
    for (bool wildcard : {false, true}) {
      persist::Expectation e;
      e.issuers = {"ca.test", "other.test"};
      e.account = {.revision = revision,
                   .account_url = "https://ca.test/acme/acct/1",
                   .hash_prefix = "acct:",
                   .thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
                   .earlier_thumbprints = {"AAAA"}};
      e.domain = "example.com";
      e.wildcard = wildcard;
      e.now = std::chrono::system_clock::time_point(std::chrono::seconds(1800000000));
      auto ev = persist::evaluate(values, e);
      (void)persist::to_string(ev.status);
    }
  }
  std::vector<std::string> issuers(values.begin(), values.begin() + std::min<std::size_t>(values.size(), 12));
  (void)persist::validate_issuer_names(issuers);
  (void)persist::check_challenge_issuers(issuers, {"ca.test"}, issuers);
  return 0;
}
