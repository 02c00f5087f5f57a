// SPDX-License-Identifier: Apache-2.0
// Certificates: PEM chains to DER, inspection of a DER certificate, DER back to PEM.
#include "acmed/core/crypto.hpp"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <cctype>
#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "acmed/core/base64.hpp"
#include "acmed/core/time.hpp"
#include "acmed_detail/openssl.hpp"
#include "crypto_detail.hpp"

namespace acmed {

using namespace detail;

namespace {

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

// Saturating: RFC 5280's "no expiry" 99991231235959Z is past what a time_point holds.
std::optional<std::chrono::system_clock::time_point> asn1_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return time_from_utc(tm);
}

}  // namespace

Result<X509Ptr> detail::parse_x509_der(std::string_view der, std::string_view what) {
  const auto* start = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = start;
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())), &X509_free);
  if (!cert) return fail(Errc::crypto, "cannot parse the " + std::string(what) + ": " + openssl_error());
  if (auto used = static_cast<std::size_t>(p - start); used != der.size())
    return fail(Errc::crypto, "cannot parse the " + std::string(what) + ": " + std::to_string(der.size() - used) +
                                  " bytes after the certificate");
  return cert;
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
  auto parsed = parse_x509_der(der, "certificate");
  if (!parsed) return fail(parsed.error());
  X509Ptr cert = std::move(*parsed);
  CertificateInfo info;
  info.subject_cn = tm_name_entry(X509_get_subject_name(cert.get()));
  info.issuer_cn = tm_name_entry(X509_get_issuer_name(cert.get()));
  BnPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr), &BN_free);
  char* hex = BN_bn2hex(serial.get());
  info.serial_hex = hex;
  OPENSSL_free(hex);
  for (auto& c : info.serial_hex) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (info.serial_hex.size() > 1 && info.serial_hex.front() == '0') info.serial_hex.erase(0, 1);
  auto not_before = asn1_time(X509_get0_notBefore(cert.get()));
  auto not_after = asn1_time(X509_get0_notAfter(cert.get()));
  if (!not_before || !not_after) return fail(Errc::crypto, "cannot parse certificate: unreadable validity dates");
  info.not_before = *not_before;
  info.not_after = *not_after;
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
