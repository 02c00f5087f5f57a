// Key types, key generation and PEM load/save of PrivateKey.
#include "acmed/core/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <string>
#include <string_view>

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
