// File: acmed/app/account.hpp
//
// Account rules that outlive one command. When the CA says the stored account no
// longer exists, registering again gives a NEW account URL: fine for certificates
// validated per order, fatal for DNS-PERSIST-01 records (and CAA accounturi pins),
// which name the old one. The decision is made here, once.
//
//   if (auto r = app::may_reregister(app::persist_certificates(dir), url, key_path); !r) return fail(r.error());
#pragma once

#include <string>
#include <vector>

#include "acmed/core/result.hpp"

namespace acmed::app {

/// Ok when registering a new account is harmless. Otherwise an error that names the
/// certificates whose records name `account_url` and the two ways out: restore the
/// key at `key_location`, or `acmed account register --new` and republish.
[[nodiscard]] Result<void> may_reregister(const std::vector<std::string>& persist_certificates,
                                          const std::string& account_url, const std::string& key_location);

}  // namespace acmed::app
