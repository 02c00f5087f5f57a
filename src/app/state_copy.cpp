// SPDX-License-Identifier: Apache-2.0
// copy_state: accounts, current certificate versions and renewal state from one
// StateStore to another, through the interface alone (state_copy.hpp).
#include "acmed/app/state_copy.hpp"

namespace acmed::app {
namespace {

Result<bool> copy_account(const storage::StateStore& from, const storage::StateStore& to, const std::string& ca,
                          CopyReport& report) {
  auto src = from.load_account(ca);
  if (!src) return fail(src.error().with_context("reading the account of " + ca));
  if (!*src) {
    report.skipped.push_back("account " + ca + ": none in the source");
    return false;
  }
  if (from.has_pending_account_key(ca))
    return fail(Errc::io, "account " + ca + ": a key rollover is unfinished in the source; finish it first");
  auto dst = to.load_account(ca);
  if (!dst) return fail(dst.error().with_context("reading the destination's account of " + ca));
  if (*dst) {
    const bool same = (*dst)->url == (*src)->url && (*dst)->key_uri == (*src)->key_uri &&
                      (*dst)->key_pem.view() == (*src)->key_pem.view();
    if (!same)
      return fail(Errc::invalid_argument, "account " + ca + ": the destination holds another account (" +
                                              (*dst)->url.value_or("unregistered") + "); nothing copied");
    report.skipped.push_back("account " + ca + ": already there");
    return false;
  }
  if ((*src)->key_uri) {
    if (auto r = to.commit_token_key(ca, *(*src)->key_uri); !r) return fail(r.error());
  } else if (auto r = to.save_account_key(ca, (*src)->key_pem); !r) {
    return fail(r.error());
  }
  if ((*src)->url)
    if (auto r = to.save_account_url(ca, *(*src)->url); !r) return fail(r.error());
  auto tp = from.load_account_thumbprint(ca);
  if (tp && !tp->empty())
    if (auto r = to.save_account_thumbprint(ca, *tp); !r) return fail(r.error());
  auto earlier = from.load_earlier_thumbprints(ca);
  if (!earlier) return fail(earlier.error());
  for (const auto& t : *earlier)
    if (auto r = to.add_earlier_thumbprint(ca, t); !r) return fail(r.error());
  auto facts = from.load_ca_facts(ca);
  if (facts && !facts->revision.empty())
    if (auto r = to.save_ca_facts(ca, *facts); !r) return fail(r.error());
  auto seen = from.load_seen_challenges(ca);
  if (seen && *seen)
    if (auto r = to.save_seen_challenges(ca, **seen); !r) return fail(r.error());
  report.copied.push_back("account " + ca + " (" + (*src)->url.value_or("unregistered") + ")");
  return true;
}

}  // namespace

Result<CopyReport> copy_state(const storage::StateStore& from, const storage::StateStore& to,
                              const std::vector<std::string>& cas, const std::vector<std::string>& certificates,
                              bool lock_source) {
  CopyReport report;
  {
    auto lock = to.lock_accounts();
    if (!lock) return fail(lock.error());
    for (const auto& ca : cas)
      if (auto r = copy_account(from, to, ca, report); !r) return fail(r.error());
  }
  for (const auto& name : certificates) {
    // Both sides locked: a renewal in between could pair one version's chain with the
    // next one's key.
    auto lock = to.lock_certificate(name, false);
    if (!lock) return fail(lock.error());
    storage::LockHandle source_lock;
    if (lock_source) {
      auto l = from.lock_certificate(name, false);
      if (!l) return fail(l.error());
      source_lock = std::move(*l);
    }
    auto src = from.load_certificate(name);
    if (!src) return fail(src.error().with_context("reading certificate '" + name + "'"));
    if (!*src) {
      report.skipped.push_back("certificate " + name + ": none in the source");
      continue;
    }
    auto dst = to.load_certificate(name);
    if (!dst) return fail(dst.error());
    if (*dst && (*dst)->fullchain_pem == (*src)->fullchain_pem) {
      report.skipped.push_back("certificate " + name + ": already current there");
      continue;
    }
    auto key = from.load_certificate_key(name);
    if (!key) return fail(key.error().with_context("reading the key of '" + name + "'"));
    auto v = to.save_certificate(name, (*src)->fullchain_pem, *key);
    if (!v) return fail(v.error().with_context("storing '" + name + "'"));
    auto st = from.load_renewal_state(name);
    if (!st) return fail(st.error());
    // The schedule facts name the source's version; the destination recomputes them.
    storage::RenewalState copy = *st;
    copy.cert_identity.clear();
    if (auto r = to.save_renewal_state(name, copy); !r) return fail(r.error());
    report.copied.push_back("certificate " + name + " (now version " + std::to_string(*v) + " there)");
  }
  return report;
}

}  // namespace acmed::app
