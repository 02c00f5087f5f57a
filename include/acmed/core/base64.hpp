// SPDX-License-Identifier: Apache-2.0
// File: acmed/core/base64.hpp
//
// base64url without padding (RFC 4648 §5, RFC 7515 §2), built on OpenSSL's codec.
//
//   std::string s = base64url_encode(bytes);
//   Result<std::string> raw = base64url_decode(s);
#pragma once

#include <string>
#include <string_view>

#include "acmed/core/result.hpp"

namespace acmed {

std::string base64url_encode(std::string_view bytes);
/// Accepts input with or without '=' padding; rejects characters outside the url alphabet.
[[nodiscard]] Result<std::string> base64url_decode(std::string_view text);

std::string base64_encode(std::string_view bytes);
[[nodiscard]] Result<std::string> base64_decode(std::string_view text);

}  // namespace acmed
