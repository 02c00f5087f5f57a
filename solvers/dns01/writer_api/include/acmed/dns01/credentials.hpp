// SPDX-License-Identifier: Apache-2.0
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
#include "acmed/solvers/settings.hpp"

namespace acmed::dns01 {

/// The `credential` key every provider that loads a credential declares.
inline constexpr solver::SettingSpec credential_setting{
    .name = "credential",
    .description = "name of a systemd credential (LoadCredential=) holding the secret, instead of a file",
    .credential = true};

[[nodiscard]] Result<Secret> load_credential(const ConfigValue& section, const std::string& file_key);

}  // namespace acmed::dns01
