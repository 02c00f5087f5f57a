// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the small decoders every other parser leans on: base64url and base64
// (JWS, certificate IDs, EAB keys), identifiers (configuration and CA orders),
// durations, key types, and the escaping of untrusted text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "acmed/config/config.hpp"
#include "acmed/core/base64.hpp"
#include "acmed/core/crypto.hpp"
#include "acmed/core/identifier.hpp"
#include "acmed/core/text.hpp"

using namespace acmed;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // Whatever decodes encodes back to the same text (base64url is unpadded and canonical
  // only when the decoder refuses non-zero trailing bits; the round trip of the bytes holds).
  if (auto bytes = base64url_decode(in)) {
    auto again = base64url_decode(base64url_encode(*bytes));
    if (!again || *again != *bytes) __builtin_trap();
  }
  if (auto bytes = base64_decode(in)) {
    auto again = base64_decode(base64_encode(*bytes));
    if (!again || *again != *bytes) __builtin_trap();
  }
  if (auto id = Identifier::parse(in)) {
    (void)name_in_domain(in, "example.com");
  }
  (void)config::parse_duration(std::string(in));
  (void)parse_key_type(in);
  // Escaped text is one line: no C0 control byte, no DEL.
  for (unsigned char c : escape_untrusted(in))
    if (c < 0x20 || c == 0x7f) __builtin_trap();
  return 0;
}
