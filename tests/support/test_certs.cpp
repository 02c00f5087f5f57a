// SPDX-License-Identifier: Apache-2.0
#include "test_certs.hpp"

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace acmed::test {
namespace {

EVP_PKEY* evp(const PrivateKey& k) { return static_cast<EVP_PKEY*>(k.native_handle_for_internal_use()); }

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificate: ") + what);
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

std::string sign_certificate(const CertSpec& spec, EVP_PKEY* subject_key, const PrivateKey& issuer_key) {
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  BIGNUM* bn = nullptr;
  check(BN_hex2bn(&bn, spec.serial_hex.c_str()) > 0, "serial");
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), std::chrono::system_clock::to_time_t(spec.not_before));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), std::chrono::system_clock::to_time_t(spec.not_after));
  auto set_cn = [](X509_NAME* name, const std::string& cn) {
    X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()),
                               -1, -1, 0);
  };
  set_cn(X509_get_subject_name(cert.get()), spec.subject_cn);
  set_cn(X509_get_issuer_name(cert.get()), spec.issuer_cn.empty() ? spec.subject_cn : spec.issuer_cn);
  check(X509_set_pubkey(cert.get(), subject_key) == 1, "pubkey");
  std::string san;
  for (const auto& d : spec.dns_names) san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
  for (const auto& ip : spec.ip_addresses) san += (san.empty() ? "" : ",") + std::string("IP:") + ip;
  if (!san.empty()) add_ext(cert.get(), cert.get(), NID_subject_alt_name, san);
  add_ext(cert.get(), cert.get(), NID_basic_constraints, spec.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  if (!spec.authority_key_id_hex.empty()) {
    long len = 0;
    std::unique_ptr<unsigned char, void (*)(void*)> raw(OPENSSL_hexstr2buf(spec.authority_key_id_hex.c_str(), &len),
                                                        [](void* p) { OPENSSL_free(p); });
    check(raw != nullptr, "authority key id hex");
    std::unique_ptr<AUTHORITY_KEYID, decltype(&AUTHORITY_KEYID_free)> akid(AUTHORITY_KEYID_new(), &AUTHORITY_KEYID_free);
    akid->keyid = ASN1_OCTET_STRING_new();
    check(akid->keyid && ASN1_OCTET_STRING_set(akid->keyid, raw.get(), static_cast<int>(len)) == 1, "authority key id");
    check(X509_add1_ext_i2d(cert.get(), NID_authority_key_identifier, akid.get(), 0, X509V3_ADD_DEFAULT) == 1,
          "authority key id extension");
  }
  const EVP_MD* md = issuer_key.type() == KeyType::ed25519 ? nullptr : EVP_sha256();
  check(X509_sign(cert.get(), evp(issuer_key), md) > 0, "sign");
  unsigned char* der = nullptr;
  int n = i2d_X509(cert.get(), &der);
  check(n > 0, "encode");
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

}  // namespace

std::string make_certificate_der(const CertSpec& spec, const PrivateKey& subject_key, const PrivateKey& issuer_key) {
  return sign_certificate(spec, evp(subject_key), issuer_key);
}

std::string make_certificate_der_for_public_key(const CertSpec& spec, std::string_view subject_public_key_der,
                                                const PrivateKey& issuer_key) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(subject_public_key_der.data());
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pub(
      d2i_PUBKEY(nullptr, &p, static_cast<long>(subject_public_key_der.size())), &EVP_PKEY_free);
  check(pub != nullptr, "public key");
  return sign_certificate(spec, pub.get(), issuer_key);
}

std::string certificate_pem(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<X509, decltype(&X509_free)> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())), &X509_free);
  check(cert != nullptr, "decode");
  std::unique_ptr<BIO, decltype(&BIO_free_all)> bio(BIO_new(BIO_s_mem()), &BIO_free_all);
  PEM_write_bio_X509(bio.get(), cert.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string make_chain_pem(const std::vector<std::string>& dns_names, const std::string& root_cn) {
  auto leaf_key = PrivateKey::generate(KeyType::ec_p256);
  auto inter_key = PrivateKey::generate(KeyType::ec_p256);
  check(leaf_key && inter_key, "keygen");
  const std::string inter_cn = root_cn + " Intermediate";
  CertSpec leaf{.subject_cn = dns_names.empty() ? "leaf" : dns_names.front(),
                .issuer_cn = inter_cn,
                .dns_names = dns_names,
                .serial_hex = "1001"};
  CertSpec inter{.subject_cn = inter_cn, .issuer_cn = root_cn, .serial_hex = "2002", .is_ca = true};
  return certificate_pem(make_certificate_der(leaf, *leaf_key, *inter_key)) +
         certificate_pem(make_certificate_der(inter, *inter_key, *inter_key));
}

std::string make_chain_pem_for_key(CertSpec leaf, std::string_view subject_public_key_der, const std::string& root_cn,
                                   const PrivateKey* leaf_signer) {
  auto inter_key = PrivateKey::generate(KeyType::ec_p256);
  check(inter_key.has_value(), "keygen");
  const std::string inter_cn = root_cn + " Intermediate";
  if (leaf.issuer_cn.empty()) leaf.issuer_cn = inter_cn;
  CertSpec inter{.subject_cn = inter_cn, .issuer_cn = root_cn, .serial_hex = "2002", .is_ca = true};
  return certificate_pem(make_certificate_der_for_public_key(leaf, subject_public_key_der,
                                                             leaf_signer ? *leaf_signer : *inter_key)) +
         certificate_pem(make_certificate_der(inter, *inter_key, *inter_key));
}

std::string with_not_after(const std::string& der, const std::string& asn1_time, const PrivateKey& issuer_key) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<X509, decltype(&X509_free)> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())), &X509_free);
  check(cert != nullptr, "decode");
  check(ASN1_TIME_set_string_X509(X509_getm_notAfter(cert.get()), asn1_time.c_str()) == 1, "notAfter");
  const EVP_MD* md = issuer_key.type() == KeyType::ed25519 ? nullptr : EVP_sha256();
  check(X509_sign(cert.get(), evp(issuer_key), md) > 0, "sign");
  unsigned char* out = nullptr;
  int n = i2d_X509(cert.get(), &out);
  check(n > 0, "encode");
  std::string result(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
  OPENSSL_free(out);
  return result;
}

std::string csr_public_key(std::string_view csr_der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(csr_der.data());
  std::unique_ptr<X509_REQ, decltype(&X509_REQ_free)> req(d2i_X509_REQ(nullptr, &p, static_cast<long>(csr_der.size())),
                                                          &X509_REQ_free);
  check(req != nullptr, "CSR");
  unsigned char* buf = nullptr;
  int n = i2d_PUBKEY(X509_REQ_get0_pubkey(req.get()), &buf);
  check(n > 0, "CSR public key");
  std::string out(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
  OPENSSL_free(buf);
  return out;
}

}  // namespace acmed::test
