// SPDX-License-Identifier: Apache-2.0
// File: acmed/app/account.hpp
//
// The account operations behind `acmed account`, `acmed revoke` and `acmed ca info`,
// and the rules that outlive one command. When the CA says the stored account no
// longer exists, registering again gives a NEW account URL: fine for certificates
// validated per order, fatal for DNS-PERSIST-01 records (and CAA accounturi pins),
// which name the old one. The decision is made here, once.
//
//   if (auto r = app::may_reregister(app::persist_certificates(dir), url, key_path); !r) return fail(r.error());
//   auto rolled = app::roll_account_key(session, {.type = KeyType::ec_p256});
//   if (rolled && rolled->republish) print the records of rolled->certificates;
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "acmed/acme/types.hpp"
#include "acmed/app/persist.hpp"
#include "acmed/app/session.hpp"
#include "acmed/core/result.hpp"

namespace acmed::app {

/// Ok when registering a new account is harmless. Otherwise an error that names the
/// certificates whose records name `account_url` and the two ways out: restore the
/// key at `key_location`, or `acmed account register --new` and republish.
[[nodiscard]] Result<void> may_reregister(const std::vector<std::string>& persist_certificates,
                                          const std::string& account_url, const std::string& key_location);

/// Contact addresses as ACME wants them: "ops@example.com" becomes "mailto:ops@example.com".
std::vector<std::string> contact_uris(const std::vector<std::string>& given);

struct NewAccount {
  std::string url;
  std::string retired_dir;                 ///< where the previous account was kept ("" = there was none)
  std::vector<std::string> republish;      ///< dns-persist-01 certificates whose records must name the new URL
};
/// `account register --new`: keeps the stored account aside (nothing is deleted) and
/// registers a new one, under the accounts lock.
[[nodiscard]] Result<NewAccount> register_new_account(Session& s);

struct AccountReport {
  acme::Account account;
  std::string key;          ///< the key file, or the token's pkcs11: URI
  bool in_token = false;
  std::string key_warning;  ///< set when a key file is readable by group or others
};
/// `account show`: the account as the CA sees it, and where its key lives.
[[nodiscard]] Result<AccountReport> describe_account(Session& s);

struct RolloverRequest {
  std::optional<KeyType> type;  ///< a new file key of this type (default: account.key_type)
  std::string key_uri;          ///< or: the key in this PKCS#11 token
};
struct Rolled {
  std::string key;                       ///< the new key's type, or its token URI
  bool republish = false;                ///< the CA hashes the key into draft -02 records
  std::vector<std::string> certificates;  ///< dns-persist-01 certificates (to republish when `republish`)
};
/// `account rollover`: RFC 8555 keyChange; the account URL stays.
[[nodiscard]] Result<Rolled> roll_account_key(Session& s, const RolloverRequest& r);

/// `revoke --reason`: the RFC 5280 reason names ACME accepts.
[[nodiscard]] Result<acme::RevocationReason> parse_revocation_reason(const std::string& name);
/// `revoke NAME`: revokes the stored certificate, signed by the account key or, with
/// `with_certificate_key`, by the certificate's own key. Returns the serial.
[[nodiscard]] Result<std::string> revoke_certificate(Session& s, const std::string& name, acme::RevocationReason reason,
                                                     bool with_certificate_key);

struct CaInfo {
  acme::Directory directory;
  CaPersistInfo persist;                     ///< the dns-persist-01 draft revision, and the notice when it changed
  std::optional<std::string> last_offered;   ///< challenge types of the last authorization, with time
  std::optional<bool> persist_offered;       ///< dns-persist-01 in that list (none: no order yet)
};
/// `ca info`: the directory, what it says about dns-persist-01 (remembered per CA), and
/// what the CA offered at the last order.
[[nodiscard]] Result<CaInfo> ca_info(Session& s);

}  // namespace acmed::app
