// SPDX-License-Identifier: Apache-2.0
#include "acmed/app/session.hpp"

#include <spdlog/spdlog.h>

#include "acmed/core/time.hpp"

namespace acmed::app {

Session::Session(SessionParts parts) : parts_(std::move(parts)) {
  ca_id_ = storage::ca_id(parts_.config.ca.directory_url);
  client_ = std::make_unique<acme::Client>(*parts_.http, acme::ClientOptions{parts_.config.ca.directory_url});
}

void Session::save_renewal_state(const std::string& name, const storage::RenewalState& st) {
  if (auto r = parts_.store->save_renewal_state(name, st); !r) {
    state_save_failures_.fetch_add(1);
    spdlog::error("'{}': the renewal state could not be saved ({}); the next run may repeat work or back off "
                  "differently",
                  name, r.error().describe());
  }
}

namespace {

/// A resolver the workers of a run share: one lookup at a time (ldns keeps per-resolver
/// state), each a few milliseconds.
class LockedResolver final : public dns::Resolver {
 public:
  explicit LockedResolver(std::unique_ptr<dns::Resolver> inner) : inner_(std::move(inner)) {}
  Result<dns::TxtResult> lookup_txt(const std::string& name) override {
    std::lock_guard g(mu_);
    return inner_->lookup_txt(name);
  }
  Result<dns::TxtResult> query_txt(const dns::Server& server, const std::string& name) override {
    std::lock_guard g(mu_);
    return inner_->query_txt(server, name);
  }
  Result<dns::CaaResult> lookup_caa(const std::string& name) override {
    std::lock_guard g(mu_);
    return inner_->lookup_caa(name);
  }
  Result<std::vector<std::string>> cname_chain(const std::string& name) override {
    std::lock_guard g(mu_);
    return inner_->cname_chain(name);
  }
  Result<dns::Zone> find_zone(const std::string& name) override {
    std::lock_guard g(mu_);
    return inner_->find_zone(name);
  }

