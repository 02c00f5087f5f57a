// SPDX-License-Identifier: Apache-2.0
// Key types, key generation and PEM load/save of PrivateKey.
#include "acmed/core/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <string>
#include <string_view>

#include "acmed/core/base64.hpp"
#include "acmed/core/text.hpp"
#include "acmed_detail/openssl.hpp"
#include "crypto_detail.hpp"

namespace acmed {

using namespace detail;

std::string to_string(KeyType t) {
  switch (t) {
    case KeyType::ec_p256: return "ec-p256";
    case KeyType::ec_p384: return "ec-p384";
    case KeyType::rsa2048: return "rsa2048";
    case KeyType::rsa3072: return "rsa3072";
    case KeyType::rsa4096: return "rsa4096";
    case KeyType::ed25519: return "ed25519";
  }
  return "unknown";
}

Result<KeyType> parse_key_type(std::string_view text) {
  for (KeyType t : {KeyType::ec_p256, KeyType::ec_p384, KeyType::rsa2048, KeyType::rsa3072, KeyType::rsa4096,
                    KeyType::ed25519})
    if (text == to_string(t)) return t;
  return fail(Errc::invalid_argument, "unknown key type '" + std::string(text) +
                                          "' (expected ec-p256, ec-p384, rsa2048, rsa3072, rsa4096 or ed25519)");
}

PrivateKey::PrivateKey(PrivateKey&& o) noexcept : pkey_(o.pkey_), type_(o.type_), uri_(std::move(o.uri_)) {
  o.pkey_ = nullptr;
}
PrivateKey& PrivateKey::operator=(PrivateKey&& o) noexcept {
  if (this != &o) {
    EVP_PKEY_free(pk(pkey_));
    pkey_ = o.pkey_;
    type_ = o.type_;
    uri_ = std::move(o.uri_);
    o.pkey_ = nullptr;
  }
  return *this;
}
PrivateKey::~PrivateKey() { EVP_PKEY_free(pk(pkey_)); }

Result<PrivateKey> PrivateKey::generate(KeyType type) {
  EVP_PKEY* key = nullptr;
  switch (type) {
    case KeyType::ec_p256: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
    case KeyType::ec_p384: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"); break;
    case KeyType::rsa2048: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}); break;
    case KeyType::rsa3072: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{3072}); break;
    case KeyType::rsa4096: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{4096}); break;
    case KeyType::ed25519: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
  }
  if (!key) return fail(Errc::crypto, "key generation failed: " + openssl_error());
  return PrivateKey(key, type);
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
  auto bio = mem_bio(pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!key) {
    ERR_clear_error();
    return fail(Errc::crypto, "not a PEM private key (or it is encrypted)");
  }
  auto t = classify(key);
  if (!t) {
    EVP_PKEY_free(key);
    return fail(t.error());
  }
  return PrivateKey(key, *t);
}

namespace {

/// A JWK member's bytes: base64url, at most `max` bytes once decoded (the largest RSA
/// key acmed uses is 4096 bits; a JWK is outside input).
Result<Secret> jwk_bytes(const std::map<std::string, std::string>& m, const char* name, std::size_t max = 1024) {
  auto it = m.find(name);
  if (it == m.end() || it->second.empty()) return fail(Errc::crypto, std::string("the JWK has no '") + name + "'");
  if (it->second.size() > max * 4 / 3 + 4) return fail(Errc::crypto, std::string("the JWK's '") + name + "' is too long");
  auto raw = base64url_decode(it->second);
  if (!raw) return fail(Errc::crypto, std::string("the JWK's '") + name + "' is not base64url");
  return Secret(std::move(*raw));
}

struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct BnClearFree {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
using SecretBn = std::unique_ptr<BIGNUM, BnClearFree>;  // key material: cleared when freed

/// A BIGNUM in OpenSSL's secure heap (so OSSL_PARAM_BLD also keeps its copy there) and
/// cleared when freed.
BIGNUM* secret_bn(std::string_view bytes) {
  BIGNUM* bn = BN_secure_new();
  if (bn && !BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), bn)) {
    BN_clear_free(bn);
    return nullptr;
  }
  return bn;
}

Result<EVP_PKEY*> from_params(const char* algorithm, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr),
                                                                  EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_KEYPAIR, params.get()) <= 0 || !key)
    return fail(Errc::crypto, "the JWK is not a valid " + std::string(algorithm) + " key: " + openssl_error());
  // The members must describe one key pair (a JWK with a foreign public half would
  // sign with one key and show another).
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr),
                                                                    EVP_PKEY_CTX_free);
  if (!check || EVP_PKEY_pairwise_check(check.get()) != 1) {
    EVP_PKEY_free(key);
    ERR_clear_error();
    return fail(Errc::crypto, "the JWK's private and public members do not form one key pair");
  }
  return key;
}

}  // namespace

