// SPDX-License-Identifier: Apache-2.0
// File: acmed/core/x509_verify.hpp
//
// Checks on certificates a CA returned, beyond inspect_certificate's reading of them.
//
//   auto ders = parse_pem_chain(fullchain_pem);
//   if (auto r = check_issued_by((*ders)[0], (*ders)[1]); !r) spdlog::error("{}", r.error().message);
#pragma once

#include <string_view>

#include "acmed/core/result.hpp"

namespace acmed {

/// Whether `issuer_der` issued `child_der`: X509_check_issued (the child's issuer name is
/// the issuer's subject, key identifiers agree, the issuer may sign certificates) and the
/// child's signature verifies with the issuer's public key (X509_verify). Fails with
/// Errc::bad_response saying which of the two does not hold, Errc::crypto for unreadable DER.
[[nodiscard]] Result<void> check_issued_by(std::string_view child_der, std::string_view issuer_der);

}  // namespace acmed