 private:
  std::mutex mu_;
  std::unique_ptr<dns::Resolver> inner_;
};

}  // namespace

Result<dns::Resolver*> Session::resolver() {
  std::lock_guard g(resolver_mu_);
  if (resolver_) return resolver_.get();
  if (!parts_.make_resolver) return fail(Errc::config, "this session has no DNS resolver");
  auto made = parts_.make_resolver(parts_.config.dns);
  if (!made) return fail(made.error());
  resolver_ = std::make_unique<LockedResolver>(std::move(*made));
  return resolver_.get();
}

Result<void> Session::ensure_account(bool allow_register) {
  std::lock_guard account(account_mu_);
  if (account_key_ && client_->account_url()) return {};
  auto stored = parts_.store->load_account(ca_id_);
  if (!stored) return fail(stored.error());
  const bool pending = parts_.store->has_pending_account_key(ca_id_);
  if (pending && !(*stored && (*stored)->url))
    spdlog::warn("{}/private_key.next.pem exists: an earlier key rollover was interrupted; if the CA rejects "
                 "the current key, move that file to private_key.pem",
                 parts_.store->account_dir(ca_id_));
  if (*stored) {
    auto key = (*stored)->key_uri ? load_token_key(*(*stored)->key_uri) : PrivateKey::from_pem((*stored)->key_pem.view());
    if (!key) return fail(key.error().with_context("account key in " + parts_.store->account_dir(ca_id_)));
    account_key_ = &keys_.emplace_back(std::move(*key));
    if ((*stored)->url) {
      client_->set_account(account_key_, (*stored)->url);
      // A CA that caches accounts may refuse a key changed moments ago (by another process).
      if (auto facts = parts_.store->load_ca_facts(ca_id_); facts && facts->key_changed_at)
        client_->set_key_changed_at(time_from_unix(*facts->key_changed_at));
      if (pending) finish_interrupted_rollover();
      note_thumbprint();
      return {};
    }
    // A key without a URL: an earlier registration was interrupted. Ask the CA.
    client_->set_account(account_key_, std::nullopt);
    auto found = client_->find_account();
    if (found) return parts_.store->save_account_url(ca_id_, found->url);
    if (!found.error().is_acme("accountDoesNotExist")) return fail(found.error());
  } else {
    if (!allow_register) return fail(Errc::not_found, "no account for " + parts_.config.ca.directory_url + " yet; run 'acmed account register'");
    // The CA first: a mistyped --server (a closed port, a web page) must not leave a key behind.
    if (auto dir = client_->directory(); !dir)
      return fail(dir.error().with_context("no ACME directory at " + parts_.config.ca.directory_url +
                                           " (no account key was made)"));
    auto key = PrivateKey::generate(parts_.config.account.key_type);
    if (!key) return fail(key.error());
    // Persist the key before the CA knows it, so a crash can never lose a registered key.
    if (auto r = parts_.store->save_account_key(ca_id_, key->to_pem()); !r) return r;
    account_key_ = &keys_.emplace_back(std::move(*key));
    fresh_key_ = true;
    client_->set_account(account_key_, std::nullopt);
  }
  if (!allow_register) return fail(Errc::not_found, "the CA has no account for the stored key");
  return register_account();
}

void Session::finish_interrupted_rollover() {
  // A rollover stopped either before keyChange reached the CA or after the CA switched
  // but before the new key was committed (full disk, read-only state, a kill). Only the
  // CA knows which; once it switched it accepts only the new key (RFC 8555 §7.3.5), so
  // without this every later run would sign with a key the CA refuses.
  const std::string dir = parts_.store->account_dir(ca_id_);
  const auto url = client_->account_url();
  auto pem = parts_.store->load_pending_account_key(ca_id_);
  std::optional<PrivateKey> next;
  if (pem && *pem)
    if (auto k = PrivateKey::from_pem((*pem)->view()); k) next.emplace(std::move(*k));
  if (next) {
    client_->set_account(&*next, url);
    if (auto held = client_->fetch_account(); held) {
      account_key_ = &keys_.emplace_back(std::move(*next));
      client_->set_account(account_key_, url);
      if (auto c = parts_.store->commit_pending_account_key(ca_id_); !c)
        spdlog::error("the CA holds the account key in {}/private_key.next.pem, but it cannot be moved into place "
                      "({}); this run uses it, move it to private_key.pem by hand",
                      dir, c.error().describe());
      else
        spdlog::warn("finished an interrupted key rollover: the CA holds the key from {}/private_key.next.pem, now "
                     "private_key.pem (the previous key is private_key.old.pem)",
                     dir);
      return;
    } else {
      spdlog::debug("the CA does not accept the pending account key: {}", held.error().describe());
    }
    client_->set_account(account_key_, url);
  }
  spdlog::warn("{}/private_key.next.pem exists: an earlier key rollover was interrupted and the CA does not accept "
               "that key (or could not be asked); acmed keeps using private_key.pem. Check with 'acmed account show' "
               "before removing either file",
               dir);
}

Result<void> Session::register_account() {
  auto dir = client_->directory();
  if (!dir) return fail(dir.error());
  if (dir->meta.terms_of_service && !parts_.config.account.agree_tos)
    return fail(Errc::config, "the CA requires agreeing to its terms of service (" + *dir->meta.terms_of_service +
                                  "); set 'account.agree_tos: true' in acmed.yaml or pass --agree-tos");
  acme::NewAccountOptions opts;
  opts.contact = parts_.config.account.contact;
  opts.terms_of_service_agreed = parts_.config.account.agree_tos;
  if (parts_.config.account.eab) {
    auto hmac_key = read_secret_file(parts_.config.account.eab->hmac_key_file);
    if (!hmac_key) return fail(hmac_key.error().with_context("EAB HMAC key"));
    opts.eab = acme::ExternalAccountBinding{parts_.config.account.eab->key_id, std::string(hmac_key->view()),
                                            parts_.config.account.eab->algorithm};
  }
  auto acct = client_->new_account(opts);
  if (!acct) {
    Error e = acct.error();
    if (e.is_acme("badPublicKey") || e.is_acme("badSignatureAlgorithm")) {
      // The CA refuses this kind of key. It was never registered, so it can go; the
      // next run generates a key of the configured type instead of reusing this one.
      if (fresh_key_)
        if (auto d = parts_.store->discard_unregistered_account_key(ca_id_); !d)
          spdlog::warn("the refused account key stays in {}: {}", parts_.store->account_dir(ca_id_), d.error().describe());
      e = e.with_context("the CA does not accept " + to_string(account_key_->type()) +
                         " account keys; set 'account.key_type' to ec-p256 (the default)");
    }
    return fail(std::move(e));
  }
  spdlog::info("account registered: {}", acct->url);
  if (auto r = parts_.store->save_account_url(ca_id_, acct->url); !r) return r;
  note_thumbprint();
  return {};
}

void Session::note_thumbprint() {
  if (!account_key_) return;
  const std::string tp = account_key_->thumbprint();
  auto stored = parts_.store->load_account_thumbprint(ca_id_);
  if (stored && *stored == tp) return;
  if (auto r = parts_.store->save_account_thumbprint(ca_id_, tp); !r)
    spdlog::warn("cannot record the account key's thumbprint ({}); acmed serve will load the key to show "
                 "draft -02 records",
                 r.error().describe());
}

Result<PrivateKey> Session::load_token_key(const std::string& uri) const {
  Secret pin;
  if (!parts_.config.account.pkcs11_pin_file.empty()) {
    auto p = read_secret_file(parts_.config.account.pkcs11_pin_file);
    if (!p) return fail(p.error().with_context("account.pkcs11.pin_file"));
    pin = std::move(*p);
  }
  return PrivateKey::from_pkcs11(uri, parts_.config.account.pkcs11_module, pin);
}

Result<void> Session::register_token_account(const std::string& uri) {
  std::lock_guard account(account_mu_);
  auto stored = parts_.store->load_account(ca_id_);
  if (!stored) return fail(stored.error());
  if (*stored) return fail(Errc::config, "an account for this CA already exists in " + parts_.store->account_dir(ca_id_) +
                                             "; move it to a token with 'acmed account rollover --key-uri'");
  auto key = load_token_key(uri);
  if (!key) return fail(key.error());
  // Record where the key lives before the CA hears of it.
  if (auto r = parts_.store->commit_token_key(ca_id_, uri); !r) return r;
  account_key_ = &keys_.emplace_back(std::move(*key));
  client_->set_account(account_key_, std::nullopt);
  return register_account();
}

void Session::note_key_change() {
  if (auto facts = parts_.store->load_ca_facts(ca_id_); facts) {
    facts->key_changed_at = std::chrono::duration_cast<std::chrono::seconds>(
                                client_->key_changed_at().value_or(std::chrono::system_clock::now()).time_since_epoch())
                                .count();
    if (auto r = parts_.store->save_ca_facts(ca_id_, *facts); !r)
      spdlog::warn("cannot record the time of the key rollover ({}); runs in the next minute may fail while the CA "
                   "still caches the old key",
                   r.error().describe());
  }
}

Result<void> Session::wait_for_new_key() {
  // The CA answered 200, but one that caches accounts (Boulder: a few seconds) may still
  // refuse the new key: return only once it verifies a request signed with it.
  auto held = client_->fetch_account();
  if (!held)
    return fail(held.error().with_context("the CA switched the account to the new key (stored), but does not accept "
                                          "its signatures yet"));
  return {};
}

Result<void> Session::rollover_to_token(const std::string& uri) {
  std::lock_guard account(account_mu_);
  auto next = load_token_key(uri);
  if (!next) return fail(next.error());
  // Draft -02 CAs keep accepting records hashed with the old key: remember it first.
  if (auto r = parts_.store->add_earlier_thumbprint(ca_id_, account_key_->thumbprint()); !r) return r;
  // In keys_ before the CA hears of it: the client signs with it from the CA's 200 on.
  PrivateKey* candidate = &keys_.emplace_back(std::move(*next));
  if (auto r = client_->rollover_key(*candidate); !r) return fail(r.error());
  account_key_ = candidate;
  note_key_change();
  if (auto c = parts_.store->commit_token_key(ca_id_, uri); !c)
    return fail(c.error().with_context("the CA switched to the token key " + uri + "; record it in key_uri by hand"));
  note_thumbprint();
  return wait_for_new_key();
}

Result<void> Session::rollover_account_key(KeyType type) {
  std::lock_guard account(account_mu_);
  auto next = PrivateKey::generate(type);
  if (!next) return fail(next.error());
  if (auto r = parts_.store->save_pending_account_key(ca_id_, next->to_pem()); !r) return r;
  // Draft -02 CAs keep accepting records hashed with the old key: remember it first.
  if (auto r = parts_.store->add_earlier_thumbprint(ca_id_, account_key_->thumbprint()); !r) return r;
  // In keys_ before the CA hears of it: the client signs with it from the CA's 200 on.
  PrivateKey* candidate = &keys_.emplace_back(std::move(*next));
  auto r = client_->rollover_key(*candidate);
  if (!r) {
    if (auto d = parts_.store->discard_pending_account_key(ca_id_); !d)
      spdlog::warn("the unused new key stays as private_key.next.pem in {}: {}", parts_.store->account_dir(ca_id_),
                   d.error().describe());
    return fail(r.error());
  }
  // The CA now knows only the new key; the client already signs with it.
  account_key_ = candidate;
  // Recorded first: a run that finishes an interrupted commit must know the key just changed.
  note_key_change();
  if (auto c = parts_.store->commit_pending_account_key(ca_id_); !c)
    return fail(c.error().with_context("the CA switched to the new key, which is in private_key.next.pem"));
  note_thumbprint();
  return wait_for_new_key();
}

Result<void> Session::recover_account(const std::string& failed_url) {
  std::lock_guard account(account_mu_);
  // Several workers may see accountDoesNotExist for the same URL: the first registers
  // again, the others find a different URL already in place and just retry with it.
  if (client_->account_url() != failed_url) return {};
  spdlog::warn("the CA does not know the stored account URL; registering the stored key again");
  if (auto r = parts_.store->forget_account_url(ca_id_); !r) return r;
  // The old URL stays in the client until the new one replaces it (newAccount is signed
  // with the key itself): other workers never sign a request without one.
  return register_account();
}

}  // namespace acmed::app
