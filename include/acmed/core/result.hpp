// SPDX-License-Identifier: Apache-2.0
// File: acmed/core/result.hpp
//
// Result<T> carries either a value or an acmed::Error. Every function that can
// fail in an expected way returns one and is [[nodiscard]].
//
//   [[nodiscard]] Result<int> parse_port(std::string_view s);
//   auto p = parse_port("443"); if (!p) return tl::unexpected(p.error());
#pragma once

#include <tl/expected.hpp>

#include "acmed/core/error.hpp"

namespace acmed {

template <class T>
using Result = tl::expected<T, Error>;

/// Shorthand for returning a failure: `return fail(Errc::io, "cannot open " + p);`
inline tl::unexpected<Error> fail(Errc code, std::string message) {
  return tl::unexpected<Error>(Error(code, std::move(message)));
}
inline tl::unexpected<Error> fail(Error e) { return tl::unexpected<Error>(std::move(e)); }

}  // namespace acmed
