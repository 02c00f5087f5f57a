// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the crypto translation units of acmed::core (keys, jws, pkcs11,
// csr, x509). Private to src/core: unlike acmed_detail/openssl.hpp it is on no other
// target's include path.
#pragma once

#include <openssl/evp.h>

#include "acmed/core/crypto.hpp"

namespace acmed::detail {

/// PrivateKey holds its EVP_PKEY* as void* so that crypto.hpp names no OpenSSL type.
inline EVP_PKEY* pk(void* p) { return static_cast<EVP_PKEY*>(p); }

/// The KeyType of `key`; fails for the curves, sizes and algorithms acmed does not use.
[[nodiscard]] Result<KeyType> classify(EVP_PKEY* key);

/// The digest signatures with a `t` key use; nullptr for Ed25519.
const EVP_MD* digest_for(KeyType t);

}  // namespace acmed::detail
