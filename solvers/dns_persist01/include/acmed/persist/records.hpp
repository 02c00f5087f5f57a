// SPDX-License-Identifier: Apache-2.0
// File: acmed/persist/records.hpp
//
// DNS-PERSIST-01 records, draft -00/-01 (plain account URL) and draft -02
// (hashed accounturi), chosen per CA: building the exact TXT value an operator
// must publish, parsing published values as strictly as Boulder and Pebble do,
// and READ-ONLY verification on every authoritative server and the recursive
// resolver. Nothing here can write DNS.
//
//   AccountBinding b{.revision = revision_for(meta.account_hash_prefix), .account_url = url, ...};
//   auto recs = persist::required_records(ids, "letsencrypt.org", b, PolicyMode::automatic, until);
//   auto check = persist::check_record(resolver, recs->front().name, expectation_for(recs->front(), b, ...));
//   if (check.status != persist::Status::ok) std::cout << check.summary;
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "acmed/core/identifier.hpp"
#include "acmed/core/result.hpp"
#include "acmed/dns/resolver.hpp"

namespace acmed::persist {

inline constexpr std::string_view label = "_validation-persist";

/// `_validation-persist.<name>`; for "*.example.com" that is `_validation-persist.example.com`.
std::string record_name(const Identifier& id);

/// Checks the challenge's issuer-domain-names as the draft requires of clients:
/// 1..10 entries, each a lowercase A-label without trailing dot, at most 253 octets.
[[nodiscard]] Result<void> validate_issuer_names(const std::vector<std::string>& names);

/// Which wire format a CA speaks. A directory whose meta carries accountHashPrefix
/// speaks draft -02 (hashed accounturi); every other CA -00/-01 (plain account URL).
enum class Revision { draft01, draft02 };
/// "-01" or "-02" (what operators read), and "01"/"02" for files and JSON.
std::string to_string(Revision r);
std::string revision_id(Revision r);
std::optional<Revision> parse_revision(std::string_view id);
inline Revision revision_for(const std::optional<std::string>& account_hash_prefix) {
  return account_hash_prefix && !account_hash_prefix->empty() ? Revision::draft02 : Revision::draft01;
}

/// Draft -02 challenge checks, with C the challenge's issuer names, D the directory's
/// meta.issuerDomainNames and I meta.caaIdentities: C is validated as above; every name
/// of D must be in C, and (when I is served) every name of C in I. A missing or bad D
/// only means "no pre-provisioning" and is not checked. Errors name the names.
[[nodiscard]] Result<void> check_challenge_issuers(const std::vector<std::string>& c, const std::vector<std::string>& d,
                                                   const std::vector<std::string>& i);

/// The -02 hash: base64url, unpadded, of SHA-256(len(d) || d || thumbprint || account URL),
/// len(d) one octet. `d` is the validation domain name (lowercase A-label, no trailing
/// dot; "example.com" for "*.example.com") or "*" for a value that serves every name.
[[nodiscard]] Result<std::string> account_hash(std::string_view d, std::string_view thumbprint,
                                               std::string_view account_url);

/// What `d` a -02 record hashes: its own name, or "*" (one value for every name).
enum class Bind { name, any };

/// Everything a record's accounturi is made from, for either revision.
struct AccountBinding {
  Revision revision = Revision::draft01;
  std::string account_url;                   ///< the account's URL (RFC 8555 Location)
  std::string hash_prefix;                   ///< -02: the directory's meta.accountHashPrefix
  std::string thumbprint;                    ///< -02: RFC 7638 thumbprint of the current account key
  std::vector<std::string> earlier_thumbprints;  ///< -02: keys this account had before rollovers
  Bind bind = Bind::name;
};
/// The accounturi value to publish for the record of validation domain `d`:
/// the account URL (-01), or `<prefix>sha-256/<hash>` (-02; `d` replaced by "*" with Bind::any).
[[nodiscard]] Result<std::string> account_uri_for(const AccountBinding& b, std::string_view d);

struct RecordParams {
  std::string issuer;        ///< issuer domain name, exactly as the CA spells it
  std::string account_uri;   ///< the account URL (or the CA's accounturi)
  bool policy_wildcard = false;
  std::optional<std::int64_t> persist_until;  ///< Unix seconds
};

/// `issuer; accounturi=URI[; policy=wildcard][; persistUntil=N]` — no trailing ';',
/// no spaces inside values, tags in the case real CAs emit. Fails on values CAs reject.
[[nodiscard]] Result<std::string> build_value(const RecordParams& p);

/// RDATA split into character-strings of at most 255 octets (RFC 1035 §3.3.14).
std::vector<std::string> split_txt(std::string_view value);
/// `NAME. TTL IN TXT "part1" "part2"` with quotes and backslashes escaped.
std::string zone_file_line(const std::string& name, std::string_view value, std::uint32_t ttl);

/// A published value, parsed strictly (Boulder va/dns_persist.go rules).
struct ParsedValue {
  std::string issuer;
  std::optional<std::string> account_uri;
  bool policy_wildcard = false;  ///< policy=wildcard (case-insensitive); other policy values count as absent
  std::optional<std::int64_t> persist_until;
  std::vector<std::string> unknown_tags;  ///< ignored by CAs, reported to the operator
};
/// Fails (with the reason a CA would give) on empty parameters, a trailing ';',
/// duplicate tags, characters outside 0x21-0x3A/0x3C-0x7E in values, or a
/// non-integer persistUntil. A missing accounturi is not a parse error here.
[[nodiscard]] Result<ParsedValue> parse_value(std::string_view value);

enum class PolicyMode { automatic, wildcard, none };

/// One record the operator must publish and what it covers.
struct RequiredRecord {
  std::string name;   ///< _validation-persist.example.com
  std::string value;  ///< exact RDATA
  RecordParams params;
  std::vector<std::string> covers;  ///< certificate names it authorizes ("example.com", "*.example.com")
  std::string policy_reason;        ///< why policy=wildcard is or is not present
};

/// One record per distinct authorization name. With PolicyMode::automatic a record
/// gets policy=wildcard exactly when the certificate holds "*.<name>".
[[nodiscard]] Result<std::vector<RequiredRecord>> required_records(const std::vector<Identifier>& ids,
                                                                   const std::string& issuer,
                                                                   const AccountBinding& binding, PolicyMode mode,
                                                                   std::optional<std::int64_t> persist_until);
/// The validation domain name of a record name: "_validation-persist.example.com" -> "example.com".
std::string validation_domain(std::string_view record_name);

enum class Status {
  ok,                  ///< a record for this issuer authorizes the account (and wildcard when needed)
  expiring,            ///< ok, but persistUntil falls inside the warning window
  missing,             ///< no TXT record at the name
  other_issuers_only,  ///< TXT records exist, none for our issuer
  wrong_account,       ///< our issuer, different accounturi
  stale_format,        ///< our account, but in the other revision's form (plain URL on -02, hash on -01)
  policy_missing,      ///< a wildcard name needs policy=wildcard
  expired,             ///< persistUntil is in the past
  malformed,           ///< our issuer's record does not parse (CAs answer "malformed")
  lookup_failed,       ///< the DNS query itself failed
  disagree,            ///< nameservers serve different answers
  dnssec_bogus,        ///< the validating resolver found the answer bogus
};
std::string to_string(Status s);
/// True for statuses under which a CA would validate.
inline bool passes(Status s) { return s == Status::ok || s == Status::expiring; }

struct Expectation {
  std::vector<std::string> issuers;  ///< any of these issuer names is acceptable
  AccountBinding account;            ///< what accounturi must name, in which revision
  std::string domain;                ///< validation domain name (the -02 hash input)
  bool wildcard = false;             ///< the record must carry policy=wildcard
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  std::chrono::seconds warn_before{30 * 24 * 3600};
};

struct Evaluation {
  Status status = Status::missing;
  std::string detail;  ///< what exactly is wrong, or which record matched
  std::optional<std::int64_t> persist_until;  ///< of the matching record
  bool earlier_key = false;  ///< -02: the hash was made with an earlier account key (republish)
};
/// Evaluates the TXT values found at one server against the expectation.
Evaluation evaluate(const std::vector<std::string>& txt_values, const Expectation& e);

struct ServerResult {
  std::string server;  ///< "ns1.example.com (192.0.2.1)" or "recursive resolver"
  std::vector<std::string> values;
  Evaluation evaluation;
};

struct RecordCheck {
  std::string name;
  std::string final_name;          ///< after CNAMEs
  std::vector<std::string> cnames;
  std::vector<ServerResult> servers;
  dns::DnssecStatus dnssec = dns::DnssecStatus::unchecked;
  Status status = Status::missing;  ///< overall: the worst server result, or disagree
  std::string summary;              ///< one line for the operator
};

/// Read-only: follows CNAMEs through the recursive resolver, then asks every
/// authoritative server of the final name's zone and the recursive resolver.
RecordCheck check_record(dns::Resolver& resolver, const std::string& name, const Expectation& e);

}  // namespace acmed::persist
