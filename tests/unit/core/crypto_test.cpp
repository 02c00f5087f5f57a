// SPDX-License-Identifier: Apache-2.0
#include "acmed/core/crypto.hpp"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include <map>
#include <memory>

#include "acmed/core/base64.hpp"
#include "acmed/core/time.hpp"
#include "signature.hpp"
#include "test_certs.hpp"

namespace acmed {
namespace {

using test::verify_jws_signature;

std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string pem_of(EVP_PKEY* key, bool traditional = false) {
  std::unique_ptr<BIO, decltype(&BIO_free_all)> bio(BIO_new(BIO_s_mem()), &BIO_free_all);
  if (traditional)
    PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  else
    PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* p = nullptr;
  long n = BIO_get_mem_data(bio.get(), &p);
  return std::string(p, static_cast<std::size_t>(n));
}

PrivateKey generate(KeyType t) {
  auto k = PrivateKey::generate(t);
  REQUIRE(k);
  return std::move(*k);
}

/// A PKCS#8 PEM of a freshly generated key of `t`, generated once per process: RSA 3072/4096
/// generation is slow and ctest runs every test case in its own process.
const std::string& generated_pem(KeyType t) {
  static std::map<KeyType, std::string> pems;
  auto it = pems.find(t);
  if (it == pems.end()) {
    auto k = PrivateKey::generate(t);
    REQUIRE(k);
    it = pems.emplace(t, std::string(k->to_pem().view())).first;
  }
  return it->second;
}

// --- JWK thumbprints ---------------------------------------------------------------

TEST_CASE("jwk_thumbprint matches the RFC 7638 section 3.1 RSA example", "[crypto][jwk]") {
  const std::string n =
      "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs"
      "tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5h"
      "ajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
  // Members deliberately out of order: the canonical form sorts them.
  CHECK(jwk_thumbprint({{"n", n}, {"kty", "RSA"}, {"e", "AQAB"}}) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  CHECK(jwk_thumbprint({{"kty", "RSA"}, {"e", "AQAB"}, {"n", n}}) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

// --- RFC 8037 Appendix A: Ed25519 ----------------------------------------------------

std::string rfc8037_private_key_pem() {
  auto d = base64url_decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
  REQUIRE(d);
  REQUIRE(d->size() == 32);
  const std::string der = unhex("302e020100300506032b657004220420") + *d;
  return "-----BEGIN PRIVATE KEY-----\n" + base64_encode(der) + "\n-----END PRIVATE KEY-----\n";
}

TEST_CASE("Ed25519 key from RFC 8037 A.1 has the A.2 public JWK and A.3 thumbprint", "[crypto][ed25519]") {
  auto key = PrivateKey::from_pem(rfc8037_private_key_pem());
  REQUIRE(key);
  CHECK(key->type() == KeyType::ed25519);
  CHECK(key->jws_alg() == "EdDSA");
  using M = std::vector<std::pair<std::string, std::string>>;
  CHECK(key->jwk_members() == M{{"crv", "Ed25519"}, {"kty", "OKP"}, {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}});
  CHECK(key->jwk_canonical_json() == R"({"crv":"Ed25519","kty":"OKP","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
  CHECK(key->thumbprint() == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
}

TEST_CASE("Ed25519 signature matches RFC 8037 A.4", "[crypto][ed25519]") {
  auto key = PrivateKey::from_pem(rfc8037_private_key_pem());
  REQUIRE(key);
  const std::string input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
  auto sig = key->sign(input);
  REQUIRE(sig);
  CHECK(base64url_encode(*sig) ==
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");
  CHECK(verify_jws_signature("EdDSA", key->public_key_der(), input, *sig));
}

// --- Signatures ----------------------------------------------------------------------

TEST_CASE("ES256 and ES384 signatures are fixed-width r||s and verify with OpenSSL", "[crypto][ecdsa]") {
  for (auto [type, alg, width] : {std::tuple{KeyType::ec_p256, "ES256", 64u}, std::tuple{KeyType::ec_p384, "ES384", 96u}}) {
    INFO(alg);
    auto key = generate(type);
    CHECK(key.jws_alg() == alg);
    const std::string der = key.public_key_der();
    // r or s has a leading zero byte once in 128 signatures on average; 600 runs make a
    // missing left-pad show up (as a short signature or a failed verify) in 99% of runs.
    for (int i = 0; i < 600; ++i) {
      const std::string input = "header." + std::to_string(i);
      auto sig = key.sign(input);
      REQUIRE(sig);
      REQUIRE(sig->size() == width);
      REQUIRE(verify_jws_signature(alg, der, input, *sig));
    }
    auto sig = key.sign("payload");
    REQUIRE(sig);
    CHECK_FALSE(verify_jws_signature(alg, der, "payloaD", *sig));
    std::string flipped = *sig;
    flipped[5] = static_cast<char>(flipped[5] ^ 1);
    CHECK_FALSE(verify_jws_signature(alg, der, "payload", flipped));
  }
}

TEST_CASE("RS256 signature verifies with OpenSSL", "[crypto][rsa]") {
  auto key = PrivateKey::from_pem(generated_pem(KeyType::rsa2048));
  REQUIRE(key);
  CHECK(key->jws_alg() == "RS256");
  auto sig = key->sign("protected.payload");
  REQUIRE(sig);
  CHECK(sig->size() == 256);
  CHECK(verify_jws_signature("RS256", key->public_key_der(), "protected.payload", *sig));
  CHECK_FALSE(verify_jws_signature("RS256", key->public_key_der(), "protected.payloaD", *sig));
}

TEST_CASE("Ed25519 generated keys sign verifiably", "[crypto][ed25519]") {
  auto key = generate(KeyType::ed25519);
  auto sig = key.sign("abc");
  REQUIRE(sig);
  CHECK(sig->size() == 64);
  CHECK(verify_jws_signature("EdDSA", key.public_key_der(), "abc", *sig));
}

// --- Keys ----------------------------------------------------------------------------

TEST_CASE("Every key type generates, round-trips through PEM and keeps its thumbprint", "[crypto][keys]") {
  const std::map<KeyType, std::string> algs{{KeyType::ec_p256, "ES256"}, {KeyType::ec_p384, "ES384"},
                                            {KeyType::rsa2048, "RS256"}, {KeyType::rsa3072, "RS256"},
                                            {KeyType::rsa4096, "RS256"}, {KeyType::ed25519, "EdDSA"}};
  for (const auto& [type, alg] : algs) {
    INFO(to_string(type));
    const std::string& pem = generated_pem(type);
    CHECK(pem.rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);  // PKCS#8
    auto a = PrivateKey::from_pem(pem);
    REQUIRE(a);
    CHECK(a->type() == type);
    CHECK(a->jws_alg() == alg);
    auto b = PrivateKey::from_pem(a->to_pem().view());
    REQUIRE(b);
    CHECK(b->type() == type);
    CHECK(b->thumbprint() == a->thumbprint());
    CHECK(b->public_key_der() == a->public_key_der());
    CHECK(b->thumbprint() == jwk_thumbprint(b->jwk_members()));
    CHECK(b->thumbprint().size() == 43);
    // A signature from the reloaded key verifies against the original public key.
    auto sig = b->sign("x.y");
    REQUIRE(sig);
    CHECK(verify_jws_signature(alg, a->public_key_der(), "x.y", *sig));
  }
}

TEST_CASE("RSA key sizes map to key types", "[crypto][keys]") {
  for (auto [type, bytes] : {std::pair{KeyType::rsa2048, 256u}, std::pair{KeyType::rsa3072, 384u},
                             std::pair{KeyType::rsa4096, 512u}}) {
    auto key = PrivateKey::from_pem(generated_pem(type));
    REQUIRE(key);
    const auto members = key->jwk_members();
    std::map<std::string, std::string> jwk(members.begin(), members.end());
    CHECK(jwk.at("kty") == "RSA");
    CHECK(jwk.at("e") == "AQAB");
    auto n = base64url_decode(jwk.at("n"));
    REQUIRE(n);
    CHECK(n->size() == bytes);  // no leading zero octet (RFC 7518 §6.3.1.1)
  }
}

TEST_CASE("EC JWK coordinates are full width and match the public key", "[crypto][jwk]") {
  for (auto [type, crv, width] : {std::tuple{KeyType::ec_p256, "P-256", 32u}, std::tuple{KeyType::ec_p384, "P-384", 48u}}) {
    INFO(crv);
    // x or y starts with a zero byte for one key in 128: 400 keys catch a missing pad in 96% of runs.
    for (int i = 0; i < 400; ++i) {
      auto key = generate(type);
      std::map<std::string, std::string> jwk;
      for (const auto& [k, v] : key.jwk_members()) jwk[k] = v;
      CHECK(jwk.size() == 4);
      CHECK(jwk.at("kty") == "EC");
      CHECK(jwk.at("crv") == crv);
      auto x = base64url_decode(jwk.at("x"));
      auto y = base64url_decode(jwk.at("y"));
      REQUIRE(x);
      REQUIRE(y);
      REQUIRE(x->size() == width);
      REQUIRE(y->size() == width);
      // SubjectPublicKeyInfo ends with the uncompressed point 04 || x || y.
      const std::string spki = key.public_key_der();
      CHECK(spki.substr(spki.size() - (1 + 2 * width)) == std::string(1, '\x04') + *x + *y);
    }
  }
}

TEST_CASE("PrivateKey::from_pem accepts traditional PEM", "[crypto][keys]") {
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  REQUIRE(raw);
  const std::string pem = pem_of(raw, /*traditional=*/true);
  EVP_PKEY_free(raw);
  REQUIRE(pem.rfind("-----BEGIN EC PRIVATE KEY-----", 0) == 0);
  auto key = PrivateKey::from_pem(pem);
  REQUIRE(key);
  CHECK(key->type() == KeyType::ec_p256);
}

TEST_CASE("PrivateKey::from_pem rejects RSA keys below 2048 bits with a clear error", "[crypto][keys]") {
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024});
  REQUIRE(raw);
  const std::string pem = pem_of(raw);
  EVP_PKEY_free(raw);
  auto key = PrivateKey::from_pem(pem);
  REQUIRE_FALSE(key);
  CHECK(key.error().code == Errc::crypto);
  CHECK_THAT(key.error().message, Catch::Contains("1024") && Catch::Contains("2048"));
}

TEST_CASE("PrivateKey::from_pem rejects unsupported curves and garbage", "[crypto][keys]") {
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521");
  REQUIRE(raw);
  const std::string pem = pem_of(raw);
  EVP_PKEY_free(raw);
  auto p521 = PrivateKey::from_pem(pem);
  REQUIRE_FALSE(p521);
  CHECK(p521.error().code == Errc::crypto);
  CHECK_THAT(p521.error().message, Catch::Contains("P-256") && Catch::Contains("P-384"));

  for (std::string bad : {"", "not a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}) {
    INFO("input '" << bad << "'");
    auto r = PrivateKey::from_pem(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::crypto);
  }
}

TEST_CASE("Key type names round-trip and unknown names are rejected", "[crypto][keys]") {
  for (KeyType t : {KeyType::ec_p256, KeyType::ec_p384, KeyType::rsa2048, KeyType::rsa3072, KeyType::rsa4096,
                    KeyType::ed25519}) {
    auto parsed = parse_key_type(to_string(t));
    REQUIRE(parsed);
    CHECK(*parsed == t);
  }
  CHECK(to_string(KeyType::ec_p256) == "ec-p256");
  CHECK(to_string(KeyType::ed25519) == "ed25519");
  auto bad = parse_key_type("rsa1024");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("rsa1024") && Catch::Contains("ec-p256"));
}

// --- CSR -----------------------------------------------------------------------------

struct ParsedCsr {
  std::unique_ptr<X509_REQ, decltype(&X509_REQ_free)> req{nullptr, &X509_REQ_free};
  std::vector<std::string> sans;  ///< "DNS:name" / "IP:text", in order
  std::vector<std::string> cns;
};

ParsedCsr parse_csr(const std::string& der) {
  ParsedCsr out;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  out.req.reset(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(out.req);
  CHECK(p == reinterpret_cast<const unsigned char*>(der.data()) + der.size());  // no trailing bytes
  X509_NAME* subject = X509_REQ_get_subject_name(out.req.get());
  for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) >= 0;) {
    ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
    out.cns.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s)));
  }
  STACK_OF(X509_EXTENSION)* exts = X509_REQ_get_extensions(out.req.get());
  for (int i = 0; i < sk_X509_EXTENSION_num(exts); ++i) {
    X509_EXTENSION* ext = sk_X509_EXTENSION_value(exts, i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_subject_alt_name) continue;
    auto* names = static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(ext));
    REQUIRE(names);
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, j);
      if (gn->type == GEN_DNS) {
        out.sans.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(gn->d.dNSName)),
                                                static_cast<std::size_t>(ASN1_STRING_length(gn->d.dNSName))));
      } else if (gn->type == GEN_IPADD) {
        char buf[64] = {0};
        int len = ASN1_STRING_length(gn->d.iPAddress);
        inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(gn->d.iPAddress), buf, sizeof buf);
        out.sans.push_back("IP:" + std::string(buf) + "/" + std::to_string(len));
      } else {
        out.sans.push_back("other");
      }
    }
    GENERAL_NAMES_free(names);
  }
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  return out;
}

