#include "acmed/core/crypto.hpp"

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/core_names.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <ctime>

#include "acmed/core/base64.hpp"
#include "acmed_detail/openssl.hpp"

namespace acmed {
namespace detail {
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
}  // namespace detail

using namespace detail;

namespace {

EVP_PKEY* pk(void* p) { return static_cast<EVP_PKEY*>(p); }

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

std::string bn_bytes(const EVP_PKEY* key, const char* param, int pad_to) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &raw) != 1) return {};
  BnPtr bn(raw, &BN_free);
  int len = pad_to > 0 ? pad_to : BN_num_bytes(bn.get());
  std::string out(static_cast<std::size_t>(len), '\0');
  BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), len);
  return out;
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

std::string tm_name_entry(X509_NAME* name) {
  int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0) return {};
  ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

std::chrono::system_clock::time_point asn1_time(const ASN1_TIME* t) {
  std::tm tm{};
  ASN1_TIME_to_tm(t, &tm);
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

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

Result<std::string> make_csr_der(const PrivateKey& key, const std::vector<Identifier>& ids) {
  if (ids.empty()) return fail(Errc::invalid_argument, "a CSR needs at least one identifier");
  X509ReqPtr req(X509_REQ_new(), &X509_REQ_free);
  X509_REQ_set_version(req.get(), 0);
  EVP_PKEY* pkey = static_cast<EVP_PKEY*>(key.native_handle_for_internal_use());
  X509_REQ_set_pubkey(req.get(), pkey);

  for (const auto& id : ids) {
    // CN is limited to 64 octets (RFC 5280 ub-common-name); SANs carry everything anyway.
    if (id.type == Identifier::Type::dns && id.value.size() <= 64) {
      X509_NAME* name = X509_REQ_get_subject_name(req.get());
      X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(id.value.c_str()), -1, -1, 0);
      break;
    }
  }

  GeneralNamesPtr names(sk_GENERAL_NAME_new_null(), &GENERAL_NAMES_free);
  for (const auto& id : ids) {
    GENERAL_NAME* gn = nullptr;
    if (id.type == Identifier::Type::dns) {
      gn = GENERAL_NAME_new();
      ASN1_IA5STRING* s = ASN1_IA5STRING_new();
      ASN1_STRING_set(s, id.value.data(), static_cast<int>(id.value.size()));
      GENERAL_NAME_set0_value(gn, GEN_DNS, s);
    } else {
      gn = a2i_GENERAL_NAME(nullptr, nullptr, nullptr, GEN_IPADD, id.value.c_str(), 0);
      if (!gn) return fail(Errc::crypto, "cannot encode IP address " + id.value);
    }
    sk_GENERAL_NAME_push(names.get(), gn);
  }
  STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
  X509V3_add1_i2d(&exts, NID_subject_alt_name, names.get(), 0, 0);
  X509_REQ_add_extensions(req.get(), exts);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);

  if (X509_REQ_sign(req.get(), pkey, digest_for(key.type())) <= 0)
    return fail(Errc::crypto, "CSR signing failed: " + openssl_error());
  unsigned char* der = nullptr;
  int n = i2d_X509_REQ(req.get(), &der);
  if (n <= 0) return fail(Errc::crypto, "CSR encoding failed: " + openssl_error());
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
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

Result<std::vector<std::string>> parse_pem_chain(std::string_view pem) {
  auto bio = mem_bio(pem);
  std::vector<std::string> out;
  while (true) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
    if (!cert) break;
    unsigned char* der = nullptr;
    int n = i2d_X509(cert.get(), &der);
    if (n <= 0) return fail(Errc::crypto, "cannot encode certificate");
    out.emplace_back(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
  }
  ERR_clear_error();
  if (out.empty()) return fail(Errc::bad_response, "no PEM certificate found");
  // The loop stops at the first block it cannot read; a later BEGIN marker means a
  // corrupt certificate, and a partial chain must not pass as a whole one.
  std::size_t begins = 0;
  for (std::size_t pos = 0; (pos = pem.find("-----BEGIN", pos)) != std::string_view::npos; ++pos) ++begins;
  if (begins != out.size())
    return fail(Errc::bad_response, "PEM bundle holds " + std::to_string(begins) + " blocks but only " +
                                        std::to_string(out.size()) + " readable certificates");
  return out;
}

Result<CertificateInfo> inspect_certificate(std::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())), &X509_free);
  if (!cert) return fail(Errc::crypto, "cannot parse certificate: " + openssl_error());
  CertificateInfo info;
  info.subject_cn = tm_name_entry(X509_get_subject_name(cert.get()));
  info.issuer_cn = tm_name_entry(X509_get_issuer_name(cert.get()));
  BnPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr), &BN_free);
  char* hex = BN_bn2hex(serial.get());
  info.serial_hex = hex;
  OPENSSL_free(hex);
  for (auto& c : info.serial_hex) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (info.serial_hex.size() > 1 && info.serial_hex.front() == '0') info.serial_hex.erase(0, 1);
  info.not_before = asn1_time(X509_get0_notBefore(cert.get()));
  info.not_after = asn1_time(X509_get0_notAfter(cert.get()));
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  if (sans) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
      if (gn->type == GEN_DNS) {
        const ASN1_STRING* s = gn->d.dNSName;
        info.dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                    static_cast<std::size_t>(ASN1_STRING_length(s)));
      } else if (gn->type == GEN_IPADD) {
        const ASN1_OCTET_STRING* ip = gn->d.iPAddress;
        char buf[64] = {0};
        int af = ASN1_STRING_length(ip) == 4 ? AF_INET : AF_INET6;
        inet_ntop(af, ASN1_STRING_get0_data(ip), buf, sizeof buf);
        info.ip_addresses.emplace_back(buf);
      }
    }
    GENERAL_NAMES_free(sans);
  }
  if (const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(cert.get())) {
    const ASN1_INTEGER* sn = X509_get0_serialNumber(cert.get());
    // The serial's DER content octets, sign byte included (RFC 9773 §4.1).
    unsigned char* sn_der = nullptr;
    int n = i2d_ASN1_INTEGER(sn, &sn_der);
    if (n > 2) {
      std::string content(reinterpret_cast<char*>(sn_der) + 2, static_cast<std::size_t>(n - 2));
      if (static_cast<unsigned char>(sn_der[1]) & 0x80) {  // long-form length: skip the length octets too
        std::size_t len_octets = sn_der[1] & 0x7f;
        content = std::string(reinterpret_cast<char*>(sn_der) + 2 + len_octets, static_cast<std::size_t>(n) - 2 - len_octets);
      }
      info.ari_cert_id = base64url_encode(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(aki)),
                                                           static_cast<std::size_t>(ASN1_STRING_length(aki)))) +
                         "." + base64url_encode(content);
    }
    OPENSSL_free(sn_der);
  }
  EVP_PKEY* pub = X509_get0_pubkey(cert.get());
  if (pub) {
    unsigned char* buf = nullptr;
    int n = i2d_PUBKEY(pub, &buf);
    if (n > 0) {
      info.public_key_der.assign(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
      OPENSSL_free(buf);
    }
    auto t = classify(pub);
    info.key_type = t ? to_string(*t) : "other";
  }
  return info;
}

std::string der_to_pem(std::string_view der) {
  std::string b64 = base64_encode(der);
  std::string out = "-----BEGIN CERTIFICATE-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + "-----END CERTIFICATE-----\n";
}

}  // namespace acmed
