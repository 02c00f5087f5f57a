// SPDX-License-Identifier: Apache-2.0
// Independent checks of what acmed signs and MACs, done with OpenSSL directly so a
// bug in acmed's crypto cannot make its own output look right.
//
//   CHECK(verify_jws_signature("ES256", key->public_key_der(), p64 + "." + b64, sig));
#pragma once

#include <string>
#include <string_view>

namespace acmed::test {

/// Verifies a JWS signature: ES256/ES384 in the raw r||s form (RFC 7518 §3.4),
/// RS256 (PKCS#1 v1.5) or EdDSA, with a SubjectPublicKeyInfo DER public key.
bool verify_jws_signature(std::string_view alg, std::string_view public_key_der, std::string_view signing_input,
                          std::string_view signature);

/// HMAC via OpenSSL's HMAC() for "HS256", "HS384" or "HS512".
std::string openssl_hmac(std::string_view alg, std::string_view key, std::string_view data);

}  // namespace acmed::test
