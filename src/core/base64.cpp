// SPDX-License-Identifier: Apache-2.0
#include "acmed/core/base64.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

namespace acmed {

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  std::string in(text);
  in.erase(std::remove_if(in.begin(), in.end(), [](char c) { return c == '\n' || c == '\r'; }), in.end());
  if (in.size() % 4 != 0) return fail(Errc::invalid_argument, "base64 input length is not a multiple of 4");
  std::string out(in.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return fail(Errc::invalid_argument, "invalid base64 input");
  // EVP_DecodeBlock does not strip the bytes that padding stands for.
  std::size_t pad = 0;
  if (!in.empty() && in.back() == '=') ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::string base64url_encode(std::string_view bytes) {
  std::string s = base64_encode(bytes);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return s;
}

Result<std::string> base64url_decode(std::string_view text) {
  std::string s(text);
  std::size_t pad = 0;
  while (!s.empty() && s.back() == '=') {
    s.pop_back();
    ++pad;
  }
  if (pad > 2) return fail(Errc::invalid_argument, "too much base64url padding");
  for (char& c : s) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (!std::isalnum(static_cast<unsigned char>(c)))
      return fail(Errc::invalid_argument, "invalid base64url character");
  }
  if (s.size() % 4 == 1) return fail(Errc::invalid_argument, "invalid base64url length");
  while (s.size() % 4 != 0) s.push_back('=');
  return base64_decode(s);
}

}  // namespace acmed
