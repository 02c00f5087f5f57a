// SPDX-License-Identifier: Apache-2.0
// File: acmed/core/crypto.hpp
//
// Keys, JWK, signatures, CSRs and certificate inspection. OpenSSL types stay in
// src/core; this header only exposes value types and a pimpl'd key.
//
//   auto key = PrivateKey::generate(KeyType::ec_p256);
//   std::string sig = key->sign("payload");        // raw JWS signature bytes
//   std::string tp = key->thumbprint();             // RFC 7638, base64url
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "acmed/core/identifier.hpp"
#include "acmed/core/result.hpp"
#include "acmed/core/secret.hpp"

namespace acmed {

enum class KeyType { ec_p256, ec_p384, rsa2048, rsa3072, rsa4096, ed25519 };

/// "ec-p256", "ec-p384", "rsa2048", "rsa3072", "rsa4096", "ed25519".
std::string to_string(KeyType t);
[[nodiscard]] Result<KeyType> parse_key_type(std::string_view text);

/// An asymmetric private key. Move-only; the PEM leaves it only as a Secret.
class PrivateKey {
 public:
  [[nodiscard]] static Result<PrivateKey> generate(KeyType type);
  /// Loads a PKCS#8 or traditional PEM private key. RSA keys below 2048 bits are rejected.
  [[nodiscard]] static Result<PrivateKey> from_pem(std::string_view pem);
  /// A private JWK (RFC 7517/7518) given as its members, each value as in the JSON text
  /// (base64url for the key material): RSA (n, e, d, p, q, dp, dq, qi), EC P-256/P-384
  /// (crv, x, y, d) or OKP Ed25519 (crv, x, d). The pair is checked for consistency;
  /// RSA below 2048 bits is rejected. Used to adopt certbot's account key.
  [[nodiscard]] static Result<PrivateKey> from_jwk(const std::map<std::string, std::string>& members);
  /// A key that stays in a PKCS#11 token (RFC 7512 URI, e.g. "pkcs11:token=acmed;object=account"),
  /// used through OpenSSL's pkcs11 engine (libp11) with `module`. acmed signs with it but
  /// never holds the private key; `pin` unlocks the token and is never logged.
  [[nodiscard]] static Result<PrivateKey> from_pkcs11(const std::string& uri, const std::string& module,
                                                      const Secret& pin);
  /// The PKCS#11 URI for token keys; empty for keys held in memory.
  const std::string& token_uri() const { return uri_; }

  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;
  ~PrivateKey();

  KeyType type() const { return type_; }
  /// JWS "alg" for this key: ES256, ES384, RS256 or EdDSA.
  std::string jws_alg() const;
  /// The public JWK members in the lexicographic order RFC 7638 requires.
  std::vector<std::pair<std::string, std::string>> jwk_members() const;
  /// The RFC 7638 canonical JSON of the public JWK.
  std::string jwk_canonical_json() const;
  /// base64url(SHA-256(canonical JWK)) — RFC 7638 §3.
  std::string thumbprint() const;
  /// Signs `data` for JWS: ECDSA signatures are the fixed-width r||s form (RFC 7518 §3.4).
  [[nodiscard]] Result<std::string> sign(std::string_view data) const;
  /// PKCS#8 PEM (empty for token keys, which cannot leave the token).
  Secret to_pem() const;
  /// SubjectPublicKeyInfo DER; equal for a private key and the certificate made from it.
  std::string public_key_der() const;

  /// Internal handle for other acmed crypto functions (an EVP_PKEY*).
  void* native_handle_for_internal_use() const { return pkey_; }

 private:
  PrivateKey(void* pkey, KeyType t, std::string uri = {}) : pkey_(pkey), type_(t), uri_(std::move(uri)) {}
  void* pkey_ = nullptr;
  KeyType type_ = KeyType::ec_p256;
  std::string uri_;
};

/// DER-encoded PKCS#10 request with every identifier in subjectAltName (DNS or IP)
/// and, when it fits in 64 octets, the first DNS name as CN.
[[nodiscard]] Result<std::string> make_csr_der(const PrivateKey& key, const std::vector<Identifier>& ids);

/// RFC 7638 thumbprint of a public JWK given as its required members (any order):
/// base64url(SHA-256(canonical JSON)).
std::string jwk_thumbprint(std::vector<std::pair<std::string, std::string>> members);

std::string sha256(std::string_view data);

/// AES-256-GCM (OpenSSL EVP) with a random nonce, for secrets stored where this machine
/// does not control access (the PostgreSQL state store). `aad` names what the value is,
/// so a sealed value copied to another place does not open there. `key` is 32 bytes.
[[nodiscard]] Result<std::string> aead_seal(const Secret& key, std::string_view aad, std::string_view plaintext);
[[nodiscard]] Result<Secret> aead_open(const Secret& key, std::string_view aad, std::string_view sealed);
[[nodiscard]] Result<std::string> hmac(std::string_view alg /* HS256|HS384|HS512 */, std::string_view key,
                                       std::string_view data);

/// What acmed needs to know about a certificate.
struct CertificateInfo {
  std::string subject_cn;
  std::string issuer_cn;
  std::string serial_hex;  ///< lowercase, no leading zeros
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
  std::string public_key_der;
  std::string key_type;  ///< "ec-p256", "rsa2048", "ed25519", ...
  /// RFC 9773 §4.1 certID: base64url(AKI keyIdentifier) "." base64url(serial DER content); empty without AKI.
  std::string ari_cert_id;
};

/// Splits a PEM bundle into DER certificates. Fails on an empty bundle or garbage.
[[nodiscard]] Result<std::vector<std::string>> parse_pem_chain(std::string_view pem);
[[nodiscard]] Result<CertificateInfo> inspect_certificate(std::string_view der);
std::string der_to_pem(std::string_view der);

}  // namespace acmed
