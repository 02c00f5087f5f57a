// SPDX-License-Identifier: Apache-2.0
// File: acmed/app/issuance.hpp
//
// Issuing and renewing one certificate: build its solvers, make sure the account
// exists, order, store, record the renewal state and run the deploy hooks. `acmed
// issue` and `acmed renew` both go through here, so the follow-up steps after a new
// certificate (state, hooks) exist once.
//
//   auto done = app::issue_now(session, cert, {.force_persist = force});
//   if (!done) return report(done.error());
//   if (!done->hooks) ...   // the certificate is stored either way
//
//   auto outcome = app::renew_certificate(session, cert, {.dry_run = false});
//   switch (outcome.action) { case app::RenewAction::renewed: ... }
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "acmed/app/caa.hpp"
#include "acmed/app/session.hpp"
#include "acmed/core/crypto.hpp"

namespace acmed::app {

/// What `acmed issue` was told: a certificate of certs.d (NAME), or one made from
/// --domain flags alone (a standalone or webroot http-01 solver).
struct IssueRequest {
  std::string name{};                  ///< certs.d/NAME.yaml; with domains: the storage name (default: the first)
  std::vector<std::string> domains{};  ///< names and IP addresses
  std::string key_type{};              ///< overrides the file's key_type
  std::string http01_listen{};         ///< standalone listener (default 0.0.0.0:80)
  std::string webroot{};               ///< serve http-01 from this web root instead
  std::string preferred_chain{};       ///< overrides the file's preferred_chain
  std::string profile{};               ///< overrides the file's profile
};
/// The certificate configuration `acmed issue` works on.
[[nodiscard]] Result<config::CertificateConfig> certificate_for(const IssueRequest& request,
                                                                const std::string& config_dir);

/// certs.d/NAME.yaml for a certificate issued from --domain flags, so that `acmed renew`
/// renews it (certbot keeps a renewal configuration the same way). An existing file is
/// never overwritten: `written` is false then, and `unchanged` says whether it already
/// holds the same configuration.
struct SavedConfig {
  std::string path;
  bool written = false;
  bool unchanged = false;
};
[[nodiscard]] Result<SavedConfig> save_flags_config(const IssueRequest& request, const std::string& config_dir);

/// The CA settings given on the command line (--server, --ca-bundle, --agree-tos,
/// --contact), which `acmed issue --domain` saves to acmed.yaml.
struct CaFlags {
  std::string server{};                ///< the directory URL (resolved), "" = not given
  std::string ca_bundle{};             ///< "" = not given
  bool agree_tos = false;
  std::vector<std::string> contact{};  ///< as given ("admin@example.com" or mailto: URIs)
};

/// What `acmed issue --domain` saves so that a plain `acmed renew` renews the certificate:
/// certs.d/NAME.yaml from the flags, and the CA settings from the command line that
/// acmed.yaml does not set yet (a setting it gives differently is never overwritten:
/// `notes` says so). Planned before anything is ordered, so that a certificate is not
/// issued when its configuration cannot be saved.
struct SetupPlan {
  std::string cert_path;    ///< certs.d/NAME.yaml
  std::string cert_text;    ///< to write; "" = the file stays as it is
  std::string replaced;     ///< with --force: the names of the file replaced ("" = none)
  std::string global_path;  ///< acmed.yaml
  std::string global_text;  ///< to write; "" = the file stays as it is
  std::vector<std::string> added;  ///< the acmed.yaml settings added, e.g. "ca.directory: URL"
  std::vector<std::string> notes;  ///< what stays as it is, and why
};
/// Fails (a configuration error, nothing written) when certs.d/NAME.yaml exists and names
/// other names than the --domain flags, naming both, unless `force` (the file is then
/// replaced); or when acmed.yaml cannot be read or extended.
[[nodiscard]] Result<SetupPlan> plan_setup(const IssueRequest& request, const CaFlags& flags,
                                           const std::string& config_dir, bool force);
/// Fails when this process cannot write what `plan` writes, naming the fix (who must be
/// able to write the configuration directory, or --no-save).
[[nodiscard]] Result<void> check_writable(const SetupPlan& plan);
/// Writes the plan's files (0640, the group of their directory when run as root).
[[nodiscard]] Result<void> save_setup(const SetupPlan& plan);

struct ObtainOptions {
  bool force_persist = false;           ///< --force: answer dns-persist-01 even when the record check fails,
                                        ///< and order even when CAA forbids it
  std::optional<std::string> replaces;  ///< ARI certID of the certificate being renewed
  bool store = true;                    ///< false for --dry-run: nothing is written to live/ or archive/
  /// A dry run against a CA without a staging directory: every check up to the order
  /// (solvers, account, directory, CAA), then stop; no account is registered.
  bool stop_before_order = false;
};

struct Obtained {
  bool stopped_before_order = false;  ///< ObtainOptions::stop_before_order: nothing ordered
  std::string notes;                  ///< what the checks found that does not stop a renewal
  int version = 0;  ///< archive version written (0 when not stored)
  CertificateInfo info;
  std::string live_dir;
};

/// Builds the solvers of `cert`, makes sure the account exists, runs the order and
/// stores the result. Does not take the certificate's lock: callers hold it.
[[nodiscard]] Result<Obtained> obtain(Session& s, const config::CertificateConfig& cert, const ObtainOptions& o);

/// CAA for one name of a certificate, read as the CA will read it.
struct CaaNameVerdict {
  std::string name;
  caa::Verdict verdict;
};
/// CAA for every DNS name of `cert` (app::caa): the CA's caaIdentities, the session's
/// account URL and the challenge types configured for each name. Read-only.
[[nodiscard]] Result<std::vector<CaaNameVerdict>> caa_verdicts(Session& s, const config::CertificateConfig& cert);

/// The log level of a deploy hook's output (escaped, at most 40 lines of each stream):
/// debug (-v) after a renewal or issuance, info for `acmed deploy`, which runs the hooks
/// to try them.
enum class HookOutput { debug, info };

/// Runs the global then the certificate's deploy hooks; failures are returned, never rolled back.
[[nodiscard]] Result<void> run_deploy_hooks(const config::GlobalConfig& global, const config::CertificateConfig& cert,
                                            const Obtained& got, HookOutput output = HookOutput::debug);

/// For `config check`: each hook that does not exist, is not a regular file or cannot be
/// executed, as "file:line:column: ..." naming who runs it. `run_as_root`: hooks.mode
/// queue (acmed-deploy.service runs them as root: any x bit will do); otherwise the
/// current user must be able to execute it (access(2) X_OK, effective ids).
[[nodiscard]] std::vector<std::string> hook_problems(const std::vector<config::Hook>& hooks, bool run_as_root);

/// `acmed deploy NAME`: the deploy hooks for the certificate stored now, with the
/// environment an issuance gives them, so a hook can be tried without a renewal. Fails
/// when no certificate is stored or it cannot be read; a hook's failure is returned.
[[nodiscard]] Result<Obtained> redeploy(Session& s, const config::CertificateConfig& cert,
                                        HookOutput output = HookOutput::debug);
/// The same for a certificate already read (for `deploy --queued`: root's private copy
/// made by StateStore::snapshot_certificate, whose live_dir the hooks are given).
[[nodiscard]] Result<Obtained> redeploy(Session& s, const config::CertificateConfig& cert,
                                        const storage::StoredCertificate& stored, HookOutput output = HookOutput::debug);

/// What follows every stored certificate: a clean renewal record (failures and the old
/// ARI window gone, the anchored persistUntil kept) and the deploy hooks.
struct Completed {
  Obtained got;
  Result<void> hooks;  ///< a failed hook leaves the new certificate in place
};
[[nodiscard]] Completed complete(Session& s, const config::CertificateConfig& cert, Obtained got);

/// `acmed issue`: now, whatever the schedule; holds the certificate's lock. The CA's
/// directory is fetched first: a CA that cannot be reached (or is not an ACME server)
/// leaves no trace. Any later failure is recorded in the renewal state as a failed
/// renewal is (failures, last error, back-off), so list and status show it.
[[nodiscard]] Result<Completed> issue_now(Session& s, const config::CertificateConfig& cert, const ObtainOptions& o);

/// dry_run_ok: the whole flow ran against a staging CA; dry_run_checked: every check up
/// to the order ran against a CA without a staging directory (nothing ordered).
enum class RenewAction {
  renewed, not_due, backoff, locked, failed, cancelled, hook_failed, dry_run_ok, config_error, dry_run_checked
};
std::string to_string(RenewAction a);  ///< "renewed", "not-due", "backoff", ...

struct RenewOptions {
  bool force = false;    ///< renew now, even when not due or backing off
  bool dry_run = false;  ///< the session talks to a staging CA: store nothing, never back off
  /// With dry_run: the session talks to the CA itself, which has no staging directory;
  /// stop before ordering (ObtainOptions::stop_before_order).
  bool stop_before_order = false;
};
struct RenewOutcome {
  RenewAction action = RenewAction::failed;
  std::string detail;
  std::optional<std::chrono::system_clock::time_point> next_due;
  std::optional<Error> error;  ///< set for failed, cancelled, hook_failed and config_error
};
/// One certificate's renewal run: lock, ARI refresh, decision, obtain, state, hooks.
[[nodiscard]] RenewOutcome renew_certificate(Session& s, const config::CertificateConfig& cert, const RenewOptions& o);

/// The CA a --dry-run talks to: ca.dry_run_directory, else Let's Encrypt staging when
/// production is configured. Any other CA has no staging directory known: the dry run
/// then talks to it and stops before ordering (`staging` false).
struct DryRunTarget {
  std::string directory;
  bool staging = false;
};
[[nodiscard]] DryRunTarget dry_run_target(const config::GlobalConfig& cfg);

/// Makes a session for one renewal worker (each worker keeps its own).
using SessionMaker = std::function<Result<std::unique_ptr<Session>>()>;

struct RenewAllOptions {
  RenewOptions each;
  int jobs = 4;  ///< certificates renewed in parallel (clamped to 1..64)
};
struct NamedOutcome {
  std::string name;
  RenewOutcome outcome;
};
struct RenewSummary {
  std::vector<NamedOutcome> outcomes;  ///< in the order of the names given
  std::size_t renewed = 0, not_due = 0, failed = 0;
  std::size_t would_renew = 0;  ///< dry runs: dry_run_ok and dry_run_checked (never counted as renewed)
  int state_save_failures = 0;  ///< renewal-state saves that failed: the run must not end "ok"
  std::size_t http_requests = 0;   ///< requests to the CA in the whole run
  std::size_t peak_in_flight = 0;  ///< the most of them in flight at once
};
/// `renew`: every named certificate (certs.d/NAME.yaml under `config_dir`) through
/// renew_certificate, `jobs` at a time, all on ONE session (made when the first
/// certificate needs it): one directory fetch, one account load, one nonce pool, and
/// the session's HTTP client caps the requests in flight. SIGINT/SIGTERM stops
/// starting new ones.
/// `on_done` sees each outcome as it happens (for logging), from the worker's thread.
[[nodiscard]] RenewSummary renew_all(const std::vector<std::string>& names, const std::string& config_dir,
                                     const SessionMaker& make_session, const RenewAllOptions& o,
                                     const std::function<void(const NamedOutcome&)>& on_done = {});

/// All certificate names in <config_dir>/certs.d, sorted.
std::vector<std::string> configured_certificates(const std::string& config_dir);

}  // namespace acmed::app
