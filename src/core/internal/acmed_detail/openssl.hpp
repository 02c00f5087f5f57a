// SPDX-License-Identifier: Apache-2.0
// RAII aliases for OpenSSL handles; the only place acmed names their free functions.
// An internal header (target acmed::openssl_detail), never installed or exposed in include/.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

#include "acmed/core/result.hpp"

namespace acmed::detail {

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free_all)>;
using BnPtr = std::unique_ptr<BIGNUM, decltype(&BN_free)>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using X509ReqPtr = std::unique_ptr<X509_REQ, decltype(&X509_REQ_free)>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, decltype(&GENERAL_NAMES_free)>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, decltype(&GENERAL_NAME_free)>;
using Asn1ObjectPtr = std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)>;
using Asn1OctetStringPtr = std::unique_ptr<ASN1_OCTET_STRING, decltype(&ASN1_OCTET_STRING_free)>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, decltype(&ASN1_INTEGER_free)>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, decltype(&X509_EXTENSION_free)>;

inline BioPtr mem_bio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())), &BIO_free_all);
}
inline BioPtr new_mem_bio() { return BioPtr(BIO_new(BIO_s_mem()), &BIO_free_all); }
inline std::string bio_contents(BIO* bio) {
  char* p = nullptr;
  long n = BIO_get_mem_data(bio, &p);
  return std::string(p, static_cast<std::size_t>(n));
}
/// The most recent OpenSSL error as text, and the queue cleared.
std::string openssl_error();

/// Exactly one DER certificate, nothing after it (what is checked must be all of what is
/// stored). Fails with Errc::crypto: "cannot parse the <what>: <reason>".
[[nodiscard]] Result<X509Ptr> parse_x509_der(std::string_view der, std::string_view what);

}  // namespace acmed::detail
