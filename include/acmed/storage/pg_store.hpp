// SPDX-License-Identifier: Apache-2.0
// File: acmed/storage/pg_store.hpp
//
// The StateStore in PostgreSQL (libpq), for a fleet of nodes sharing one account and one
// set of certificates. The database holds accounts, certificate versions, renewal state
// and CA facts; private keys in it are sealed with AES-256-GCM under a key that never
// enters the database (aead_seal). Each node keeps its own copy of the current version
// in its local state directory (live/, archive/), written atomically as the file store
// does, and its deploy queue there.
//
// Locks are PostgreSQL session advisory locks, each on a connection of its own: a node
// that dies (even SIGKILL) loses its connection and so its locks, and another node takes
// over. A new version becomes current in one transaction.
//
//   storage::PgOptions o{.dsn = Secret(dsn), .key = Secret(key32), .node = "web1", .local_root = "/var/lib/acmed"};
//   auto store = storage::PgStateStore::open(std::move(o));
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "acmed/storage/store.hpp"

namespace acmed::storage {

struct PgOptions {
  Secret dsn;              ///< libpq connection string (it may hold a password)
  Secret key;              ///< 32 bytes: seals every private key kept in the database
  std::string node;        ///< this node's name, recorded with what it renews and deploys
  std::string local_root;  ///< this node's state directory: live/, archive/, deploy-queue/
};

/// One node's view of a certificate: the version it last deployed.
struct NodeVersion {
  std::string node;
  std::string name;
  int version = 0;
  std::int64_t deployed_at = 0;  ///< Unix seconds
};

/// Who made a version, and when.
struct VersionInfo {
  std::string name;
  int version = 0;
  std::string node;
  std::int64_t created_at = 0;
};

class PgStateStore final : public StateStore {
 public:
  /// Connects and brings the schema up to date (migrations run under a lock, so nodes
  /// starting together do not race). Fails clearly when the database is unreachable.
  [[nodiscard]] static Result<std::unique_ptr<PgStateStore>> open(PgOptions o);
  ~PgStateStore() override;
  PgStateStore(const PgStateStore&) = delete;
  PgStateStore& operator=(const PgStateStore&) = delete;

  std::string location() const override;
  /// The schema version this build brings the database to.
  static int schema_version();

  [[nodiscard]] Result<std::optional<StoredAccount>> load_account(const std::string& ca) const override;
  [[nodiscard]] Result<void> save_account_key(const std::string& ca, const Secret& key_pem) const override;
  [[nodiscard]] Result<void> save_account_url(const std::string& ca, const std::string& url) const override;
  [[nodiscard]] Result<std::optional<std::string>> load_account_url(const std::string& ca) const override;
  [[nodiscard]] Result<void> forget_account_url(const std::string& ca) const override;
  [[nodiscard]] Result<void> discard_unregistered_account_key(const std::string& ca) const override;
  std::string account_dir(const std::string& ca) const override;
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

  /// Commits the version in the database (it becomes current for every node in one
  /// transaction), then writes it to this node's live/.
  [[nodiscard]] Result<int> save_certificate(const std::string& name, const std::string& fullchain_pem,
                                             const Secret& key_pem) const override;
  [[nodiscard]] Result<std::optional<StoredCertificate>> load_certificate(const std::string& name) const override;
  [[nodiscard]] Result<std::string> certificate_identity(const std::string& name) const override;
  [[nodiscard]] Result<Secret> load_certificate_key(const std::string& name) const override;
  std::string live_dir(const std::string& name) const override;
  [[nodiscard]] Result<void> repair_live(const std::string& name) const override;
  [[nodiscard]] Result<RenewalState> load_renewal_state(const std::string& name) const override;
  [[nodiscard]] Result<void> save_renewal_state(const std::string& name, const RenewalState& st) const override;
  [[nodiscard]] Result<void> queue_deploy(const std::string& name) const override;
  [[nodiscard]] Result<TakenQueue> take_deploy_queue() const override;
  [[nodiscard]] Result<StoredCertificate> snapshot_certificate(const std::string& name,
                                                               const std::string& dir) const override;
  /// Fleet-wide: while one node holds it, `wait=false` on any other node gives Errc::timeout.
  [[nodiscard]] Result<LockHandle> lock_certificate(const std::string& name, bool wait) const override;
  [[nodiscard]] Result<LockHandle> lock_accounts() const override;

  // Fleet operations beyond the StateStore interface.

  /// Makes this node's live/NAME the database's current version. Returns that version
  /// when this node has not deployed it yet (its hooks should run, then mark_deployed),
  /// or 0 when it had. Holds this node's local lock, so it never races a save here.
  [[nodiscard]] Result<int> sync_certificate(const std::string& name) const;
  /// Records that this node deployed `version` of `name` (after its hooks succeeded).
  [[nodiscard]] Result<void> mark_deployed(const std::string& name, int version) const;
  /// Every certificate with a version in the database.
  [[nodiscard]] Result<std::vector<std::string>> certificate_names() const;
  /// The current version of each certificate, with the node that made it.
  [[nodiscard]] Result<std::vector<VersionInfo>> current_versions() const;
  /// What every node last deployed.
  [[nodiscard]] Result<std::vector<NodeVersion>> node_versions() const;
  const std::string& node() const;

 private:
  struct Impl;
  explicit PgStateStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace acmed::storage
