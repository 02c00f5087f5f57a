// SPDX-License-Identifier: Apache-2.0
// Fuzz target: configuration files (acmed/config/config.hpp): the YAML reader with its
// depth, size and alias limits, then the global and per-certificate schemas.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "acmed/config/config.hpp"

using namespace acmed;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto root = config::parse_yaml(in, "fuzz.yaml");
  if (!root) return 0;
  (void)config::parse_global(*root, "acmed.yaml");
  (void)config::parse_certificate(*root, "www", "certs.d/www.yaml");
  return 0;
}
