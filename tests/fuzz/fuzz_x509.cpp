// SPDX-License-Identifier: Apache-2.0
// Fuzz target: what acmed reads out of certificates a CA returns or a file holds
// (acmed/core/crypto.hpp, x509_verify.hpp, acme verify_issued_chain): PEM bundles,
// DER certificates, and the chain checks made before anything is stored.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "acmed/acme/issuance.hpp"
#include "acmed/core/crypto.hpp"
#include "acmed/core/identifier.hpp"
#include "acmed/core/x509_verify.hpp"

using namespace acmed;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // The input as raw DER.
  if (auto info = inspect_certificate(in)) {
    // A certificate that inspects writes out as PEM that reads back as the same
    // certificate. Not byte for byte: OpenSSL re-encodes what it read, and accepts some
    // encodings that are not strict DER (as certificates in the wild have; refusing them
    // would refuse real CAs), so the round trip is compared by what acmed reads out.
    auto chain = parse_pem_chain(der_to_pem(in));
    if (!chain || chain->size() != 1) __builtin_trap();
    auto again = inspect_certificate((*chain)[0]);
    if (!again || again->serial_hex != info->serial_hex || again->dns_names != info->dns_names ||
        again->ip_addresses != info->ip_addresses || again->not_after != info->not_after ||
        again->public_key_der != info->public_key_der || again->ari_cert_id != info->ari_cert_id)
      __builtin_trap();
    (void)check_issued_by(in, in);
  }
  // The input as a PEM bundle, as a CA's certificate download.
  auto chain = parse_pem_chain(in);
  if (!chain) return 0;
  for (const auto& der : *chain) (void)inspect_certificate(der);
  for (std::size_t i = 0; i + 1 < chain->size() && i < 8; ++i) (void)check_issued_by((*chain)[i], (*chain)[i + 1]);
  std::vector<Identifier> ids;
  if (auto id = Identifier::parse("example.com")) ids.push_back(*id);
  std::string key;
  if (auto leaf = inspect_certificate(chain->front())) key = leaf->public_key_der;
  (void)acme::verify_issued_chain(in, key, ids, std::chrono::system_clock::now());
  return 0;
}