std::vector<Identifier> ids(std::initializer_list<const char*> texts) {
  std::vector<Identifier> out;
  for (const char* t : texts) {
    auto id = Identifier::parse(t);
    REQUIRE(id);
    out.push_back(*id);
  }
  return out;
}

TEST_CASE("make_csr_der puts every identifier in subjectAltName and signs with the key", "[crypto][csr]") {
  for (KeyType type : {KeyType::ec_p256, KeyType::ec_p384, KeyType::ed25519, KeyType::rsa2048}) {
    INFO(to_string(type));
    auto key = PrivateKey::from_pem(generated_pem(type));
    REQUIRE(key);
    auto der = make_csr_der(*key, ids({"a.example", "*.b.example", "192.0.2.1", "2001:db8::1"}));
    REQUIRE(der);
    auto csr = parse_csr(*der);
    CHECK(csr.sans == std::vector<std::string>{"DNS:a.example", "DNS:*.b.example", "IP:192.0.2.1/4", "IP:2001:db8::1/16"});
    CHECK(csr.cns == std::vector<std::string>{"a.example"});

    // The request carries exactly this key and its self-signature verifies.
    EVP_PKEY* in_csr = X509_REQ_get0_pubkey(csr.req.get());
    REQUIRE(in_csr);
    unsigned char* buf = nullptr;
    int n = i2d_PUBKEY(in_csr, &buf);
    REQUIRE(n > 0);
    CHECK(std::string(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n)) == key->public_key_der());
    OPENSSL_free(buf);
    const std::string spki = key->public_key_der();
    const unsigned char* sp = reinterpret_cast<const unsigned char*>(spki.data());
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pub(d2i_PUBKEY(nullptr, &sp, static_cast<long>(spki.size())),
                                                            &EVP_PKEY_free);
    REQUIRE(pub);
    CHECK(X509_REQ_verify(csr.req.get(), pub.get()) == 1);
  }
}

