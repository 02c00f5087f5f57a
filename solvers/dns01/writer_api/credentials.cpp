// SPDX-License-Identifier: Apache-2.0
#include "acmed/dns01/credentials.hpp"

#include <cstdlib>

namespace acmed::dns01 {

Result<Secret> load_credential(const ConfigValue& section, const std::string& file_key) {
  if (const ConfigValue* c = section.find("credential")) {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (!dir || !*dir)
      return fail(Errc::config, c->origin + ": 'credential: " + c->scalar +
                                    "' needs $CREDENTIALS_DIRECTORY (systemd LoadCredential=" + c->scalar + ":PATH)");
    if (c->scalar.empty() || c->scalar.find('/') != std::string::npos)
      return fail(Errc::config, c->origin + ": a credential name must be a plain file name");
    return read_secret_file(std::string(dir) + "/" + c->scalar);
  }
  const ConfigValue* f = section.find(file_key);
  if (!f || !f->is_scalar() || f->scalar.empty())
    return fail(Errc::config, section.origin + ": needs '" + file_key + "' or 'credential'");
  return read_secret_file(f->scalar);
}

}  // namespace acmed::dns01
