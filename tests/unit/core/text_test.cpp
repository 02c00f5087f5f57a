// SPDX-License-Identifier: Apache-2.0
#include "acmed/core/text.hpp"

#include <catch2/catch.hpp>

namespace acmed {
namespace {

TEST_CASE("escape_untrusted keeps printable ASCII and UTF-8 as they are", "[text]") {
  CHECK(escape_untrusted("Error creating new order :: too many certificates") ==
        "Error creating new order :: too many certificates");
  CHECK(escape_untrusted("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\x92") == "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\x92");
  CHECK(escape_untrusted("") == "");
}

TEST_CASE("escape_untrusted writes line breaks and terminal controls as escapes", "[text]") {
  // A forged log line and an ANSI colour sequence stay on one visible line.
  CHECK(escape_untrusted("bad\ninfo: certificate www saved") == "bad\\ninfo: certificate www saved");
  CHECK(escape_untrusted("a\r\tb") == "a\\r\\tb");
  CHECK(escape_untrusted("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m");
  CHECK(escape_untrusted(std::string("nul\0bel\x07", 8)) == "nul\\x00bel\\x07");
  CHECK(escape_untrusted("del\x7f") == "del\\x7f");
  CHECK(escape_untrusted("back\\slash") == "back\\\\slash");
}

TEST_CASE("escape_untrusted escapes C1 controls, line separators and bidi overrides", "[text]") {
  CHECK(escape_untrusted("\xc2\x9b" "31m") == "\\u009b31m");      // CSI
  CHECK(escape_untrusted("a\xc2\x85" "b") == "a\\u0085b");        // NEL
  CHECK(escape_untrusted("a\xe2\x80\xa8" "b") == "a\\u2028b");    // LINE SEPARATOR
  CHECK(escape_untrusted("\xe2\x80\xae" "cba") == "\\u202ecba");  // RIGHT-TO-LEFT OVERRIDE
}

TEST_CASE("escape_untrusted writes bytes that are not UTF-8 as hex", "[text]") {
  CHECK(escape_untrusted("\x9b" "31m") == "\\x9b31m");            // a lone 8-bit CSI
  CHECK(escape_untrusted("\xc3") == "\\xc3");                      // cut sequence
  CHECK(escape_untrusted("\xc0\xaf") == "\\xc0\\xaf");             // overlong '/'
  CHECK(escape_untrusted("\xed\xa0\x80") == "\\xed\\xa0\\x80");    // surrogate
  CHECK(escape_untrusted("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
}

TEST_CASE("escape_untrusted cuts long text at a character boundary and names its size", "[text]") {
  const std::string big(1 << 20, 'x');
  const std::string cut = escape_untrusted(big);
  CHECK(cut == std::string(untrusted_text_limit, 'x') + "... (truncated, 1048576 bytes)");
  CHECK(escape_untrusted(big, no_text_limit) == big);
  CHECK(escape_untrusted(std::string(300, 'x')) == std::string(300, 'x'));
  // Escapes count towards the limit and are never split.
  CHECK(escape_untrusted("ab\n", 3) == "ab... (truncated, 3 bytes)");
  CHECK(escape_untrusted("a\xc3\xa9", 2) == "a... (truncated, 3 bytes)");
}

}  // namespace
}  // namespace acmed