TEST_CASE("make_csr_der signs EC requests with the curve's hash", "[crypto][csr]") {
  auto p256 = PrivateKey::from_pem(generated_pem(KeyType::ec_p256));
  auto p384 = PrivateKey::from_pem(generated_pem(KeyType::ec_p384));
  REQUIRE(p256);
  REQUIRE(p384);
  auto d256 = make_csr_der(*p256, ids({"a.example"}));
  auto d384 = make_csr_der(*p384, ids({"a.example"}));
  REQUIRE(d256);
  REQUIRE(d384);
  CHECK(X509_REQ_get_signature_nid(parse_csr(*d256).req.get()) == NID_ecdsa_with_SHA256);
  CHECK(X509_REQ_get_signature_nid(parse_csr(*d384).req.get()) == NID_ecdsa_with_SHA384);
}

TEST_CASE("make_csr_der leaves CN out when no DNS name fits in 64 octets", "[crypto][csr]") {
  auto key = generate(KeyType::ec_p256);
  const std::string long_name = std::string(60, 'a') + ".example.com";
  auto only_ip = make_csr_der(key, ids({"192.0.2.1"}));
  REQUIRE(only_ip);
  CHECK(parse_csr(*only_ip).cns.empty());
  auto only_long = make_csr_der(key, ids({long_name.c_str()}));
  REQUIRE(only_long);
  auto csr = parse_csr(*only_long);
  CHECK(csr.cns.empty());
  CHECK(csr.sans == std::vector<std::string>{"DNS:" + long_name});
}

