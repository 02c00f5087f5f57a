// SPDX-License-Identifier: Apache-2.0
// File: acmed/app/state_copy.hpp
//
// Copying acmed's state between two StateStores: the way into fleet mode (the state
// directory into PostgreSQL, `acmed state import`) and the way back (`acmed state
// export`). It copies what a node needs to carry on: the account of each CA (key or
// token URI, URL, thumbprints, what the CA was seen to say), each certificate's current
// version with its key, and its renewal state. Nothing in the destination is replaced:
// an account that differs is refused, an identical one is left alone.
//
//   auto r = app::copy_state(pg_store, file_store, {"acme-v02.api.letsencrypt.org_directory"}, {"www"});
#pragma once

#include <string>
#include <vector>

#include "acmed/core/result.hpp"
#include "acmed/storage/store.hpp"

namespace acmed::app {

struct CopyReport {
  std::vector<std::string> copied;   ///< "account <ca>", "certificate www (version 3)", ...
  std::vector<std::string> skipped;  ///< already there, or nothing to copy, with the reason
};

/// `lock_source`: also hold each certificate's lock in `from` while it is read (a shared
/// store that other nodes renew in); not for a state directory the destination itself
/// writes into (fleet mode keeps its live/ there, under the same lock files).
[[nodiscard]] Result<CopyReport> copy_state(const storage::StateStore& from, const storage::StateStore& to,
                                            const std::vector<std::string>& cas,
                                            const std::vector<std::string>& certificates, bool lock_source = false);

}  // namespace acmed::app
