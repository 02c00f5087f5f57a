// SPDX-License-Identifier: Apache-2.0
#include "acmed/storage/memory_store.hpp"

#include <algorithm>
#include <condition_variable>
#include <functional>

#include "acmed/core/crypto.hpp"
#include "acmed/core/files.hpp"

namespace acmed::storage {

struct MemoryStateStore::State {
  struct Account {
    std::string key_pem, next_key_pem, old_key_pem;
    std::optional<std::string> key_uri, url, seen;
    CaFacts facts;
    std::vector<std::string> earlier;
    std::string thumbprint;
    int retired = 0;
  };
  struct Certificate {
    std::vector<std::pair<std::string, std::string>> versions;  ///< fullchain, key
  };
  std::mutex mu;
  std::condition_variable released;
  std::set<std::string> deploy_queue;
  std::map<std::string, Account> accounts;
  std::map<std::string, Certificate> certificates;
  std::map<std::string, RenewalState> renewal;
  std::set<std::string> locks;
};

namespace {

class MemoryLock final : public Lock {
 public:
  MemoryLock(std::shared_ptr<void> state, std::function<void()> release)
      : state_(std::move(state)), release_(std::move(release)) {}
  ~MemoryLock() override { release_(); }

 private:
  std::shared_ptr<void> state_;
  std::function<void()> release_;
};

}  // namespace

MemoryStateStore::MemoryStateStore() : state_(std::make_shared<State>()) {}
MemoryStateStore::~MemoryStateStore() = default;

Result<std::optional<StoredAccount>> MemoryStateStore::load_account(const std::string& ca) const {
  std::lock_guard g(state_->mu);
  auto it = state_->accounts.find(ca);
  if (it == state_->accounts.end() || (it->second.key_pem.empty() && !it->second.key_uri))
    return std::optional<StoredAccount>{};
  StoredAccount a;
  if (!it->second.key_uri) a.key_pem = Secret(it->second.key_pem);
  a.key_uri = it->second.key_uri;
  a.url = it->second.url;
  return std::optional<StoredAccount>(std::move(a));
}

Result<void> MemoryStateStore::save_account_key(const std::string& ca, const Secret& key_pem) const {
  std::lock_guard g(state_->mu);
  auto& a = state_->accounts[ca];
  if (!a.key_pem.empty()) return fail(Errc::io, "refusing to overwrite existing account key " + account_dir(ca));
  a.key_pem = std::string(key_pem.view());
  return {};
}

Result<void> MemoryStateStore::save_account_url(const std::string& ca, const std::string& url) const {
  std::lock_guard g(state_->mu);
  state_->accounts[ca].url = url;
  return {};
}

Result<std::optional<std::string>> MemoryStateStore::load_account_url(const std::string& ca) const {
  std::lock_guard g(state_->mu);
  auto it = state_->accounts.find(ca);
  return it == state_->accounts.end() ? std::optional<std::string>{} : it->second.url;
}

Result<void> MemoryStateStore::forget_account_url(const std::string& ca) const {
  std::lock_guard g(state_->mu);
  state_->accounts[ca].url.reset();
  return {};
}

Result<void> MemoryStateStore::discard_unregistered_account_key(const std::string& ca) const {
  std::lock_guard g(state_->mu);
  auto& a = state_->accounts[ca];
  if (a.url) return fail(Errc::io, "refusing to remove the key of a registered account in " + account_dir(ca));
  a.key_pem.clear();
  return {};
}

Result<void> MemoryStateStore::save_seen_challenges(const std::string& ca, const std::string& types) const {
  std::lock_guard g(state_->mu);
  state_->accounts[ca].seen = types;
  return {};
}

Result<std::optional<std::string>> MemoryStateStore::load_seen_challenges(const std::string& ca) const {
  std::lock_guard g(state_->mu);
  auto it = state_->accounts.find(ca);
  return it == state_->accounts.end() ? std::optional<std::string>{} : it->second.seen;
}

Result<void> MemoryStateStore::save_ca_facts(const std::string& ca, const CaFacts& facts) const {
  std::lock_guard g(state_->mu);
  state_->accounts[ca].facts = facts;
  return {};
}

Result<CaFacts> MemoryStateStore::load_ca_facts(const std::string& ca) const {
  std::lock_guard g(state_->mu);
  auto it = state_->accounts.find(ca);
  return it == state_->accounts.end() ? CaFacts{} : it->second.facts;
}

Result<void> MemoryStateStore::add_earlier_thumbprint(const std::string& ca, const std::string& thumbprint) const {
  std::lock_guard g(state_->mu);
  auto& e = state_->accounts[ca].earlier;
  if (std::find(e.begin(), e.end(), thumbprint) == e.end()) e.push_back(thumbprint);
  return {};
}

Result<std::vector<std::string>> MemoryStateStore::load_earlier_thumbprints(const std::string& ca) const {
  std::lock_guard g(state_->mu);
  auto it = state_->accounts.find(ca);
  return it == state_->accounts.end() ? std::vector<std::string>{} : it->second.earlier;
}

Result<void> MemoryStateStore::retire_earlier_thumbprints(const std::string& ca) const {
  std::lock_guard g(state_->mu);
  state_->accounts[ca].earlier.clear();
  return {};
}

Result<void> MemoryStateStore::save_account_thumbprint(const std::string& ca, const std::string& thumbprint) const {
  std::lock_guard g(state_->mu);
  state_->accounts[ca].thumbprint = thumbprint;
  return {};
}

Result<std::string> MemoryStateStore::load_account_thumbprint(const std::string& ca) const {
  std::lock_guard g(state_->mu);
  auto it = state_->accounts.find(ca);
  return it == state_->accounts.end() ? std::string() : it->second.thumbprint;
}

Result<std::string> MemoryStateStore::retire_account(const std::string& ca) const {
  std::lock_guard g(state_->mu);
  auto& a = state_->accounts[ca];
  if (!a.next_key_pem.empty()) return fail(Errc::io, "finish or undo the interrupted key rollover first");
  if (a.key_pem.empty() && !a.key_uri && !a.url) return std::string();
  // What the CA speaks stays; the account's own data goes to a retired slot.
  State::Account retired;
  retired.key_pem = std::move(a.key_pem);
  retired.key_uri = std::move(a.key_uri);
  retired.url = std::move(a.url);
  retired.earlier = std::move(a.earlier);
  retired.thumbprint = std::move(a.thumbprint);
  a.thumbprint.clear();
  const std::string slot = ca + "/retired-" + std::to_string(++a.retired);
  a.key_pem.clear();
  a.key_uri.reset();
  a.url.reset();
  a.earlier.clear();
  state_->accounts[slot] = std::move(retired);
  return "memory:accounts/" + slot;
}

Result<void> MemoryStateStore::save_pending_account_key(const std::string& ca, const Secret& key_pem) const {
  std::lock_guard g(state_->mu);
  auto& a = state_->accounts[ca];
  if (!a.next_key_pem.empty()) return fail(Errc::io, "an earlier key rollover was interrupted");
  a.next_key_pem = std::string(key_pem.view());
  return {};
}

Result<void> MemoryStateStore::commit_pending_account_key(const std::string& ca) const {
  std::lock_guard g(state_->mu);
  auto& a = state_->accounts[ca];
  if (a.next_key_pem.empty()) return fail(Errc::io, "no pending account key to commit");
  a.old_key_pem = std::move(a.key_pem);
  a.key_pem = std::move(a.next_key_pem);
  a.next_key_pem.clear();
  a.key_uri.reset();  // coming back from a token: the file key is in charge again
  return {};
}

Result<void> MemoryStateStore::discard_pending_account_key(const std::string& ca) const {
  std::lock_guard g(state_->mu);
  state_->accounts[ca].next_key_pem.clear();
  return {};
}

Result<std::optional<Secret>> MemoryStateStore::load_pending_account_key(const std::string& ca) const {
  std::lock_guard g(state_->mu);
  auto it = state_->accounts.find(ca);
  if (it == state_->accounts.end() || it->second.next_key_pem.empty()) return std::optional<Secret>{};
  return std::optional<Secret>(Secret(std::string(it->second.next_key_pem)));
}

bool MemoryStateStore::has_pending_account_key(const std::string& ca) const {
  std::lock_guard g(state_->mu);
  auto it = state_->accounts.find(ca);
  return it != state_->accounts.end() && !it->second.next_key_pem.empty();
}

Result<void> MemoryStateStore::commit_token_key(const std::string& ca, const std::string& uri) const {
  std::lock_guard g(state_->mu);
  auto& a = state_->accounts[ca];
  a.key_uri = uri;
  if (!a.key_pem.empty()) a.old_key_pem = std::move(a.key_pem);
  a.key_pem.clear();
  return {};
}

Result<int> MemoryStateStore::save_certificate(const std::string& name, const std::string& fullchain_pem,
                                               const Secret& key_pem) const {
  auto ders = parse_pem_chain(fullchain_pem);
  if (!ders) return fail(ders.error().with_context("refusing to store certificate"));
  std::lock_guard g(state_->mu);
  auto& c = state_->certificates[name];
  c.versions.emplace_back(fullchain_pem, std::string(key_pem.view()));
  return static_cast<int>(c.versions.size());
}

Result<std::optional<StoredCertificate>> MemoryStateStore::load_certificate(const std::string& name) const {
  std::lock_guard g(state_->mu);
  auto it = state_->certificates.find(name);
  if (it == state_->certificates.end() || it->second.versions.empty()) return std::optional<StoredCertificate>{};
  StoredCertificate c;
  c.version = static_cast<int>(it->second.versions.size());
  c.fullchain_pem = it->second.versions.back().first;
  c.live_dir = live_dir(name);
  return std::optional<StoredCertificate>(std::move(c));
}

Result<std::string> MemoryStateStore::certificate_identity(const std::string& name) const {
  std::lock_guard g(state_->mu);
  auto it = state_->certificates.find(name);
  if (it == state_->certificates.end() || it->second.versions.empty()) return std::string();
  // Versions are only ever appended: the count names the live one.
  return "v" + std::to_string(it->second.versions.size());
}

Result<Secret> MemoryStateStore::load_certificate_key(const std::string& name) const {
  std::lock_guard g(state_->mu);
  auto it = state_->certificates.find(name);
  if (it == state_->certificates.end() || it->second.versions.empty())
    return fail(Errc::not_found, "no certificate named '" + name + "'");
  return Secret(it->second.versions.back().second);
}

Result<RenewalState> MemoryStateStore::load_renewal_state(const std::string& name) const {
  std::lock_guard g(state_->mu);
  auto it = state_->renewal.find(name);
  return it == state_->renewal.end() ? RenewalState{} : it->second;
}

Result<void> MemoryStateStore::save_renewal_state(const std::string& name, const RenewalState& st) const {
  std::lock_guard g(state_->mu);
  state_->renewal[name] = st;
  return {};
}

Result<LockHandle> MemoryStateStore::take(const std::string& key, bool wait, const std::string& what) const {
  std::unique_lock g(state_->mu);
  if (!wait && state_->locks.count(key)) return fail(Errc::timeout, "another acmed process is working on " + what);
  state_->released.wait(g, [&] { return !state_->locks.count(key); });
  state_->locks.insert(key);
  std::weak_ptr<State> weak = state_;
  return LockHandle(std::make_unique<MemoryLock>(state_, [weak, key] {
    if (auto st = weak.lock()) {
      {
        std::lock_guard lg(st->mu);
        st->locks.erase(key);
      }
      st->released.notify_all();
    }
  }));
}

Result<LockHandle> MemoryStateStore::lock_certificate(const std::string& name, bool wait) const {
  return take("certificate:" + name, wait, "certificate '" + name + "'");
}

Result<LockHandle> MemoryStateStore::lock_accounts() const { return take("accounts", true, "accounts"); }

Result<void> MemoryStateStore::queue_deploy(const std::string& name) const {
  std::lock_guard g(state_->mu);
  state_->deploy_queue.insert(name);
  return {};
}

Result<StateStore::TakenQueue> MemoryStateStore::take_deploy_queue() const {
  std::lock_guard g(state_->mu);
  TakenQueue out;
  out.names.assign(state_->deploy_queue.begin(), state_->deploy_queue.end());
  state_->deploy_queue.clear();
  return out;
}

Result<StoredCertificate> MemoryStateStore::snapshot_certificate(const std::string& name, const std::string& dir) const {
  auto stored = load_certificate(name);
  if (!stored) return fail(stored.error());
  if (!*stored) return fail(Errc::not_found, "no certificate is stored for '" + name + "'");
  StoredCertificate out = **stored;
  if (auto r = write_file_atomic(dir + "/fullchain.pem", out.fullchain_pem, 0600); !r) return fail(r.error());
  out.live_dir = dir;
  return out;
}

}  // namespace acmed::storage
