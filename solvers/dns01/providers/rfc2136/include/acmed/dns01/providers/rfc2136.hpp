// SPDX-License-Identifier: Apache-2.0
// File: acmed/dns01/providers/rfc2136.hpp
//
// RFC 2136 dynamic update signed with TSIG (RFC 8945), built on ldns. Section:
//   rfc2136:
//     server: 192.0.2.53[:53]          the primary that accepts updates
//     key_name: acmed                   TSIG key name
//     algorithm: hmac-sha256            hmac-sha256 | hmac-sha384 | hmac-sha512
//     secret_file: /etc/acmed/tsig.secret   base64 secret, mode 0600; or
//     key_file: /etc/acmed/tsig.key         a BIND "key" clause (name/algorithm taken from it); or
//     credential: tsig                      a file in $CREDENTIALS_DIRECTORY (systemd LoadCredential=)
#pragma once

#include <memory>

#include "acmed/dns01/record_writer.hpp"

namespace acmed::dns01 {

std::unique_ptr<ProviderFactory> make_rfc2136_provider();

}  // namespace acmed::dns01
