// SPDX-License-Identifier: Apache-2.0
// File: acmed/storage/memory_store.hpp
//
// The StateStore in memory: the same rules as the file store (an account key is never
// overwritten, a rollover keeps both keys, only certificate chains are stored,
// versions count up, locks exclude), with nothing on disk. For tests of the
// application layer, and a model for other backends.
//
//   storage::MemoryStateStore store;
//   app::anchored_persist_until(store, "www", settings);
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "acmed/storage/store.hpp"

namespace acmed::storage {

class MemoryStateStore final : public StateStore {
 public:
  MemoryStateStore();
  ~MemoryStateStore() override;
  std::string location() const override { return "memory"; }

  [[nodiscard]] Result<std::optional<StoredAccount>> load_account(const std::string& ca) const override;
  [[nodiscard]] Result<void> save_account_key(const std::string& ca, const Secret& key_pem) const override;
  [[nodiscard]] Result<void> save_account_url(const std::string& ca, const std::string& url) const override;
  [[nodiscard]] Result<std::optional<std::string>> load_account_url(const std::string& ca) const override;
  [[nodiscard]] Result<void> forget_account_url(const std::string& ca) const override;
  [[nodiscard]] Result<void> discard_unregistered_account_key(const std::string& ca) const override;
  std::string account_dir(const std::string& ca) const override { return "memory:accounts/" + ca; }

  [[nodiscard]] Result<void> save_seen_challenges(const std::string& ca, const std::string& types) const override;
  [[nodiscard]] Result<std::optional<std::string>> load_seen_challenges(const std::string& ca) const override;
  [[nodiscard]] Result<void> save_ca_facts(const std::string& ca, const CaFacts& facts) const override;
  [[nodiscard]] Result<CaFacts> load_ca_facts(const std::string& ca) const override;
  [[nodiscard]] Result<void> add_earlier_thumbprint(const std::string& ca, const std::string& thumbprint) const override;
  [[nodiscard]] Result<std::vector<std::string>> load_earlier_thumbprints(const std::string& ca) const override;
  [[nodiscard]] Result<void> retire_earlier_thumbprints(const std::string& ca) const override;
  [[nodiscard]] Result<void> save_account_thumbprint(const std::string& ca, const std::string& thumbprint) const override;
  [[nodiscard]] Result<std::string> load_account_thumbprint(const std::string& ca) const override;
  [[nodiscard]] Result<std::string> retire_account(const std::string& ca) const override;

  [[nodiscard]] Result<void> save_pending_account_key(const std::string& ca, const Secret& key_pem) const override;
  [[nodiscard]] Result<void> commit_pending_account_key(const std::string& ca) const override;
  [[nodiscard]] Result<void> discard_pending_account_key(const std::string& ca) const override;
  bool has_pending_account_key(const std::string& ca) const override;
  [[nodiscard]] Result<std::optional<Secret>> load_pending_account_key(const std::string& ca) const override;
  [[nodiscard]] Result<void> commit_token_key(const std::string& ca, const std::string& uri) const override;

  [[nodiscard]] Result<int> save_certificate(const std::string& name, const std::string& fullchain_pem,
                                             const Secret& key_pem) const override;
  [[nodiscard]] Result<std::optional<StoredCertificate>> load_certificate(const std::string& name) const override;
  [[nodiscard]] Result<std::string> certificate_identity(const std::string& name) const override;
  [[nodiscard]] Result<Secret> load_certificate_key(const std::string& name) const override;
  std::string live_dir(const std::string& name) const override { return "memory:live/" + name; }
  [[nodiscard]] Result<void> repair_live(const std::string&) const override { return {}; }

  [[nodiscard]] Result<RenewalState> load_renewal_state(const std::string& name) const override;
  [[nodiscard]] Result<void> save_renewal_state(const std::string& name, const RenewalState& st) const override;

  [[nodiscard]] Result<LockHandle> lock_certificate(const std::string& name, bool wait) const override;
  [[nodiscard]] Result<LockHandle> lock_accounts() const override;
  [[nodiscard]] Result<void> queue_deploy(const std::string& name) const override;
  [[nodiscard]] Result<TakenQueue> take_deploy_queue() const override;
  [[nodiscard]] Result<StoredCertificate> snapshot_certificate(const std::string& name,
                                                               const std::string& dir) const override;

 private:
  struct State;
  [[nodiscard]] Result<LockHandle> take(const std::string& key, bool wait, const std::string& what) const;
  std::shared_ptr<State> state_;  ///< shared with live lock handles, which may outlive a moved store
};

}  // namespace acmed::storage
