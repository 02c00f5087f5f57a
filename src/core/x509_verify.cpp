// SPDX-License-Identifier: Apache-2.0
// Chain links of certificates a CA returned: issuer name and signature.
#include "acmed/core/x509_verify.hpp"

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <string>

#include "acmed_detail/openssl.hpp"

namespace acmed {

using namespace detail;

Result<void> check_issued_by(std::string_view child_der, std::string_view issuer_der) {
  auto child = parse_x509_der(child_der, "certificate");
  if (!child) return fail(child.error());
  auto issuer = parse_x509_der(issuer_der, "issuer certificate");
  if (!issuer) return fail(issuer.error());
  switch (int rc = X509_check_issued(issuer->get(), child->get())) {
    case X509_V_OK:
      break;
    case X509_V_ERR_SUBJECT_ISSUER_MISMATCH:
      return fail(Errc::bad_response, "its issuer name is not the next certificate's subject");
    default:
      return fail(Errc::bad_response, std::string("the next certificate did not issue it: ") +
                                          X509_verify_cert_error_string(rc));
  }
  EVP_PKEY* key = X509_get0_pubkey(issuer->get());
  if (!key || X509_verify(child->get(), key) != 1) {
    openssl_error();  // clear the queue
    return fail(Errc::bad_response, "its signature does not verify with the next certificate's key");
  }
  return {};
}

}  // namespace acmed
