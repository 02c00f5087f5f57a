// SPDX-License-Identifier: Apache-2.0
// Fuzz target: every parser of a CA's responses (acmed/acme/wire.hpp). The first byte
// picks the parser, the rest is the body or header value as the CA would send it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "acmed/acme/wire.hpp"
#include "acmed/core/text.hpp"

using namespace acmed;

namespace {
// Escaped CA text holds no C0 controls or DEL, and stays near the cut.
void check_printable(std::string_view text) {
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7f) __builtin_trap();
  if (text.size() > untrusted_text_limit + 64) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string url = "https://ca.test/x/1";
  switch (data[0] % 10) {
    case 0: (void)acme::parse_directory(body); break;
    case 1: (void)acme::parse_account(body, url); break;
    case 2: (void)acme::parse_order(body, url); break;
    case 3: (void)acme::parse_authorization(body, url); break;
    case 4: (void)acme::parse_challenge(body); break;
    case 5: {
      // Whatever a problem carries reaches terminals and logs: it must come out escaped
      // and cut, subproblems included.
      if (auto p = acme::parse_problem(body)) {
        check_printable(p->type);
        check_printable(p->detail);
        for (const auto& sub : p->subproblems) check_printable(sub.detail);
      }
      break;
    }
    case 6: (void)acme::parse_renewal_info(body); break;
    case 7: (void)acme::parse_retry_after(body, std::chrono::system_clock::now()); break;
    case 8: {
      // One Link header per line, as a response with many Link fields.
      std::vector<std::string> headers;
      std::size_t start = 0;
      while (start <= body.size()) {
        auto nl = body.find('\n', start);
        headers.emplace_back(body.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
        if (nl == std::string_view::npos) break;
        start = nl + 1;
      }
      (void)acme::parse_link_urls(headers, "alternate");
      (void)acme::parse_link_urls(headers, "up");
      break;
    }
    default: (void)escape_untrusted(body); break;
  }
  return 0;
}
