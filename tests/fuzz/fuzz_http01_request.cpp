// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the http-01 standalone responder's request handling
// (acmed/solvers/http01.hpp http01_answer_bytes), as a validator's first bytes get it.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "acmed/solvers/http01.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  static const std::map<std::string, std::string> tokens{
      {"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA", "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.thumb"}};
  auto res = acmed::solver::http01_answer_bytes(in, tokens);
  if (!res) return 0;
  if (res->rfind("HTTP/1.1 ", 0) != 0) __builtin_trap();
  // A key authorization is served only for its own token's path.
  if (res->find(".thumb") != std::string::npos &&
      in.find("/.well-known/acme-challenge/evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA") == std::string_view::npos)
    __builtin_trap();
  return 0;
}