Result<PrivateKey> PrivateKey::from_jwk(const std::map<std::string, std::string>& m) {
  auto kty = m.find("kty");
  if (kty == m.end()) return fail(Errc::crypto, "the JWK has no 'kty'");
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld) return fail(Errc::crypto, "out of memory");
  std::vector<SecretBn> numbers;  // the builder keeps pointers to them until to_param
  Result<EVP_PKEY*> key = fail(Errc::crypto, "");
  if (kty->second == "RSA") {
    static constexpr std::pair<const char*, const char*> members[] = {
        {"n", OSSL_PKEY_PARAM_RSA_N},          {"e", OSSL_PKEY_PARAM_RSA_E},
        {"d", OSSL_PKEY_PARAM_RSA_D},          {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
        {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
        {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1}};
    for (const auto& [name, param] : members) {
      auto bytes = jwk_bytes(m, name);
      if (!bytes) return fail(bytes.error());
      SecretBn bn(secret_bn(bytes->view()));
      if (!bn || OSSL_PARAM_BLD_push_BN(bld.get(), param, bn.get()) != 1)
        return fail(Errc::crypto, std::string("the JWK's '") + name + "' is not usable");
      numbers.push_back(std::move(bn));
    }
    key = from_params("RSA", bld.get());
  } else if (kty->second == "EC" || kty->second == "OKP") {
    auto crv = m.find("crv");
    if (crv == m.end()) return fail(Errc::crypto, "the JWK has no 'crv'");
    const bool okp = kty->second == "OKP";
    std::string group;
    std::size_t width = 0;
    if (!okp && crv->second == "P-256") group = "P-256", width = 32;
    else if (!okp && crv->second == "P-384") group = "P-384", width = 48;
    else if (okp && crv->second == "Ed25519") width = 32;
    else return fail(Errc::crypto, "unsupported JWK curve '" + escape_untrusted(crv->second, 40) + "' (acmed uses P-256, P-384 and Ed25519)");
    auto d = jwk_bytes(m, "d", 64);
    auto x = jwk_bytes(m, "x", 64);
    if (!d) return fail(d.error());
    if (!x) return fail(x.error());
    if (d->size() != width || x->size() != width) return fail(Errc::crypto, "the JWK's 'd' or 'x' has the wrong length for " + crv->second);
    if (okp) {
      if (OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d->view().data(), d->size()) != 1 ||
          OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, x->view().data(), x->size()) != 1)
        return fail(Errc::crypto, "the JWK is not usable");
      key = from_params("ED25519", bld.get());
    } else {
      auto y = jwk_bytes(m, "y", 64);
      if (!y) return fail(y.error());
      if (y->size() != width) return fail(Errc::crypto, "the JWK's 'y' has the wrong length for " + crv->second);
      std::string point = "\x04" + std::string(x->view()) + std::string(y->view());
      SecretBn priv(secret_bn(d->view()));
      if (!priv || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.c_str(), 0) != 1 ||
          OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1 ||
          OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get()) != 1)
        return fail(Errc::crypto, "the JWK is not usable");
      numbers.push_back(std::move(priv));
      key = from_params("EC", bld.get());
    }
  } else {
    return fail(Errc::crypto, "unsupported JWK key type '" + escape_untrusted(kty->second, 40) + "'");
  }
  if (!key) return fail(key.error());
  auto t = classify(*key);
  if (!t) {
    EVP_PKEY_free(*key);
    return fail(t.error());
  }
  return PrivateKey(*key, *t);
}

Secret PrivateKey::to_pem() const {
  if (!uri_.empty()) return Secret();
  auto bio = new_mem_bio();
  PEM_write_bio_PrivateKey(bio.get(), pk(pkey_), nullptr, nullptr, 0, nullptr, nullptr);
  Secret s(bio_contents(bio.get()));
  // The BIO's buffer held key bytes too.
  char* p = nullptr;
  long n = BIO_get_mem_data(bio.get(), &p);
  if (p && n > 0) OPENSSL_cleanse(p, static_cast<std::size_t>(n));
  return s;
}

std::string PrivateKey::public_key_der() const {
  unsigned char* buf = nullptr;
  int n = i2d_PUBKEY(pk(pkey_), &buf);
  if (n <= 0) return {};
  std::string out(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
  OPENSSL_free(buf);
  return out;
}

}  // namespace acmed
