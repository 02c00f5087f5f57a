// SPDX-License-Identifier: Apache-2.0
// File: acmed/config/value.hpp
//
// A small configuration tree that carries where each value came from, so a
// solver or provider can validate its own section and still report
// "certs.d/www.yaml:12:5: ...". Produced by acmed::config_yaml; read by plugins.
//
//   const ConfigValue* port = section.find("port");
//   if (port && !port->is_scalar()) return fail(Errc::config, port->origin + ": port must be a number");
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace acmed {

struct ConfigValue {
  enum class Kind { null, scalar, list, map };
  Kind kind = Kind::null;
  std::string scalar;
  std::vector<ConfigValue> list;
  std::map<std::string, ConfigValue> map;
  std::string origin;  ///< "file:line:column", for error messages

  bool is_scalar() const { return kind == Kind::scalar; }
  bool is_list() const { return kind == Kind::list; }
  bool is_map() const { return kind == Kind::map; }
  const ConfigValue* find(const std::string& key) const {
    auto it = map.find(key);
    return it == map.end() ? nullptr : &it->second;
  }

  static ConfigValue make_scalar(std::string v, std::string where = {}) {
    ConfigValue c;
    c.kind = Kind::scalar;
    c.scalar = std::move(v);
    c.origin = std::move(where);
    return c;
  }
  static ConfigValue make_map(std::string where = {}) {
    ConfigValue c;
    c.kind = Kind::map;
    c.origin = std::move(where);
    return c;
  }
};

}  // namespace acmed
