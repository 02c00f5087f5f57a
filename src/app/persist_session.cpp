// SPDX-License-Identifier: Apache-2.0
#include "acmed/app/persist_session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>

namespace acmed::app {
namespace {

/// The account as the store describes it, when URL and key thumbprint are both known.
std::optional<PersistAccount> stored_account(Session& session) {
  auto url = session.store().load_account_url(session.ca());
  auto tp = session.store().load_account_thumbprint(session.ca());
  auto earlier = session.store().load_earlier_thumbprints(session.ca());
  if (!url || !*url || !tp || tp->empty() || !earlier) return std::nullopt;
  return PersistAccount{**url, *tp, *earlier};
}

}  // namespace

Result<SessionPlan> plan_in_session(Session& session, const config::CertificateConfig& cert,
                                    const PersistRequest& req) {
  auto names = persist_names(cert);
  if (!names) return fail(names.error());
  auto settings =
      solver::read_persist_settings(names->entry->settings, session.clock().now(), session.dns_provider_settings());
  if (!settings) return fail(settings.error());

  SessionPlan ctx;
  // The directory says which draft the CA speaks; when it cannot be read, what it said last.
  auto dir = session.client().directory();
  if (!dir && !req.allow_cached_ca) return fail(dir.error());
  auto ca = note_ca_facts(session.store(), session.ca(), session.config().ca.directory_url,
                               dir ? &dir->meta : nullptr, session.clock().now());
  if (!ca) return fail(ca.error());
  // A CA outage is reported once per process, not once per certificate.
  static std::atomic<bool> outage_shown{false};
  if (!dir && !outage_shown.exchange(true))
    spdlog::warn("the CA's directory could not be read ({}); using what it said last", dir.error().describe());
  ctx.ca = *ca;
  // Once per process, also with parallel renewal workers.
  static std::atomic<bool> notice_shown{false};
  if (ctx.ca.revision_notice && !notice_shown.exchange(true)) spdlog::warn("{}", *ctx.ca.revision_notice);

  PlanInput in;
  in.cert = &cert;
  in.ca = ctx.ca;
  in.issuer = req.issuer;
  in.now = session.clock().now();
  if (!req.account_uri.empty()) {
    in.account.url = req.account_uri;
    in.account.thumbprint = req.thumbprint;
  } else if (auto stored = stored_account(session); req.without_key && stored) {
    in.account = *stored;
  } else {
    if (auto r = session.ensure_account(false); !r)
      return fail(r.error().with_context("the record names the ACME account, so it must exist first "
                                         "(acmed account register), or pass --account-uri"));
    auto url = session.client().account_url();
    if (!url) return fail(Errc::invalid_argument, "the account has no URL yet (its registration is under way)");
    in.account.url = *url;
    in.account.thumbprint = session.account_thumbprint();
    auto earlier = session.store().load_earlier_thumbprints(session.ca());
    if (!earlier) return fail(earlier.error());
    in.account.earlier_thumbprints = *earlier;
  }
  auto until = anchored_persist_until(session.store(), cert.name, *settings);
  if (!until) return fail(until.error());
  in.persist_until = *until;
  auto plan = plan_persist(in);
  if (!plan) return fail(plan.error());
  ctx.plan = std::move(*plan);
  return ctx;
}

Result<PersistHealth> check_in_session(Session& session, const PersistPlan& plan) {
  auto resolver = session.resolver();
  if (!resolver) return fail(resolver.error());
  return check_persist(**resolver, plan, session.clock().now());
}

/// Draft -02 §5: before record values go to anyone else, the account must be known to
/// the CA and valid (POST-as-GET, no redirects followed). A value naming a deactivated
/// or unknown account would never validate.
Result<void> require_valid_account(Session& s) {
  auto acct = s.client().fetch_account();
  if (!acct)
    return fail(acct.error().with_context("checking the account " + s.client().account_url().value_or("") +
                                          " before printing records that name it"));
  if (acct->status != "valid")
    return fail(Errc::acme_problem, "the CA reports the account " + s.client().account_url().value_or("") + " as '" +
                                        acct->status + "': records naming it would never validate. No record was "
                                        "printed; see 'acmed account register --new'");
  return {};
}


Result<void> persist_preorder_check(Session& session, const config::CertificateConfig& cert, bool force) {
  PersistRequest req;
  req.allow_cached_ca = false;  // issuing needs the CA anyway
  auto ctx = plan_in_session(session, cert, req);
  if (!ctx) return fail(ctx.error());
  auto resolver = session.resolver();
  if (!resolver) return fail(resolver.error());
  const auto now = session.clock().now();
  const auto soon = std::chrono::duration_cast<std::chrono::seconds>((now + std::chrono::minutes(10)).time_since_epoch()).count();
  auto health = check_persist(**resolver, ctx->plan, now);
  std::string problems;
  for (const auto& h : health.records) {
    auto st = h.check.status;
    bool too_close = st == persist::Status::expiring &&
                     std::all_of(h.check.servers.begin(), h.check.servers.end(), [&](const persist::ServerResult& s) {
                       return s.evaluation.persist_until && *s.evaluation.persist_until < soon;
                     });
    if (st == persist::Status::expired || st == persist::Status::stale_format || too_close) {
      problems += "\n  - " + h.record.name + ": " + (too_close ? std::string("expired") : persist::to_string(st)) + ": " +
                  h.check.summary + (too_close ? " (less than 10 minutes left)" : "") +
                  "\n    Publish (through your DNS change process): " +
                  persist::zone_file_line(h.record.name, h.record.value, 3600);
    } else if (h.check.status == persist::Status::expiring) {
      spdlog::warn("[dns-persist-01] {}: {}", h.record.name, h.check.summary);
    }
  }
  if (problems.empty()) return {};
  std::string msg = "no order was placed for '" + cert.name + "': the CA would refuse these records" + problems;
  if (force) {
    spdlog::warn("{} (--force: ordering anyway)", msg);
    return {};
  }
  return fail(Errc::solver, msg);
}

Result<PersistRoll> roll_persist(Session& session, const config::CertificateConfig& cert, const std::string& until,
                                 const PersistRequest& request) {
  auto before = plan_in_session(session, cert, request);
  if (!before) return fail(before.error());
  ConfigValue section = ConfigValue::make_map("--until");
  section.map["persist_until"] = ConfigValue::make_scalar(until, "--until");
  const auto now = session.clock().now();
  auto parsed = solver::read_persist_settings(section, now);
  if (!parsed) return fail(parsed.error());
  PersistRoll out;
  out.until = *parsed->persist_until;
  if (out.until <= std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count())
    return fail(Errc::config, "--until " + until + " is in the past");
  if (auto r = require_valid_account(session); !r) return fail(r.error());
  if (auto r = roll_persist_until(session.store(), cert.name, before->plan.settings, out.until); !r) return fail(r.error());
  auto after = plan_in_session(session, cert, request);
  if (!after) return fail(after.error());
  out.before = std::move(before->plan);
  out.after = std::move(after->plan);
  return out;
}

}  // namespace acmed::app
