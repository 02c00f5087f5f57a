// SPDX-License-Identifier: Apache-2.0
// Certificates made on the fly with OpenSSL, so tests never depend on files that expire.
//
//   auto key = PrivateKey::generate(KeyType::ec_p256);
//   CertSpec spec{.subject_cn = "a.example", .dns_names = {"a.example"}};
//   std::string der = make_certificate_der(spec, *key, *key);   // self-signed
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "acmed/core/crypto.hpp"

namespace acmed::test {

struct CertSpec {
  std::string subject_cn{};
  std::string issuer_cn{};  ///< empty: self-signed (issuer = subject)
  std::vector<std::string> dns_names{};
  std::vector<std::string> ip_addresses{};
  std::string serial_hex = "01";
  /// Whole seconds; defaults are 2025-01-01T00:00:00Z and 2035-01-01T00:00:00Z.
  std::chrono::system_clock::time_point not_before = std::chrono::system_clock::from_time_t(1735689600);
  std::chrono::system_clock::time_point not_after = std::chrono::system_clock::from_time_t(2051222400);
  bool is_ca = false;
  /// When not empty: an authorityKeyIdentifier extension whose keyIdentifier is these
  /// bytes (hex, as ARI's certID uses them, RFC 9773 §4.1).
  std::string authority_key_id_hex{};
};

/// A DER X.509 v3 certificate for `subject_key`, signed by `issuer_key`.
std::string make_certificate_der(const CertSpec& spec, const PrivateKey& subject_key, const PrivateKey& issuer_key);

/// PEM text of one DER certificate, written by OpenSSL (not acmed::der_to_pem).
std::string certificate_pem(const std::string& der);

/// A leaf for `dns_names` (CN = first name) followed by an intermediate named
/// "<root_cn> Intermediate" issued by `root_cn`, as one PEM bundle.
std::string make_chain_pem(const std::vector<std::string>& dns_names, const std::string& root_cn = "Test Root");

/// `der` with its notAfter replaced by an ASN.1 time string and re-signed by `issuer_key`,
/// for validity ends a time_point cannot hold ("99991231235959Z", RFC 5280 §4.1.2.5).
std::string with_not_after(const std::string& der, const std::string& asn1_time, const PrivateKey& issuer_key);

/// make_certificate_der for a subject known only by its public key (SubjectPublicKeyInfo
/// DER, e.g. taken from a CSR), as a CA sees it.
std::string make_certificate_der_for_public_key(const CertSpec& spec, std::string_view subject_public_key_der,
                                                const PrivateKey& issuer_key);

/// `leaf` holding `subject_public_key_der`, followed by a fresh intermediate
/// "<root_cn> Intermediate" issued by `root_cn`, as one PEM bundle. An empty
/// `leaf.issuer_cn` becomes the intermediate's name. With `leaf_signer` the leaf is
/// signed by that key instead of the intermediate's: a chain whose signature does not link.
std::string make_chain_pem_for_key(CertSpec leaf, std::string_view subject_public_key_der,
                                   const std::string& root_cn = "Test Root", const PrivateKey* leaf_signer = nullptr);

/// The SubjectPublicKeyInfo DER of a PKCS#10 CSR (DER), as a CA reads it; throws on garbage.
std::string csr_public_key(std::string_view csr_der);

}  // namespace acmed::test
