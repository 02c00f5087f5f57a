// SPDX-License-Identifier: Apache-2.0
// acmed::status page rendering: escaping of hostile text, section templates whose
// values can never become markup or placeholders, query parameters.
#include "acmed/status/page.hpp"

#include <catch2/catch.hpp>

namespace acmed::status {
namespace {

constexpr std::string_view page =
    "<!-- section page -->\n<ul>{{{rows}}}</ul><p>{{title}}</p>\n"
    "<!-- section row -->\n<li class=\"{{class}}\">{{name}}</li>\n";

TEST_CASE("html_escape: every character that can open markup or end an attribute", "[status][page]") {
  CHECK(html_escape("<script>alert('x')</script> & \"q\"") ==
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
  CHECK(html_escape("plain.example.com") == "plain.example.com");
}

TEST_CASE("fill: values are escaped, fragments are not, and a value is never read as a template", "[status][page]") {
  const std::string row = fill(page, "row", {{"name", "<b>{{title}}</b>"}, {"class", "\" onclick=\"x"}});
  CHECK(row == "<li class=\"&quot; onclick=&quot;x\">&lt;b&gt;{{title}}&lt;/b&gt;</li>\n");
  const std::string html = fill(page, "page", {{"rows", row}, {"title", "{{{rows}}}"}});
  CHECK(html == "<ul>" + row + "</ul><p>{{{rows}}}</p>\n");
}

TEST_CASE("fill: unknown sections are empty, unknown keys vanish, an unclosed placeholder ends the text",
          "[status][page]") {
  CHECK(fill(page, "missing", {}).empty());
  CHECK(fill(page, "row", {}) == "<li class=\"\"></li>\n");
  CHECK(fill("<!-- section s -->\nab{{cd", "s", {{"cd", "x"}}) == "ab");
}

TEST_CASE("query_param: exact keys only, first match, empty when absent", "[status][page]") {
  CHECK(query_param("format=zone&x=1", "format") == "zone");
  CHECK(query_param("xformat=json&format=octodns", "format") == "octodns");
  CHECK(query_param("a=1&&format=", "format").empty());
  CHECK(query_param("", "format").empty());
  CHECK(query_param("format=a&format=b", "format") == "a");
}

TEST_CASE("url_decode: plus and percent escapes; malformed escapes kept", "[status][page]") {
  CHECK(url_decode("www.example.com") == "www.example.com");
  CHECK(url_decode("a+b%20c%2Fd%2b") == "a b c/d+");
  CHECK(url_decode("%3Cscript%3E") == "<script>");
  CHECK(url_decode("100%") == "100%");
  CHECK(url_decode("%4") == "%4");
  CHECK(url_decode("%zz%41") == "%zzA");
}

}  // namespace
}  // namespace acmed::status
