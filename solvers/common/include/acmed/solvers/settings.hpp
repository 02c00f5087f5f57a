// SPDX-License-Identifier: Apache-2.0
// File: acmed/solvers/settings.hpp
//
// Helpers for a solver factory validating its own config section.
//
//   if (auto r = check_keys(cfg.settings, {"mode", "listen"}, "http-01"); !r) return r;
//   auto mode = get_string(cfg.settings, "mode", "standalone");
//
// A plugin can instead declare its settings once, as static data, and check against
// the declaration; the composition root passes the same declaration to whoever must
// know the keys without linking the plugin:
//   constexpr SettingSpec settings[] = {{.name = "command", .description = "program to run",
//                                        .type = SettingType::absolute_path}};
//   if (auto r = check_declared_keys(section, settings, "exec"); !r) return r;
#pragma once

#include <chrono>
#include <initializer_list>
#include <span>
#include <vector>
#include <string>
#include <string_view>

#include "acmed/config/value.hpp"
#include "acmed/core/result.hpp"

namespace acmed::solver {

/// Keys every solver section may hold and the config layer consumes itself.
inline constexpr std::string_view common_solver_keys[] = {"type", "domains"};

/// How a declared setting is written. The JSON Schema is generated from it; the
/// plugin's validate() still checks the value.
enum class SettingType {
  string,
  absolute_path,  ///< a string starting with '/'
  duration,       ///< "500ms", "30s", "5m", "1h", "30d" or plain seconds
  choice,         ///< one of SettingSpec::choices
};

/// One key of a plugin's configuration section. Declarations are static data, so the
/// views stay valid for the life of the program.
struct SettingSpec {
  std::string_view name;
  std::string_view description{};  ///< one line, for the JSON Schema and messages
  SettingType type = SettingType::string;
  bool credential = false;  ///< names a secret: a credentials file or a systemd credential
  std::span<const std::string_view> choices = {};  ///< SettingType::choice only
};

/// A plugin (e.g. the dns-01 provider "pdns") and the settings it declares, as the
/// composition root gathers them.
struct DeclaredSettings {
  std::string owner;
  std::vector<SettingSpec> settings;
};

/// Fails on the first key that is neither in `allowed` nor a common key, naming file:line.
[[nodiscard]] Result<void> check_keys(const ConfigValue& section, std::initializer_list<std::string_view> allowed,
                                      std::string_view solver);
[[nodiscard]] Result<void> check_keys(const ConfigValue& section, std::span<const std::string_view> allowed,
                                      std::string_view solver);
/// check_keys against a declaration: every declared name is allowed.
[[nodiscard]] Result<void> check_declared_keys(const ConfigValue& section, std::span<const SettingSpec> declared,
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
