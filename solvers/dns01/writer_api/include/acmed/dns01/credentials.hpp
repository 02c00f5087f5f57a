// File: acmed/dns01/credentials.hpp
//
// Where DNS provider credentials come from: a file named in the provider section
// (`<file_key>: /etc/acmed/x.key`) or a systemd credential (`credential: NAME`,
// read from $CREDENTIALS_DIRECTORY). Either way the file must be private (0600).
//
//   auto secret = load_credential(section, "api_key_file");
#pragma once

#include <string>

#include "acmed/config/value.hpp"
#include "acmed/core/secret.hpp"

namespace acmed::dns01 {

[[nodiscard]] Result<Secret> load_credential(const ConfigValue& section, const std::string& file_key);

}  // namespace acmed::dns01
