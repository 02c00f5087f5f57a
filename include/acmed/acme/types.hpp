// SPDX-License-Identifier: Apache-2.0
// File: acmed/acme/types.hpp
//
// ACME resources (RFC 8555 §7.1) as plain values. Unknown fields and unknown
// challenge types are kept or ignored, never fatal.
//
//   for (const Challenge& c : authz.challenges) if (c.type == "dns-persist-01") ...
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "acmed/core/error.hpp"
#include "acmed/core/identifier.hpp"

namespace acmed::acme {

struct DirectoryMeta {
  std::optional<std::string> terms_of_service;
  std::optional<std::string> website;
  std::vector<std::string> caa_identities;
  bool external_account_required = false;
  std::map<std::string, std::string> profiles;  ///< name -> description
  /// draft-ietf-acme-dns-persist "-02" candidate fields; no CA serves them yet.
  std::vector<std::string> issuer_domain_names;
  std::optional<std::string> account_hash_prefix;
};

struct Directory {
  std::string new_nonce;
  std::string new_account;
  std::string new_order;
  std::string revoke_cert;
  std::string key_change;
  std::optional<std::string> new_authz;
  std::optional<std::string> renewal_info;  ///< ARI (RFC 9773)
  DirectoryMeta meta;
};

struct Account {
  std::string url;
  std::string status;  ///< valid, deactivated, revoked
  std::vector<std::string> contact;
  std::optional<std::string> orders;
};

struct Challenge {
  std::string type;
  std::string url;
  std::string status;
  std::string token;  ///< empty when the CA sends none (dns-persist-01)
  std::optional<std::string> account_uri;         ///< dns-persist-01 "accounturi" (draft -01)
  std::vector<std::string> issuer_domain_names;  ///< dns-persist-01
  std::optional<Problem> error;
};

struct Authorization {
  std::string url;
  Identifier identifier;
  bool wildcard = false;
  std::string status;  ///< pending, valid, invalid, deactivated, expired, revoked
  std::optional<std::string> expires;
  std::vector<Challenge> challenges;
};

struct Order {
  std::string url;
  std::string status;  ///< pending, ready, processing, valid, invalid
  std::vector<Identifier> identifiers;
  std::vector<std::string> authorizations;
  std::string finalize;
  std::optional<std::string> certificate;
  std::optional<std::string> profile;
  std::optional<std::string> expires;
  std::optional<Problem> error;
};

/// A downloaded certificate chain and the alternates the CA offered (Link rel="alternate").
struct CertificateChains {
  std::string default_chain_pem;
  std::vector<std::string> alternate_chain_pems;
};

/// ARI renewal information (RFC 9773 §4.2).
struct RenewalInfo {
  std::chrono::system_clock::time_point window_start;
  std::chrono::system_clock::time_point window_end;
  std::optional<std::string> explanation_url;
  std::optional<std::chrono::system_clock::time_point> retry_after;  ///< when to ask again
};

/// External account binding credentials (RFC 8555 §7.3.4).
struct ExternalAccountBinding {
  std::string key_id;
  std::string hmac_key_b64url;  ///< as CAs hand it out
  std::string algorithm = "HS256";
};

struct NewAccountOptions {
  std::vector<std::string> contact;  ///< "mailto:admin@example.com"
  bool terms_of_service_agreed = false;
  std::optional<ExternalAccountBinding> eab;
};

/// RFC 5280 CRLReason values accepted by ACME revocation.
enum class RevocationReason {
  unspecified = 0,
  key_compromise = 1,
  affiliation_changed = 3,
  superseded = 4,
  cessation_of_operation = 5,
};

}  // namespace acmed::acme
