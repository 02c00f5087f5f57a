// SPDX-License-Identifier: Apache-2.0
// Out-of-line helpers shared by the crypto TUs: openssl_error() (acmed_detail/openssl.hpp)
// and the key helpers of crypto_detail.hpp.
#include "crypto_detail.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>

#include <string>

#include "acmed_detail/openssl.hpp"

namespace acmed::detail {

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  std::string out;
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out = buf;
  }
  ERR_clear_error();
  return out.empty() ? "unknown OpenSSL error" : out;
}

Result<KeyType> classify(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC: {
      char group[64] = {0};
      std::size_t len = 0;
      EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len);
      std::string g(group);
      if (g == "prime256v1" || g == "P-256") return KeyType::ec_p256;
      if (g == "secp384r1" || g == "P-384") return KeyType::ec_p384;
      return fail(Errc::crypto, "unsupported EC curve '" + g + "' (use P-256 or P-384)");
    }
    case EVP_PKEY_RSA: {
      int bits = EVP_PKEY_get_bits(key);
      if (bits < 2048) return fail(Errc::crypto, "RSA key of " + std::to_string(bits) + " bits is too small (minimum 2048)");
      if (bits <= 2048) return KeyType::rsa2048;
      if (bits <= 3072) return KeyType::rsa3072;
      return KeyType::rsa4096;
    }
    case EVP_PKEY_ED25519: return KeyType::ed25519;
    default: return fail(Errc::crypto, "unsupported private key algorithm");
  }
}

const EVP_MD* digest_for(KeyType t) {
  switch (t) {
    case KeyType::ec_p384: return EVP_sha384();
    case KeyType::ed25519: return nullptr;
    default: return EVP_sha256();
  }
}

}  // namespace acmed::detail
