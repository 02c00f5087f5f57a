// SPDX-License-Identifier: Apache-2.0
// File: acmed/dns01/providers/pdns.hpp
//
// The PowerDNS Authoritative HTTP API (/api/v1). Section:
//   pdns:
//     api_url: http://127.0.0.1:8081      (https:// verified against ca_bundle or the system store)
//     server_id: localhost
//     api_key_file: /etc/acmed/pdns.key    mode 0600; or
//     credential: pdns                     a file in $CREDENTIALS_DIRECTORY
//     ca_bundle: /etc/acmed/pdns-ca.pem    optional
// Adding a value keeps the other TXT values of the RRset; removing drops only ours.
// The HTTP client is injected: the composition root passes transport::make_beast_client,
// tests a maker returning a fake.
//
//   providers.push_back(dns01::make_pdns_provider(transport::make_beast_client));
#pragma once

#include <memory>

#include "acmed/dns01/record_writer.hpp"
#include "acmed/transport/http_client.hpp"

namespace acmed::dns01 {

std::unique_ptr<ProviderFactory> make_pdns_provider(transport::HttpClientMaker http);

}  // namespace acmed::dns01
