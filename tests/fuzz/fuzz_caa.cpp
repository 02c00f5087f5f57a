// SPDX-License-Identifier: Apache-2.0
// Fuzz target: CAA as acmed reads it before an order (acmed/dns/ldns_resolver.hpp
// read_caa_answer, acmed/app/caa.hpp): the input as a DNS response (ldns' wire parser,
// the CNAME chain, the CAA RRs) whose records are then evaluated as the relevant RRset,
// and the input as one issue property value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "acmed/app/caa.hpp"
#include "acmed/dns/ldns_resolver.hpp"

using namespace acmed;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto v = app::caa::parse_issue_value(in)) {
    // What parses is a lower-case issuer and at most 32 parameters with lower-case tags.
    for (char c : v->issuer)
      if (c >= 'A' && c <= 'Z') __builtin_trap();
    if (v->parameters.size() > 32) __builtin_trap();
  }
  auto r = dns::read_caa_answer(in, "example.com");
  if (!r) return 0;
  if (r->records.size() > 64 || r->cnames.size() > 16) __builtin_trap();
  for (const char* name : {"example.com", "*.example.com"}) {
    app::caa::Request req{.name = name,
                          .ca_identities = {"ca.example"},
                          .account_uri = "https://ca.example/acct/1",
                          .methods = {"dns-persist-01", "http-01"}};
    auto verdict = app::caa::evaluate(r->records, "example.com", req);
    // Whatever the records hold, what acmed prints is one line without control bytes.
    for (const std::string* text : {&verdict.reason, &verdict.suggestion})
      for (char c : *text)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) __builtin_trap();
  }
  return 0;
}
