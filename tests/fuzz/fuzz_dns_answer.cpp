// SPDX-License-Identifier: Apache-2.0
// Fuzz target: DNS responses as acmed reads them for a TXT lookup
// (acmed/dns/ldns_resolver.hpp read_txt_answer): ldns' wire parser, then the CNAME
// chain and TXT character-strings inside the answer section.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "acmed/dns/ldns_resolver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = acmed::dns::read_txt_answer(in, "_validation-persist.example.com");
  if (!r) return 0;
  // A DNS message is at most 64 KiB, and so is everything read out of it.
  std::size_t total = 0;
  for (const auto& v : r->values) total += v.size();
  if (total > 65535 || r->cnames.size() > 16) __builtin_trap();
  return 0;
}
