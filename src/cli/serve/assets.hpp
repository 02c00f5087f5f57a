// SPDX-License-Identifier: Apache-2.0
// The files of the `acmed serve` page (src/cli/serve/), embedded at build time by
// serve/embed.cmake, so they are edited as HTML, CSS and JavaScript:
//
//   return {200, "text/css", std::string(assets::style_css)};
#pragma once

#include <string_view>

namespace acmed::cli::assets {

extern const std::string_view page_html;  ///< page.html: the page's sections
extern const std::string_view style_css;  ///< style.css
extern const std::string_view app_js;     ///< app.js

}  // namespace acmed::cli::assets
