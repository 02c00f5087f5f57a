// SPDX-License-Identifier: Apache-2.0
#include "signature.hpp"

#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>

namespace acmed::test {

bool verify_jws_signature(std::string_view alg, std::string_view public_key_der, std::string_view signing_input,
                          std::string_view signature) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(public_key_der.data());
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pub(
      d2i_PUBKEY(nullptr, &p, static_cast<long>(public_key_der.size())), &EVP_PKEY_free);
  if (!pub) return false;

  const EVP_MD* md = nullptr;
  std::string sig(signature);
  if (alg == "ES256" || alg == "ES384") {
    const std::size_t width = alg == "ES256" ? 32 : 48;
    if (sig.size() != 2 * width) return false;
    md = alg == "ES256" ? EVP_sha256() : EVP_sha384();
    // Back to the DER ECDSA-Sig-Value that EVP_DigestVerify expects.
    ECDSA_SIG* es = ECDSA_SIG_new();
    auto* raw = reinterpret_cast<const unsigned char*>(sig.data());
    BIGNUM* r = BN_bin2bn(raw, static_cast<int>(width), nullptr);
    BIGNUM* s = BN_bin2bn(raw + width, static_cast<int>(width), nullptr);
    ECDSA_SIG_set0(es, r, s);
    unsigned char* der = nullptr;
    int n = i2d_ECDSA_SIG(es, &der);
    ECDSA_SIG_free(es);
    if (n <= 0) return false;
    sig.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
  } else if (alg == "RS256") {
    md = EVP_sha256();
  } else if (alg != "EdDSA") {
    return false;
  }

  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pub.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
}

std::string openssl_hmac(std::string_view alg, std::string_view key, std::string_view data) {
  const EVP_MD* md = alg == "HS256" ? EVP_sha256() : alg == "HS384" ? EVP_sha384() : alg == "HS512" ? EVP_sha512() : nullptr;
  if (!md) throw std::invalid_argument("openssl_hmac: unknown algorithm");
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace acmed::test