TEST_CASE("make_csr_der needs at least one identifier", "[crypto][csr]") {
  auto key = generate(KeyType::ec_p256);
  auto r = make_csr_der(key, {});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::invalid_argument);
}

// --- Digests and MACs ----------------------------------------------------------------

TEST_CASE("sha256 matches the FIPS 180-2 'abc' vector", "[crypto][hash]") {
  CHECK(hex(sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("hmac matches RFC 4231 test case 2", "[crypto][hmac]") {
  const std::string key = "Jefe", data = "what do ya want for nothing?";
  auto h256 = hmac("HS256", key, data);
  auto h384 = hmac("HS384", key, data);
  auto h512 = hmac("HS512", key, data);
  REQUIRE(h256);
  REQUIRE(h384);
  REQUIRE(h512);
  CHECK(hex(*h256) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(hex(*h384) ==
        "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649");
  CHECK(hex(*h512) ==
        "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
}

TEST_CASE("hmac rejects unknown algorithms", "[crypto][hmac]") {
  auto r = hmac("HS1", "k", "d");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::invalid_argument);
  CHECK_THAT(r.error().message, Catch::Contains("HS1"));
}

// --- Certificates --------------------------------------------------------------------

TEST_CASE("inspect_certificate reports names, SANs, serial, validity and key", "[crypto][x509]") {
  using namespace std::chrono;
  auto ca_key = generate(KeyType::ec_p256);
  auto leaf_key = PrivateKey::from_pem(generated_pem(KeyType::ec_p384));
  REQUIRE(leaf_key);
  test::CertSpec spec;
  spec.subject_cn = "test.example";
  spec.issuer_cn = "Unit Test CA";
  spec.dns_names = {"test.example", "www.test.example"};
  spec.ip_addresses = {"192.0.2.7", "2001:db8::7"};
  spec.serial_hex = "0ABC1234";
  spec.not_before = sys_days{year{2025} / January / 2} + hours{3} + minutes{4} + seconds{5};
  spec.not_after = sys_days{year{2025} / April / 2} + hours{3} + minutes{4} + seconds{5};
  const std::string der = test::make_certificate_der(spec, *leaf_key, ca_key);

  auto info = inspect_certificate(der);
  REQUIRE(info);
  CHECK(info->subject_cn == "test.example");
  CHECK(info->issuer_cn == "Unit Test CA");
  CHECK(info->serial_hex == "abc1234");
  CHECK(info->dns_names == std::vector<std::string>{"test.example", "www.test.example"});
  CHECK(info->ip_addresses == std::vector<std::string>{"192.0.2.7", "2001:db8::7"});
  CHECK(info->not_before == spec.not_before);
  CHECK(info->not_after == spec.not_after);
  CHECK(info->public_key_der == leaf_key->public_key_der());
  CHECK(info->key_type == "ec-p384");
}

TEST_CASE("inspect_certificate keeps a notAfter past 2262 in the future", "[crypto][x509]") {
  // RFC 5280 §4.1.2.5: 99991231235959Z means "no well-defined expiration date". It does not
  // fit a nanosecond time_point; it must become the latest one, never a date in 1716.
  using namespace std::chrono;
  auto key = generate(KeyType::ec_p256);
  const std::string der =
      test::with_not_after(test::make_certificate_der({.subject_cn = "forever.example"}, key, key), "99991231235959Z", key);
  auto info = inspect_certificate(der);
  REQUIRE(info);
  CHECK(info->not_after > system_clock::now() + years{200});
  CHECK(info->not_after == time_from_unix(253402300799));
  CHECK(format_rfc3339(info->not_after) == "2262-04-11T23:47:16Z");
  CHECK(info->not_before == sys_days{year{2025} / January / 1});
}

TEST_CASE("inspect_certificate rejects bytes that are not a certificate", "[crypto][x509]") {
  auto r = inspect_certificate("definitely not DER");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::crypto);
}

TEST_CASE("inspect_certificate refuses bytes after the certificate", "[crypto][x509]") {
  // Found by tests/fuzz/fuzz_x509: DER with trailing bytes passed as the certificate, so
  // what was checked and what would be stored could differ.
  auto key = generate(KeyType::ec_p256);
  const std::string der = test::make_certificate_der({.subject_cn = "trailing.example"}, key, key);
  REQUIRE(inspect_certificate(der));
  auto r = inspect_certificate(der + "extra");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::crypto);
  CHECK(r.error().message.find("5 bytes after the certificate") != std::string::npos);
}

TEST_CASE("parse_pem_chain splits a bundle into DER certificates in order", "[crypto][x509]") {
  auto root_key = generate(KeyType::ec_p256);
  auto leaf_key = generate(KeyType::ec_p256);
  const std::string root = test::make_certificate_der({.subject_cn = "Root", .serial_hex = "01", .is_ca = true}, root_key, root_key);
  const std::string leaf = test::make_certificate_der(
      {.subject_cn = "a.example", .issuer_cn = "Root", .dns_names = {"a.example"}, .serial_hex = "02"}, leaf_key, root_key);
  auto chain = parse_pem_chain(test::certificate_pem(leaf) + test::certificate_pem(root));
  REQUIRE(chain);
  REQUIRE(chain->size() == 2);
  CHECK((*chain)[0] == leaf);
  CHECK((*chain)[1] == root);

  auto one = parse_pem_chain(der_to_pem(leaf));
  REQUIRE(one);
  CHECK(*one == std::vector<std::string>{leaf});
}

TEST_CASE("parse_pem_chain rejects empty input and garbage", "[crypto][x509]") {
  for (std::string bad : {"", "garbage", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}) {
    INFO("input '" << bad << "'");
    auto r = parse_pem_chain(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::bad_response);
  }
}

TEST_CASE("parse_pem_chain rejects a bundle whose later certificate is corrupt", "[crypto][x509]") {
  // Silently returning only the leaf would store an incomplete chain.
  auto key = generate(KeyType::ec_p256);
  const std::string leaf = test::make_certificate_der({.subject_cn = "a.example"}, key, key);
  const std::string bundle =
      test::certificate_pem(leaf) + "-----BEGIN CERTIFICATE-----\nMIIBroken!!\n-----END CERTIFICATE-----\n";
  CHECK_FALSE(parse_pem_chain(bundle));
}

}  // namespace
}  // namespace acmed

