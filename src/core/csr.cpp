// SPDX-License-Identifier: Apache-2.0
// PKCS#10 certificate signing requests.
#include "acmed/core/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "acmed_detail/openssl.hpp"
#include "crypto_detail.hpp"

namespace acmed {

using namespace detail;

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

}  // namespace acmed
