#include "acmed/solvers/settings.hpp"

#include <algorithm>

namespace acmed::solver {

Result<void> check_keys(const ConfigValue& section, std::initializer_list<std::string_view> allowed,
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

Result<std::string> get_string(const ConfigValue& section, const std::string& key, std::string fallback,
                               std::string_view solver) {
  const ConfigValue* v = section.find(key);
  if (!v) return fallback;
  if (!v->is_scalar())
    return fail(Errc::config, v->origin + ": " + std::string(solver) + " setting '" + key + "' must be a string");
  return v->scalar;
}

}  // namespace acmed::solver
