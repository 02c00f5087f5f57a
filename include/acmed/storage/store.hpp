// SPDX-License-Identifier: Apache-2.0
// File: acmed/storage/store.hpp
//
// acmed's state behind one interface: accounts, certificate versions, renewal state,
// what each CA was seen to say, and locks. Two implementations:
//   FileStateStore (acmed/storage/file_store.hpp): the state directory, certbot-compatible
//     accounts/<ca-id>/{private_key.pem,account_url}
//     archive/<name>/{cert,chain,fullchain,privkey}N.pem
//     live/<name>/{cert,chain,fullchain,privkey}.pem -> ../../archive/<name>/...N.pem
//   MemoryStateStore (acmed/storage/memory_store.hpp): in memory, for tests.
//
//   storage::FileStateStore files("/var/lib/acmed");
//   storage::StateStore& store = files;
//   auto acct = store.load_account(storage::ca_id("https://acme-v02.api.letsencrypt.org/directory"));
#pragma once

#include <cstdint>
#include <memory>
#include <vector>
#include <optional>
#include <string>

#include "acmed/core/files.hpp"
#include "acmed/core/result.hpp"
#include "acmed/core/secret.hpp"

namespace acmed::storage {

// The file primitives live in core so solvers can use them; kept visible here too.
using acmed::ensure_dir;
using acmed::read_file;
using acmed::write_file_atomic;

/// A directory-safe id for a CA: "acme-v02.api.letsencrypt.org/directory" -> "acme-v02.api.letsencrypt.org_directory".
std::string ca_id(const std::string& directory_url);

struct StoredAccount {
  Secret key_pem;                     ///< empty when the key lives in a PKCS#11 token
  std::optional<std::string> key_uri; ///< pkcs11: URI of a token-held key (accounts/<ca>/key_uri)
  std::optional<std::string> url;
};

/// Per-certificate renewal bookkeeping, kept across runs (state/renewal/NAME).
struct RenewalState {
  int failures = 0;                                  ///< consecutive failures
  std::optional<std::int64_t> last_success;          ///< Unix seconds
  std::optional<std::int64_t> last_failure;
  std::optional<std::int64_t> next_attempt;          ///< back-off: no automatic attempt before this
  std::string last_error;                            ///< one line
  // ARI (RFC 9773): the window the CA suggested, the random time chosen in it, and
  // when to ask again.
  std::string ari_cert_id;
  std::optional<std::int64_t> ari_start, ari_end, ari_chosen, ari_retry_after;
  // dns-persist-01: a persistUntil configured as a duration, computed once and kept, so
  // the published value does not change every day. It moves only when the configured
  // text changes or on request (acmed persist roll).
  std::optional<std::int64_t> persist_until;
  std::string persist_until_spec;  ///< the configured text it was computed from
  // What the schedule needs from the stored certificate, kept while the store's
  // certificate_identity() of it is unchanged: a run with nothing due parses no X.509.
  std::string cert_identity;
  std::optional<std::int64_t> cert_not_before, cert_not_after;
  std::string cert_ari_id;
  // ... and what the status views show of it (list, status and serve at 10,000
  // certificates parse no X.509 either): serial, DNS names, IP addresses.
  std::string cert_serial;
  std::vector<std::string> cert_dns_names, cert_ip_addresses;

