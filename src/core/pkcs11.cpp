// SPDX-License-Identifier: Apache-2.0
// PrivateKey::from_pkcs11: keys that stay in a PKCS#11 token, used through libp11.
#include "acmed/core/crypto.hpp"

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <string>

#include "acmed_detail/openssl.hpp"
#include "crypto_detail.hpp"

namespace acmed {

using namespace detail;

namespace {

/// OpenSSL's pkcs11 engine (libp11), initialised once per process with `module`.
/// The ENGINE API is deprecated in OpenSSL 3, but bookworm ships no pkcs11 provider.
ENGINE* pkcs11_engine(const std::string& module) {
  static std::mutex mu;
  static std::map<std::string, ENGINE*> engines;
  std::lock_guard lock(mu);
  if (auto it = engines.find(module); it != engines.end()) return it->second;
  ENGINE_load_builtin_engines();
  ENGINE* e = ENGINE_by_id("pkcs11");
  if (!e) return nullptr;
  if (!ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module.c_str(), 0) || !ENGINE_init(e)) {
    ENGINE_free(e);
    return nullptr;
  }
  engines[module] = e;
  return e;
}

}  // namespace

Result<PrivateKey> PrivateKey::from_pkcs11(const std::string& uri, const std::string& module, const Secret& pin) {
  if (uri.rfind("pkcs11:", 0) != 0) return fail(Errc::config, "'" + uri + "' is not a PKCS#11 URI (pkcs11:token=...;object=...)");
  if (uri.find("pin-value") != std::string::npos)
    return fail(Errc::config, "put the token PIN in account.pkcs11.pin_file, not in the URI");
  ENGINE* engine = pkcs11_engine(module);
  if (!engine) return fail(Errc::crypto, "cannot load OpenSSL's pkcs11 engine with module " + module + ": " + openssl_error() +
                                             " (Debian: libengine-pkcs11-openssl)");
  if (!pin.empty()) {
    std::string p(pin.view());
    int ok = ENGINE_ctrl_cmd_string(engine, "PIN", p.c_str(), 0);
    OPENSSL_cleanse(p.data(), p.size());
    if (!ok) return fail(Errc::crypto, "the pkcs11 engine refused the PIN");
  }
  std::string with_type = uri.find("type=") == std::string::npos ? uri + ";type=private" : uri;
  EVP_PKEY* key = ENGINE_load_private_key(engine, with_type.c_str(), nullptr, nullptr);
  if (!key) return fail(Errc::crypto, "no private key at " + uri + " (wrong token/object, or wrong PIN): " + openssl_error());
  auto t = classify(key);
  if (!t) {
    EVP_PKEY_free(key);
    return fail(t.error());
  }
  PrivateKey out(key, *t, uri);
  // libp11 finds a private key's public half by CKA_ID. Key pairs sharing an ID (often
  // an empty one) give a public key that does not belong to the private key, and every
  // JWS would fail at the CA. Prove the pair with one signature now.
  auto probe = out.sign("acmed pkcs11 key check");
  std::string der = out.public_key_der();
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  EvpPkeyPtr pub(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())), &EVP_PKEY_free);
  bool ok = probe && pub;
  if (ok) {
    std::string sig = *probe;
    if (*t == KeyType::ec_p256 || *t == KeyType::ec_p384) {  // r||s back to DER for the verifier
      std::size_t half = sig.size() / 2;
      EcdsaSigPtr es(ECDSA_SIG_new(), &ECDSA_SIG_free);
      ECDSA_SIG_set0(es.get(), BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()), static_cast<int>(half), nullptr),
                     BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + half, static_cast<int>(half), nullptr));
      unsigned char* d = nullptr;
      int n = i2d_ECDSA_SIG(es.get(), &d);
      sig.assign(reinterpret_cast<char*>(d), static_cast<std::size_t>(std::max(n, 0)));
      OPENSSL_free(d);
    }
    EvpMdCtxPtr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    const std::string msg = "acmed pkcs11 key check";
    ok = EVP_DigestVerifyInit(ctx.get(), nullptr, digest_for(*t), nullptr, pub.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
  }
  ERR_clear_error();
  if (!ok)
    return fail(Errc::crypto, "the token's public key for " + uri + " does not match its private key; give each key "
                              "pair in the token its own CKA_ID");
  return out;
}

}  // namespace acmed
