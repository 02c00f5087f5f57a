// SPDX-License-Identifier: Apache-2.0
// File: acmed/status/page.hpp
//
// What the status interface needs to render pages safely: HTML escaping, a template
// of named sections with placeholders, and query parameters. A template section
// starts at a line `<!-- section NAME -->` and ends at the next one. In it, {{key}}
// becomes the HTML-escaped value and {{{key}}} a fragment the caller rendered from
// another section. Values are never read as templates, so hostile text (certificate
// names, DNS values, CA error text) can neither inject markup nor placeholders.
//
//   std::string row = status::fill(page, "row", {{"name", cert_name}});
//   std::string html = status::fill(page, "page", {{"rows", row}});   // {{{rows}}} in the template
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace acmed::status {

/// & < > " ' as entities.
std::string html_escape(std::string_view s);

/// Section `section` of `page` filled with `values`; "" when there is no such section.
/// Unknown keys become empty.
std::string fill(std::string_view page, std::string_view section, const std::map<std::string, std::string>& values);

/// The raw value of `key` in an undecoded query string ("a=1&b=2"); "" when absent.
std::string query_param(const std::string& query, const std::string& key);

/// A query value decoded: '+' is a space, %XX the byte XX; a malformed escape stays as it is.
std::string url_decode(std::string_view s);

}  // namespace acmed::status
