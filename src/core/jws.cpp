// SPDX-License-Identifier: Apache-2.0
// JOSE: the public JWK and its RFC 7638 thumbprint, JWS signatures, and the SHA-256
// and HMAC primitives (key authorizations, EAB MACs).
#include "acmed/core/crypto.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "acmed/core/base64.hpp"
#include "acmed_detail/openssl.hpp"
#include "crypto_detail.hpp"

namespace acmed {

using namespace detail;

namespace {

std::string bn_bytes(const EVP_PKEY* key, const char* param, int pad_to) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &raw) != 1) return {};
  BnPtr bn(raw, &BN_free);
  int len = pad_to > 0 ? pad_to : BN_num_bytes(bn.get());
  std::string out(static_cast<std::size_t>(len), '\0');
  BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), len);
  return out;
}

}  // namespace

std::string PrivateKey::jws_alg() const {
  switch (type_) {
    case KeyType::ec_p256: return "ES256";
    case KeyType::ec_p384: return "ES384";
    case KeyType::ed25519: return "EdDSA";
    default: return "RS256";
  }
}

std::vector<std::pair<std::string, std::string>> PrivateKey::jwk_members() const {
  // Work on a provider-native copy of the public key: keys held in a PKCS#11 token
  // (engine keys) do not answer parameter queries, their public half does.
  std::string der = public_key_der();
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  EvpPkeyPtr pub(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())), &EVP_PKEY_free);
  EVP_PKEY* key = pub ? pub.get() : pk(pkey_);
  switch (type_) {
    case KeyType::ec_p256:
    case KeyType::ec_p384: {
      int width = type_ == KeyType::ec_p256 ? 32 : 48;
      return {{"crv", type_ == KeyType::ec_p256 ? "P-256" : "P-384"},
              {"kty", "EC"},
              {"x", base64url_encode(bn_bytes(key, OSSL_PKEY_PARAM_EC_PUB_X, width))},
              {"y", base64url_encode(bn_bytes(key, OSSL_PKEY_PARAM_EC_PUB_Y, width))}};
    }
    case KeyType::ed25519: {
      std::string raw(32, '\0');
      std::size_t len = raw.size();
      EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &len);
      raw.resize(len);
      return {{"crv", "Ed25519"}, {"kty", "OKP"}, {"x", base64url_encode(raw)}};
    }
    default:
      return {{"e", base64url_encode(bn_bytes(key, OSSL_PKEY_PARAM_RSA_E, 0))},
              {"kty", "RSA"},
              {"n", base64url_encode(bn_bytes(key, OSSL_PKEY_PARAM_RSA_N, 0))}};
  }
}

namespace {
std::string canonical_jwk(std::vector<std::pair<std::string, std::string>> members) {
  // RFC 7638 §3.3: required members only, sorted, no whitespace. Every value is a
  // base64url string or a fixed name, so no JSON escaping is needed.
  std::sort(members.begin(), members.end());
  std::string out = "{";
  for (const auto& [k, v] : members) {
    if (out.size() > 1) out += ',';
    out += "\"" + k + "\":\"" + v + "\"";
  }
  return out + "}";
}
}  // namespace

std::string jwk_thumbprint(std::vector<std::pair<std::string, std::string>> members) {
  return base64url_encode(sha256(canonical_jwk(std::move(members))));
}

std::string PrivateKey::jwk_canonical_json() const { return canonical_jwk(jwk_members()); }

std::string PrivateKey::thumbprint() const { return jwk_thumbprint(jwk_members()); }

Result<std::string> PrivateKey::sign(std::string_view data) const {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (EVP_DigestSignInit(ctx.get(), nullptr, digest_for(type_), nullptr, pk(pkey_)) != 1)
    return fail(Errc::crypto, "signing init failed: " + openssl_error());
  // One EVP_DigestSign call with a buffer of the key's maximum signature size: a first
  // size-query call would already consume the input for engine (PKCS#11) keys.
  std::size_t len = static_cast<std::size_t>(std::max(EVP_PKEY_get_size(pk(pkey_)), 64));
  auto in = reinterpret_cast<const unsigned char*>(data.data());
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in, data.size()) != 1)
    return fail(Errc::crypto, "signing failed: " + openssl_error());
  sig.resize(len);
  if (type_ != KeyType::ec_p256 && type_ != KeyType::ec_p384) return sig;
  // RFC 7518 §3.4: JWS wants R||S, each padded to the curve size, not DER.
  const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
  EcdsaSigPtr es(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())), &ECDSA_SIG_free);
  if (!es) return fail(Errc::crypto, "cannot decode ECDSA signature");
  int width = type_ == KeyType::ec_p256 ? 32 : 48;
  std::string raw(static_cast<std::size_t>(2 * width), '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  BN_bn2binpad(ECDSA_SIG_get0_r(es.get()), out, width);
  BN_bn2binpad(ECDSA_SIG_get0_s(es.get()), out + width, width);
  return raw;
}

std::string sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(md), len);
}

Result<std::string> hmac(std::string_view alg, std::string_view key, std::string_view data) {
  const char* digest = alg == "HS256" ? "SHA256" : alg == "HS384" ? "SHA384" : alg == "HS512" ? "SHA512" : nullptr;
  if (!digest) return fail(Errc::invalid_argument, "unsupported MAC algorithm '" + std::string(alg) + "'");
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  if (!EVP_Q_mac(nullptr, "HMAC", nullptr, digest, nullptr, key.data(), key.size(),
                 reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof out, &len))
    return fail(Errc::crypto, "HMAC failed: " + openssl_error());
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace acmed
