// SPDX-License-Identifier: Apache-2.0
#include "acmed/solvers/settings.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdlib>

namespace acmed::solver {

Result<void> check_keys(const ConfigValue& section, std::span<const std::string_view> allowed,
                        std::string_view solver) {
  if (section.kind == ConfigValue::Kind::null) return {};
  if (!section.is_map()) return fail(Errc::config, section.origin + ": " + std::string(solver) + " settings must be a mapping");
  for (const auto& [key, value] : section.map) {
    bool ok = std::find(allowed.begin(), allowed.end(), key) != allowed.end() ||
              std::find(std::begin(common_solver_keys), std::end(common_solver_keys), key) != std::end(common_solver_keys);
    if (!ok) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return fail(Errc::config, value.origin + ": unknown " + std::string(solver) + " setting '" + key +
                                    "' (expected one of: " + list + ")");
    }
  }
  return {};
}

Result<void> check_keys(const ConfigValue& section, std::initializer_list<std::string_view> allowed,
                        std::string_view solver) {
  return check_keys(section, std::span<const std::string_view>(allowed.begin(), allowed.size()), solver);
}

Result<void> check_declared_keys(const ConfigValue& section, std::span<const SettingSpec> declared,
                                 std::string_view solver) {
  std::vector<std::string_view> names;
  for (const auto& d : declared) names.push_back(d.name);
  return check_keys(section, names, solver);
}

Result<std::string> get_string(const ConfigValue& section, const std::string& key, std::string fallback,
                               std::string_view solver) {
  const ConfigValue* v = section.find(key);
  if (!v) return fallback;
  if (!v->is_scalar())
    return fail(Errc::config, v->origin + ": " + std::string(solver) + " setting '" + key + "' must be a string");
  return v->scalar;
}

Result<std::vector<std::string>> get_string_list(const ConfigValue& section, const std::string& key,
                                                 std::string_view solver) {
  std::vector<std::string> out;
  const ConfigValue* v = section.find(key);
  if (!v || v->kind == ConfigValue::Kind::null) return out;
  if (v->is_scalar()) return std::vector<std::string>{v->scalar};
  if (!v->is_list()) return fail(Errc::config, v->origin + ": " + std::string(solver) + " setting '" + key + "' must be a list");
  for (const auto& item : v->list) {
    if (!item.is_scalar())
      return fail(Errc::config, item.origin + ": " + std::string(solver) + " setting '" + key + "' must hold strings");
    out.push_back(item.scalar);
  }
  return out;
}

Result<std::chrono::milliseconds> get_duration(const ConfigValue& section, const std::string& key,
                                               std::chrono::milliseconds fallback, std::string_view solver) {
  const ConfigValue* v = section.find(key);
  if (!v) return fallback;
  auto bad = [&] {
    return fail(Errc::config, v->origin + ": " + std::string(solver) + " setting '" + key +
                                  "' must be a duration like 500ms, 30s, 5m, 1h or 30d");
  };
  if (!v->is_scalar() || v->scalar.empty()) return bad();
  std::size_t used = 0;
  long n = 0;
  try {
    n = std::stol(v->scalar, &used);
  } catch (const std::exception&) {
    return bad();
  }
  if (n < 0) return bad();
  std::string unit = v->scalar.substr(used);
  if (unit.empty() || unit == "s") return std::chrono::milliseconds(n * 1000);
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "m") return std::chrono::milliseconds(n * 60'000);
  if (unit == "h") return std::chrono::milliseconds(n * 3'600'000);
  if (unit == "d") return std::chrono::milliseconds(n * 86'400'000);
  return bad();
}

Result<long> get_integer(const ConfigValue& section, const std::string& key, long fallback, std::string_view solver) {
  const ConfigValue* v = section.find(key);
  if (!v) return fallback;
  std::size_t used = 0;
  long n = -1;
  try {
    if (v->is_scalar()) n = std::stol(v->scalar, &used);
  } catch (const std::exception&) {
    n = -1;
  }
  if (!v->is_scalar() || used != v->scalar.size() || n < 0)
    return fail(Errc::config, v->origin + ": " + std::string(solver) + " setting '" + key + "' must be a non-negative integer");
  return n;
}

Result<ListenAddress> parse_listen_address(const std::string& text) {
  std::string host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return fail(Errc::config, "listen address '" + text + "' must look like [::]:PORT");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return fail(Errc::config, "listen address '" + text + "' must be HOST:PORT");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) host = "0.0.0.0";
  unsigned char buf[16];
  if (inet_pton(AF_INET, host.c_str(), buf) != 1 && inet_pton(AF_INET6, host.c_str(), buf) != 1)
    return fail(Errc::config, "listen address '" + host + "' is not an IP address");
  char* end = nullptr;
  long p = port.empty() ? -1 : std::strtol(port.c_str(), &end, 10);
  if (p < 1 || p > 65535 || (end && *end != '\0'))
    return fail(Errc::config, "listen port '" + port + "' is not in 1..65535");
  return ListenAddress{host, static_cast<unsigned short>(p)};
}

std::string setting_origin(const ConfigValue& section, const std::string& key) {
  const ConfigValue* v = section.find(key);
  return v ? v->origin : section.origin;
}

ConfigValue sub_section(const ConfigValue& section, const std::string& key) {
  if (const ConfigValue* v = section.find(key)) return *v;
  return ConfigValue::make_map(section.origin);
}

}  // namespace acmed::solver
