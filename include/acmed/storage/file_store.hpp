// SPDX-License-Identifier: Apache-2.0
// File: acmed/storage/file_store.hpp
//
// The StateStore on disk, under the state directory (certbot-compatible layout, see
// store.hpp). Every write is atomic (temp + fsync + rename); keys are 0600,
// directories 0700; locks are flock(2) on files under locks/.
//
//   storage::FileStateStore store("/var/lib/acmed");
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "acmed/storage/store.hpp"

namespace acmed::storage {

class FileStateStore final : public StateStore {
 public:
  explicit FileStateStore(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }
  std::string location() const override { return root_; }

  [[nodiscard]] Result<std::optional<StoredAccount>> load_account(const std::string& ca) const override;
  [[nodiscard]] Result<void> save_account_key(const std::string& ca, const Secret& key_pem) const override;
  [[nodiscard]] Result<void> save_account_url(const std::string& ca, const std::string& url) const override;
  [[nodiscard]] Result<std::optional<std::string>> load_account_url(const std::string& ca) const override;
  [[nodiscard]] Result<void> forget_account_url(const std::string& ca) const override;
  /// Removes an account key the CA never accepted. Refuses when an account URL is stored.
  [[nodiscard]] Result<void> discard_unregistered_account_key(const std::string& ca) const override;
  std::string account_dir(const std::string& ca) const override;

  /// The challenge types the CA last offered, with the time: "2026-11-28T10:00:00Z http-01 dns-01 ...".
  [[nodiscard]] Result<void> save_seen_challenges(const std::string& ca, const std::string& types) const override;
  [[nodiscard]] Result<std::optional<std::string>> load_seen_challenges(const std::string& ca) const override;
  /// The CA's dns-persist-01 facts as last seen (empty CaFacts when never seen).
  [[nodiscard]] Result<void> save_ca_facts(const std::string& ca, const CaFacts& facts) const override;
  [[nodiscard]] Result<CaFacts> load_ca_facts(const std::string& ca) const override;
  /// Thumbprints of the account's keys before each rollover, oldest first: draft -02
  /// CAs accept records hashed with them until the account is deactivated.
  [[nodiscard]] Result<void> add_earlier_thumbprint(const std::string& ca, const std::string& thumbprint) const override;
  [[nodiscard]] Result<std::vector<std::string>> load_earlier_thumbprints(const std::string& ca) const override;
  /// A new account (new URL): earlier keys of the old one no longer matter. The file is
  /// kept as earlier-thumbprints.old.
  [[nodiscard]] Result<void> retire_earlier_thumbprints(const std::string& ca) const override;
  [[nodiscard]] Result<void> save_account_thumbprint(const std::string& ca, const std::string& thumbprint) const override;
  [[nodiscard]] Result<std::string> load_account_thumbprint(const std::string& ca) const override;
  /// Moves the account's key, URL and key history into accounts/<ca>/retired-<time>/
  /// (nothing is deleted) so a new account can be registered. Returns that directory,
  /// or "" when no account was stored.
  [[nodiscard]] Result<std::string> retire_account(const std::string& ca) const override;

  /// Key rollover in three steps, so no key is ever lost: the new key is stored as
  /// private_key.next.pem before the CA hears of it; commit moves it into place
  /// (the old key stays as private_key.old.pem); discard removes it after a refusal.
  [[nodiscard]] Result<void> save_pending_account_key(const std::string& ca, const Secret& key_pem) const override;
  [[nodiscard]] Result<void> commit_pending_account_key(const std::string& ca) const override;
  [[nodiscard]] Result<void> discard_pending_account_key(const std::string& ca) const override;
  bool has_pending_account_key(const std::string& ca) const override;
  [[nodiscard]] Result<std::optional<Secret>> load_pending_account_key(const std::string& ca) const override;
  /// Records that the account key now lives in a token at `uri`; a file key that was in
  /// use is kept as private_key.old.pem.
  [[nodiscard]] Result<void> commit_token_key(const std::string& ca, const std::string& uri) const override;

  /// Writes a new archive version, then points live/ at it. Returns the version number.
  [[nodiscard]] virtual Result<int> save_certificate(const std::string& name, const std::string& fullchain_pem,
                                                     const Secret& key_pem) const override;
  [[nodiscard]] Result<std::optional<StoredCertificate>> load_certificate(const std::string& name) const override;
  /// Device, inode, size and modification time (ns) of the file live/NAME/fullchain.pem
  /// points at, after repair_live: a new version is a new file.
  [[nodiscard]] Result<std::string> certificate_identity(const std::string& name) const override;
  /// The live private key of a certificate (for revocation with the certificate key).
  [[nodiscard]] Result<Secret> load_certificate_key(const std::string& name) const override;
  std::string live_dir(const std::string& name) const override;
  /// Finishes an interrupted live/ switch: all four links to the newest complete version.
  [[nodiscard]] Result<void> repair_live(const std::string& name) const override;

  [[nodiscard]] Result<RenewalState> load_renewal_state(const std::string& name) const override;
  [[nodiscard]] Result<void> save_renewal_state(const std::string& name, const RenewalState& st) const override;

  /// Per-certificate lock. With wait=false a held lock gives Errc::timeout at once
  /// ("another acmed is working on NAME"), so two cron runs never fight. Once held, what
  /// an interrupted run left in archive/NAME is removed (cleanup_incomplete).
  [[nodiscard]] Result<LockHandle> lock_certificate(const std::string& name, bool wait) const override;
  /// Removes what interrupted writes left: temp files in archive/NAME and live/NAME, and
  /// incomplete versions (lacking cert, chain, fullchain or privkey) that hold a key or
  /// are newer than live/, so no key stays without its certificate. Never touches a
  /// version a live/ link points at; keeps complete versions, and older versions whose
  /// key an operator removed. Call it only while holding the certificate lock.
  [[nodiscard]] Result<void> cleanup_incomplete(const std::string& name) const;
  /// Short global lock around account state (registration, rollover).
  [[nodiscard]] Result<LockHandle> lock_accounts() const override;
  /// deploy-queue/NAME, one empty file per certificate.
  [[nodiscard]] Result<void> queue_deploy(const std::string& name) const override;
  [[nodiscard]] Result<TakenQueue> take_deploy_queue() const override;
  [[nodiscard]] Result<StoredCertificate> snapshot_certificate(const std::string& name,
                                                               const std::string& dir) const override;
 private:
  /// Takes the temp files in renewal/ of certificate `name` (".NAME.tmp-N") out of the
  /// list made when this store first needed it. renewal/ is listed once per store (per
  /// process), not per lock: a run that writes every certificate's state changes the
  /// directory each time, and a listing per lock made a first run with 10,000
  /// certificates O(n^2). A temp another process leaves while this one runs is removed
  /// by the next run.
  [[nodiscard]] Result<std::vector<std::string>> take_renewal_temps(const std::string& name) const;

  std::string root_;
  mutable std::mutex temps_mu_;
  /// Certificate name -> its temp files in renewal/, once listed.
  mutable std::optional<std::map<std::string, std::vector<std::string>>> temps_;
};

}  // namespace acmed::storage