TEST_CASE("aead_seal/aead_open: AES-256-GCM round trip; wrong key, place or byte fails clearly") {
  const acmed::Secret key(std::string(32, '\x11'));
  auto sealed = acmed::aead_seal(key, "account-key:ca", "-----BEGIN PRIVATE KEY-----");
  REQUIRE(sealed);
  CHECK(sealed->find("BEGIN") == std::string::npos);
  auto again = acmed::aead_seal(key, "account-key:ca", "-----BEGIN PRIVATE KEY-----");
  CHECK(*again != *sealed);  // a fresh nonce every time
  auto opened = acmed::aead_open(key, "account-key:ca", *sealed);
  REQUIRE(opened);
  CHECK(opened->view() == "-----BEGIN PRIVATE KEY-----");
  auto wrong = acmed::aead_open(acmed::Secret(std::string(32, '\x22')), "account-key:ca", *sealed);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message.find("wrong encryption key") != std::string::npos);
  CHECK_FALSE(acmed::aead_open(key, "account-key:other", *sealed));  // moved to another row
  std::string tampered = *sealed;
  tampered[tampered.size() / 2] ^= 1;
  CHECK_FALSE(acmed::aead_open(key, "account-key:ca", tampered));
  CHECK_FALSE(acmed::aead_open(key, "account-key:ca", sealed->substr(0, 20)));
  CHECK_FALSE(acmed::aead_open(key, "account-key:ca", "plain text"));
  CHECK_FALSE(acmed::aead_seal(acmed::Secret(std::string(16, 'k')), "x", "y"));
}
