// SPDX-License-Identifier: Apache-2.0
#include "acmed/app/account.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <map>

#include "acmed/app/persist.hpp"

namespace acmed::app {

Result<void> may_reregister(const std::vector<std::string>& persist_certificates, const std::string& account_url,
                            const std::string& key_location) {
  if (persist_certificates.empty()) return {};
  std::string list;
  for (const auto& c : persist_certificates) list += (list.empty() ? "" : ", ") + c;
  return fail(Errc::acme_problem,
              "the CA no longer knows the account " + account_url + " (accountDoesNotExist). The _validation-persist "
              "records of " + list + " name that account, so acmed did not register a new one (its new URL would make "
              "every record, and any CAA accounturi pin, read wrong-account). Two ways out: (1) restore the account's "
              "key into " + key_location + " if it was replaced; or (2) run 'acmed account register --new', which "
              "registers a new account and prints the records to republish for every certificate");
}

std::vector<std::string> contact_uris(const std::vector<std::string>& given) {
  std::vector<std::string> out;
  for (const auto& c : given) out.push_back(c.find(':') == std::string::npos ? "mailto:" + c : c);
  return out;
}

Result<NewAccount> register_new_account(Session& s) {
  NewAccount out;
  {
    auto lock = s.store().lock_accounts();
    if (!lock) return fail(lock.error());
    auto kept = s.store().retire_account(s.ca());
    if (!kept) return fail(kept.error());
    out.retired_dir = *kept;
    if (!kept->empty()) spdlog::warn("the previous account (key and URL) is kept in {}", *kept);
    if (auto r = s.ensure_account(true); !r) return fail(r.error());
  }
  out.url = s.client().account_url().value_or("");
  out.republish = persist_certificates(s.config_dir());
  return out;
}

Result<AccountReport> describe_account(Session& s) {
  auto a = s.client().fetch_account();
  if (!a) return fail(a.error());
  AccountReport out;
  out.account = std::move(*a);
  out.in_token = !s.key_uri().empty();
  out.key = out.in_token ? s.key_uri() : s.account_key_location();
  // The account key is what a DNS-PERSIST-01 record trusts: say loudly when anyone but
  // its owner can read it.
  struct stat st {};
  if (!out.in_token && ::stat(out.key.c_str(), &st) == 0 && (st.st_mode & 0077))
    out.key_warning = "account key " + out.key + " is readable by group or others; run: chmod 600 " + out.key;
  return out;
}

Result<Rolled> roll_account_key(Session& s, const RolloverRequest& r) {
  Rolled out;
  if (!r.key_uri.empty()) {
    if (auto done = s.rollover_to_token(r.key_uri); !done) return fail(done.error());
    out.key = r.key_uri;
  } else {
    const KeyType t = r.type.value_or(s.config().account.key_type);
    if (auto done = s.rollover_account_key(t); !done) return fail(done.error());
    out.key = to_string(t);
  }
  // Draft -02 records hash the account key: after the rollover they need republishing.
  out.certificates = persist_certificates(s.config_dir());
  auto dir = s.client().directory();
  out.republish = dir && dir->meta.account_hash_prefix && !out.certificates.empty();
  return out;
}

Result<acme::RevocationReason> parse_revocation_reason(const std::string& name) {
  static const std::map<std::string, acme::RevocationReason> reasons = {
      {"unspecified", acme::RevocationReason::unspecified},
      {"keyCompromise", acme::RevocationReason::key_compromise},
      {"affiliationChanged", acme::RevocationReason::affiliation_changed},
      {"superseded", acme::RevocationReason::superseded},
      {"cessationOfOperation", acme::RevocationReason::cessation_of_operation}};
  auto it = reasons.find(name);
  if (it == reasons.end())
    return fail(Errc::config, "unknown revocation reason '" + name +
                                  "' (unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation)");
  return it->second;
}

Result<std::string> revoke_certificate(Session& s, const std::string& name, acme::RevocationReason reason,
                                       bool with_certificate_key) {
  auto stored = s.store().load_certificate(name);
  if (!stored) return fail(stored.error());
  if (!*stored) return fail(Errc::not_found, "no certificate named '" + name + "' in " + s.store().location());
  auto chain = parse_pem_chain((*stored)->fullchain_pem);
  if (!chain) return fail(chain.error());
  std::optional<PrivateKey> cert_key;
  if (with_certificate_key) {
    auto pem = s.store().load_certificate_key(name);
    if (!pem) return fail(pem.error());
    auto k = PrivateKey::from_pem(pem->view());
    if (!k) return fail(k.error());
    cert_key.emplace(std::move(*k));
  } else if (auto r = s.ensure_account(false); !r) {
    return fail(r.error());
  }
  if (auto r = s.client().revoke(chain->front(), reason, cert_key ? &*cert_key : nullptr); !r) return fail(r.error());
  auto info = inspect_certificate(chain->front());
  return info ? info->serial_hex : std::string("?");
}

Result<CaInfo> ca_info(Session& s) {
  auto dir = s.client().directory();
  if (!dir) return fail(dir.error());
  CaInfo out;
  out.directory = *dir;
  // Which dns-persist-01 draft this CA speaks, remembered per CA like its challenges.
  auto facts = note_ca_facts(s.store(), s.ca(), s.config().ca.directory_url, &dir->meta, s.clock().now());
  if (!facts) return fail(facts.error());
  out.persist = *facts;
  // Only an authorization's challenge list says whether dns-persist-01 is offered.
  if (auto seen = s.store().load_seen_challenges(s.ca()); seen && *seen) {
    out.last_offered = **seen;
    out.persist_offered = (" " + **seen + " ").find(" dns-persist-01 ") != std::string::npos;
  }
  return out;
}

}  // namespace acmed::app
