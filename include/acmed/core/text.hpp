// SPDX-License-Identifier: Apache-2.0
// File: acmed/core/text.hpp
//
// Text a server chose (a CA's problem detail, a status, a URL) made safe for one log
// line or terminal before it enters an Error or a message: control characters (C0,
// DEL, C1, line separators, bidi overrides) and bytes that are not UTF-8 are written
// as escapes, printable UTF-8 is kept, and long text is cut with its size noted.
//
//   problem.detail = escape_untrusted(detail);                    // one line, ~300 bytes
//   spdlog::trace("full detail: {}", escape_untrusted(detail, no_text_limit));
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace acmed {

/// Default cut for server text in messages, in bytes of escaped text.
inline constexpr std::size_t untrusted_text_limit = 300;
/// Pass as `max_bytes` to escape without cutting.
inline constexpr std::size_t no_text_limit = std::string::npos;

/// `text` with \n, \r, \t, \\ and other controls escaped ("\x1b", "\u0085"); when the
/// escaped text exceeds `max_bytes` it is cut at a character boundary and ends in
/// "... (truncated, N bytes)", N being the size of `text`.
std::string escape_untrusted(std::string_view text, std::size_t max_bytes = untrusted_text_limit);

}  // namespace acmed
