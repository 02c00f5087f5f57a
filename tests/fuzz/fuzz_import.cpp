// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the files `acmed import` reads from another client's tree
// (acmed/import/import.hpp): certbot's configobj renewal and credentials files, its
// private JWK and regr.json, lego's account.json, and certbot's interval text. Every
// input goes to every parser; what parses must satisfy the parsers' promises.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "acmed/core/crypto.hpp"
#include "acmed/import/import.hpp"

using namespace acmed;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto entries = import::parse_certbot_conf(in)) {
    if (entries->size() > 4096) __builtin_trap();
    int last = 0;
    for (const auto& e : *entries) {
      if (e.key.empty() || e.line <= last || e.key.find('\n') != std::string::npos) __builtin_trap();
      last = e.line;
    }
  }
  if (auto pem = import::certbot_account_key(in)) {
    // A key that came through is a consistent key acmed can load and sign with.
    auto key = PrivateKey::from_pem(pem->view());
    if (!key || !key->sign("x")) __builtin_trap();
  }
  for (auto url : {import::certbot_account_url(in), import::lego_account_url(in)})
    if (url && url->rfind("https://", 0) != 0) __builtin_trap();
  if (auto d = import::certbot_interval(in))
    if (d->empty() || d->size() > 12) __builtin_trap();
  return 0;
}
