// SPDX-License-Identifier: Apache-2.0
// AES-256-GCM sealing of secrets kept outside this machine (the PostgreSQL state store),
// with OpenSSL's EVP AEAD interface. Format: "A1" | 12-byte random nonce | ciphertext |
// 16-byte tag. The associated data names what the value is (for example
// "account-key:<ca>"), so a sealed value moved to another row fails to open.
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "acmed/core/crypto.hpp"
#include "acmed_detail/openssl.hpp"

namespace acmed {
namespace {

constexpr std::string_view magic = "A1";
constexpr std::size_t nonce_len = 12, tag_len = 16;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

}  // namespace

Result<std::string> aead_seal(const Secret& key, std::string_view aad, std::string_view plaintext) {
  if (key.size() != 32) return fail(Errc::crypto, "the encryption key must be 32 bytes (AES-256)");
  std::string out(magic);
  out.resize(magic.size() + nonce_len + plaintext.size() + tag_len);
  auto* nonce = reinterpret_cast<unsigned char*>(out.data() + magic.size());
  if (RAND_bytes(nonce, static_cast<int>(nonce_len)) != 1) return fail(Errc::crypto, "no random bytes for a nonce");
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  auto* ct = reinterpret_cast<unsigned char*>(out.data() + magic.size() + nonce_len);
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce_len), nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, reinterpret_cast<const unsigned char*>(key.view().data()), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), ct, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_len), ct + plaintext.size()) != 1)
    return fail(Errc::crypto, "AES-256-GCM encryption failed: " + detail::openssl_error());
  return out;
}

Result<Secret> aead_open(const Secret& key, std::string_view aad, std::string_view sealed) {
  if (key.size() != 32) return fail(Errc::crypto, "the encryption key must be 32 bytes (AES-256)");
  if (sealed.size() < magic.size() + nonce_len + tag_len || sealed.substr(0, magic.size()) != magic)
    return fail(Errc::crypto, "not a value sealed by acmed (unknown format)");
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data() + magic.size());
  const std::size_t ct_len = sealed.size() - magic.size() - nonce_len - tag_len;
  const auto* ct = nonce + nonce_len;
  std::string plain(ct_len, '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0, final_len = 0;
  bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce_len), nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, reinterpret_cast<const unsigned char*>(key.view().data()), nonce) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                              static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, ct, static_cast<int>(ct_len)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_len),
                                const_cast<unsigned char*>(ct + ct_len)) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &final_len) == 1;
  Secret result(std::move(plain));
  if (!ok) {
    detail::openssl_error();  // clears the queue
    return fail(Errc::crypto, "cannot decrypt: wrong encryption key, or the value was altered or moved");
  }
  return result;
}

}  // namespace acmed
