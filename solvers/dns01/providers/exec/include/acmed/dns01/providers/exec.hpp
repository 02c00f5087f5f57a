// SPDX-License-Identifier: Apache-2.0
// File: acmed/dns01/providers/exec.hpp
//
// Writes through an operator-supplied program (no shell):
//   exec:
//     command: /usr/local/bin/acme-dns-hook
//     timeout: 60s
// Called as `command present|cleanup FQDN VALUE` with ACMED_ZONE, ACMED_FQDN,
// ACMED_VALUE and ACMED_TTL in the environment. Exit 0 means done; anything else
// fails the step and the program's stderr is shown.
#pragma once

#include <memory>

#include "acmed/dns01/record_writer.hpp"

namespace acmed::dns01 {

std::unique_ptr<ProviderFactory> make_exec_provider();

}  // namespace acmed::dns01