  bool operator==(const RenewalState&) const = default;
};

/// What acmed last learned about a CA's dns-persist-01 wire format (accounts/<ca>/dns-persist).
struct CaFacts {
  std::string revision;        ///< "01" or "02"; "" when never seen
  std::string hash_prefix;     ///< draft -02 meta.accountHashPrefix
  std::vector<std::string> issuer_domain_names;  ///< draft -02 meta.issuerDomainNames
  std::vector<std::string> caa_identities;       ///< meta.caaIdentities
  std::string previous_revision;            ///< before the last change ("" = none seen)
  std::optional<std::int64_t> changed_at;   ///< Unix seconds of the last change
  /// Draft -01: the accounturi the CA put in its dns-persist-01 challenges when it differs
  /// from the account URL (Boulder builds it from its accountURIPrefixes), and the account
  /// URL it was seen for ("" = the CA names the account by its URL).
  std::string account_uri;
  std::string account_uri_of;
  /// Unix seconds of the account's last key rollover (keyChange answered 200): a CA that
  /// caches accounts may still reject the new key for a while (see acme::ClientOptions).
  std::optional<std::int64_t> key_changed_at;
};

/// The text form every store keeps RenewalState and CaFacts in (key=value lines; unknown
/// keys ignored, so older and newer acmed read each other's).
std::string encode_renewal_state(const RenewalState& st);
/// The words of a space-separated list (the stores' text form of lists).
std::vector<std::string> split_words(const std::string& s);
RenewalState decode_renewal_state(const std::string& text);
std::string encode_ca_facts(const CaFacts& f);
CaFacts decode_ca_facts(const std::string& text);

/// An exclusive lock, held until the handle is destroyed.
class Lock {
 public:
  virtual ~Lock() = default;
};
using LockHandle = std::unique_ptr<Lock>;

/// An exclusive flock held until destruction.
class FileLock final : public Lock {
 public:
  FileLock() = default;
  explicit FileLock(int fd) : fd_(fd) {}
  FileLock(FileLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  FileLock& operator=(FileLock&& o) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() override;
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

struct StoredCertificate {
  int version = 0;
  std::string fullchain_pem;
  std::string live_dir;
};

class StateStore {
 public:
  virtual ~StateStore() = default;
  /// Where the state lives, for messages ("/var/lib/acmed", "memory").
  virtual std::string location() const = 0;

  [[nodiscard]] virtual Result<std::optional<StoredAccount>> load_account(const std::string& ca) const = 0;
  [[nodiscard]] virtual Result<void> save_account_key(const std::string& ca, const Secret& key_pem) const = 0;
  [[nodiscard]] virtual Result<void> save_account_url(const std::string& ca, const std::string& url) const = 0;
  /// The account URL alone, without reading the key.
  [[nodiscard]] virtual Result<std::optional<std::string>> load_account_url(const std::string& ca) const = 0;
  [[nodiscard]] virtual Result<void> forget_account_url(const std::string& ca) const = 0;
  /// Removes an account key the CA never accepted. Refuses when an account URL is stored.
  [[nodiscard]] virtual Result<void> discard_unregistered_account_key(const std::string& ca) const = 0;
  virtual std::string account_dir(const std::string& ca) const = 0;

  /// The challenge types the CA last offered, with the time: "2026-11-28T10:00:00Z http-01 dns-01 ...".
  [[nodiscard]] virtual Result<void> save_seen_challenges(const std::string& ca, const std::string& types) const = 0;
  [[nodiscard]] virtual Result<std::optional<std::string>> load_seen_challenges(const std::string& ca) const = 0;
  /// The CA's dns-persist-01 facts as last seen (empty CaFacts when never seen).
  [[nodiscard]] virtual Result<void> save_ca_facts(const std::string& ca, const CaFacts& facts) const = 0;
  [[nodiscard]] virtual Result<CaFacts> load_ca_facts(const std::string& ca) const = 0;
  /// Thumbprints of the account's keys before each rollover, oldest first: draft -02
  /// CAs accept records hashed with them until the account is deactivated.
  [[nodiscard]] virtual Result<void> add_earlier_thumbprint(const std::string& ca, const std::string& thumbprint) const = 0;
  [[nodiscard]] virtual Result<std::vector<std::string>> load_earlier_thumbprints(const std::string& ca) const = 0;
  /// A new account (new URL): earlier keys of the old one no longer matter. The file is
  /// kept as earlier-thumbprints.old.
  [[nodiscard]] virtual Result<void> retire_earlier_thumbprints(const std::string& ca) const = 0;
  /// The RFC 7638 thumbprint of the account's current key, kept beside it so views
  /// (acmed serve) can show draft -02 records without loading the key ("" = unknown).
  [[nodiscard]] virtual Result<void> save_account_thumbprint(const std::string& ca, const std::string& thumbprint) const = 0;
  [[nodiscard]] virtual Result<std::string> load_account_thumbprint(const std::string& ca) const = 0;
  /// Moves the account's key, URL and key history into accounts/<ca>/retired-<time>/
  /// (nothing is deleted) so a new account can be registered. Returns that directory,
  /// or "" when no account was stored.
  [[nodiscard]] virtual Result<std::string> retire_account(const std::string& ca) const = 0;

  /// Key rollover in three steps, so no key is ever lost: the new key is stored as
  /// private_key.next.pem before the CA hears of it; commit moves it into place
  /// (the old key stays as private_key.old.pem); discard removes it after a refusal.
  [[nodiscard]] virtual Result<void> save_pending_account_key(const std::string& ca, const Secret& key_pem) const = 0;
  [[nodiscard]] virtual Result<void> commit_pending_account_key(const std::string& ca) const = 0;
  [[nodiscard]] virtual Result<void> discard_pending_account_key(const std::string& ca) const = 0;
  virtual bool has_pending_account_key(const std::string& ca) const = 0;
  /// The pending key itself (nothing when there is none), so a later run can ask the
  /// CA whether an interrupted rollover reached it.
  [[nodiscard]] virtual Result<std::optional<Secret>> load_pending_account_key(const std::string& ca) const = 0;
  /// Records that the account key now lives in a token at `uri`; a file key that was in
  /// use is kept as private_key.old.pem.
  [[nodiscard]] virtual Result<void> commit_token_key(const std::string& ca, const std::string& uri) const = 0;

  /// Writes a new archive version, then points live/ at it. Returns the version number.
  [[nodiscard]] virtual Result<int> save_certificate(const std::string& name, const std::string& fullchain_pem,
                                                     const Secret& key_pem) const = 0;
  [[nodiscard]] virtual Result<std::optional<StoredCertificate>> load_certificate(const std::string& name) const = 0;
  /// A cheap fingerprint of the stored certificate, without reading it: it changes
  /// whenever load_certificate would return something else ("" when none is stored).
  [[nodiscard]] virtual Result<std::string> certificate_identity(const std::string& name) const = 0;
  /// The live private key of a certificate (for revocation with the certificate key).
  [[nodiscard]] virtual Result<Secret> load_certificate_key(const std::string& name) const = 0;
  virtual std::string live_dir(const std::string& name) const = 0;
  /// Finishes an interrupted live/ switch: all four links to the newest complete version.
  [[nodiscard]] virtual Result<void> repair_live(const std::string& name) const = 0;

  [[nodiscard]] virtual Result<RenewalState> load_renewal_state(const std::string& name) const = 0;
  [[nodiscard]] virtual Result<void> save_renewal_state(const std::string& name, const RenewalState& st) const = 0;

  /// The deploy queue (hooks.mode: queue): an unprivileged renewal records here which
  /// certificates changed, and `acmed deploy --queued`, run as root, runs their hooks.
  [[nodiscard]] virtual Result<void> queue_deploy(const std::string& name) const = 0;
  /// Empties the queue and returns the certificate names it held. Every entry is
  /// removed, also those that are not plain files or not certificate names (they are
  /// listed in `rejected`), so a stuck entry cannot re-trigger a path unit forever.
  struct TakenQueue {
    std::vector<std::string> names;
    std::vector<std::string> rejected;  ///< escaped, with the reason
  };
  [[nodiscard]] virtual Result<TakenQueue> take_deploy_queue() const = 0;
  /// Copies the current version of certificate `name` (cert, chain, fullchain, privkey)
  /// into `dir` for a process running as root, never following a link the store did
  /// not write (the state directory may belong to an unprivileged user): the result's
  /// live_dir is `dir`.
  [[nodiscard]] virtual Result<StoredCertificate> snapshot_certificate(const std::string& name,
                                                                       const std::string& dir) const = 0;

  /// Per-certificate lock. With wait=false a held lock gives Errc::timeout at once
  /// ("another acmed is working on NAME"), so two cron runs never fight.
  [[nodiscard]] virtual Result<LockHandle> lock_certificate(const std::string& name, bool wait) const = 0;
  /// Short global lock around account state (registration, rollover).
  [[nodiscard]] virtual Result<LockHandle> lock_accounts() const = 0;
};

}  // namespace acmed::storage
