// File: acmed/solvers/settings.hpp
//
// Helpers for a solver factory validating its own config section.
//
//   if (auto r = check_keys(cfg.settings, {"mode", "listen"}, "http-01"); !r) return r;
//   auto mode = get_string(cfg.settings, "mode", "standalone");
#pragma once

#include <chrono>
#include <initializer_list>
#include <vector>
#include <string>
#include <string_view>

#include "acmed/config/value.hpp"
#include "acmed/core/result.hpp"

namespace acmed::solver {

/// Keys every solver section may hold and the config layer consumes itself.
inline constexpr std::string_view common_solver_keys[] = {"type", "domains"};

/// Fails on the first key that is neither in `allowed` nor a common key, naming file:line.
[[nodiscard]] Result<void> check_keys(const ConfigValue& section, std::initializer_list<std::string_view> allowed,
                                      std::string_view solver);
/// A scalar setting, `fallback` when absent; fails when present but not a scalar.
[[nodiscard]] Result<std::string> get_string(const ConfigValue& section, const std::string& key,
                                             std::string fallback, std::string_view solver);

/// A list of strings (a single scalar counts as a one-element list); empty when absent.
[[nodiscard]] Result<std::vector<std::string>> get_string_list(const ConfigValue& section, const std::string& key,
                                                               std::string_view solver);
/// A duration such as "500ms", "2s", "3m", "1h" or a plain number of seconds.
[[nodiscard]] Result<std::chrono::milliseconds> get_duration(const ConfigValue& section, const std::string& key,
                                                             std::chrono::milliseconds fallback, std::string_view solver);
/// A non-negative integer setting.
[[nodiscard]] Result<long> get_integer(const ConfigValue& section, const std::string& key, long fallback,
                                       std::string_view solver);
struct ListenAddress {
  std::string address;  ///< IP literal; "0.0.0.0" when the host part was empty
  unsigned short port = 0;
};
/// Parses "HOST:PORT", ":PORT" or "[V6]:PORT" where HOST is an IP literal.
[[nodiscard]] Result<ListenAddress> parse_listen_address(const std::string& text);

/// Where setting `key` is written (file:line:col) for error messages; the section's own
/// origin when the key is absent.
std::string setting_origin(const ConfigValue& section, const std::string& key);

/// The section's sub-mapping `key`, or an empty mapping located at the section.
ConfigValue sub_section(const ConfigValue& section, const std::string& key);

}  // namespace acmed::solver
