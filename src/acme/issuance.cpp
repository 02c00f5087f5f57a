// SPDX-License-Identifier: Apache-2.0
#include "acmed/acme/issuance.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <thread>

#include "acmed/core/cancel.hpp"
#include "acmed/core/x509_verify.hpp"

namespace acmed::acme {
namespace {

using Clock = std::chrono::steady_clock;

struct Pending {
  Authorization authz;
  const Challenge* challenge = nullptr;
  solver::ChallengeSolver* solver = nullptr;
  solver::ChallengeContext ctx;
  bool done = false;
};

/// Cleans up whatever was presented, on every exit path of the flow.
class CleanupGuard {
 public:
  void add(solver::ChallengeSolver* s, const solver::ChallengeContext* ctx) { items_.emplace_back(s, ctx); }
  ~CleanupGuard() {
    for (auto it = items_.rbegin(); it != items_.rend(); ++it) it->first->cleanup(*it->second);
  }

 private:
  std::vector<std::pair<solver::ChallengeSolver*, const solver::ChallengeContext*>> items_;
};

std::string offered_types(const Authorization& a) {
  std::string s;
  for (const auto& c : a.challenges) s += (s.empty() ? "" : ", ") + c.type;
  return s.empty() ? "none" : s;
}

std::string display_name(const Authorization& a) {
  return (a.wildcard ? "*." : "") + a.identifier.value;
}

Error authz_failure(const Authorization& a) {
  for (const auto& c : a.challenges) {
    if (c.error) {
      return Error(Errc::challenge_failed, display_name(a) + ": " + c.type + " validation failed", *c.error);
    }
  }
  return Error(Errc::challenge_failed, display_name(a) + ": authorization is " + a.status);
}

Result<void> pause(std::chrono::milliseconds d) {
  if (!sleep_or_cancel(d)) return fail(Errc::cancelled, "interrupted; cleaning up");
  return {};
}

/// A CA's clock may run a little ahead of ours; a certificate it dated "now" is fine.
constexpr auto clock_skew = std::chrono::minutes(5);

/// How a name compares: DNS names in lowercase, IP addresses in canonical form (by value).
using NameKey = std::pair<Identifier::Type, std::string>;

NameKey name_key(Identifier::Type type, std::string value) {
  if (type == Identifier::Type::ip) {
    auto id = Identifier::parse(value);
    return {type, id && id->type == Identifier::Type::ip ? id->value : value};
  }
  std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::tolower(c); });
  return {type, value};
}

/// Empty when the leaf names exactly `ids` (RFC 8555 §7.4: the order's identifiers).
std::string name_mismatch(const CertificateInfo& leaf, const std::vector<Identifier>& ids) {
  std::map<NameKey, std::string> ordered, named;
  for (const auto& id : ids) ordered.emplace(name_key(id.type, id.value), id.value);
  for (const auto& d : leaf.dns_names) named.emplace(name_key(Identifier::Type::dns, d), d);
  for (const auto& ip : leaf.ip_addresses) named.emplace(name_key(Identifier::Type::ip, ip), ip);
  auto absent_from = [](const std::map<NameKey, std::string>& from, const std::map<NameKey, std::string>& in) {
    std::string list;
    for (const auto& [key, text] : from)
      if (!in.count(key)) list += (list.empty() ? "" : ", ") + text;
    return list;
  };
  std::string out;
  if (auto missing = absent_from(ordered, named); !missing.empty()) out = "lacks ordered names: " + missing;
  if (auto extra = absent_from(named, ordered); !extra.empty())
    out += (out.empty() ? "" : "; ") + std::string("names that were not ordered: ") + extra;
  return out;
}

std::string subject_of(const std::string& der) {
  auto info = inspect_certificate(der);
  return info ? "CN " + info->subject_cn : "unreadable";
}

}  // namespace

Result<void> verify_issued_chain(std::string_view fullchain_pem, std::string_view public_key_der,
                                 const std::vector<Identifier>& identifiers, std::chrono::system_clock::time_point now) {
  auto ders = parse_pem_chain(fullchain_pem);
  if (!ders) return fail(ders.error());
  auto leaf = inspect_certificate(ders->front());
  if (!leaf) return fail(leaf.error());
  if (leaf->public_key_der != public_key_der)
    return fail(Errc::bad_response, "its public key (" + leaf->key_type + ") is not the key of the CSR");
  if (auto names = name_mismatch(*leaf, identifiers); !names.empty())
    return fail(Errc::bad_response, "its subjectAltNames are not the ordered identifiers: " + names);
  if (leaf->not_before > now + clock_skew)
    return fail(Errc::bad_response, "it is not valid before " + format_rfc3339(leaf->not_before) + " (now is " +
                                        format_rfc3339(now) + ")");
  if (leaf->not_after < now) return fail(Errc::bad_response, "it expired at " + format_rfc3339(leaf->not_after));
  // Each certificate must be issued (name) and signed (key) by the next one; the last
  // one's issuer, a root, is not in the chain.
  for (std::size_t i = 0; i + 1 < ders->size(); ++i) {
    if (auto r = check_issued_by((*ders)[i], (*ders)[i + 1]); !r)
      return fail(r.error().with_context("certificate " + std::to_string(i + 1) + " of the chain (" +
                                         subject_of((*ders)[i]) + ") is not issued by certificate " +
                                         std::to_string(i + 2) + " (" + subject_of((*ders)[i + 1]) + ")"));
  }
  return {};
}

bool binding_matches(const SolverBinding& binding, const Identifier& identifier) {
  if (binding.domains.empty()) return true;
  return std::any_of(binding.domains.begin(), binding.domains.end(),
                     [&](const std::string& d) { return name_in_domain(identifier.value, d); });
}

std::chrono::milliseconds next_poll_delay(std::chrono::milliseconds previous, const PollPolicy& policy,
                                          std::optional<std::chrono::system_clock::time_point> retry_after,
                                          std::chrono::system_clock::time_point now) {
  if (retry_after) {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*retry_after - now);
    // Honour the server, but never spin and never sleep past our own cap.
    return std::clamp(wait, std::min(std::chrono::milliseconds(100), policy.max_interval), policy.max_interval);
  }
  if (previous.count() <= 0) return policy.initial;
  return std::min(previous * std::max(policy.growth, 1), policy.max_interval);
}

std::string select_chain(const CertificateChains& chains, const std::optional<std::string>& preferred) {
  if (!preferred) return chains.default_chain_pem;
  auto top_issuer = [](const std::string& pem) -> std::string {
    auto ders = parse_pem_chain(pem);
    if (!ders || ders->empty()) return {};
    auto info = inspect_certificate(ders->back());
    return info ? info->issuer_cn : std::string();
  };
  if (top_issuer(chains.default_chain_pem) == *preferred) return chains.default_chain_pem;
  for (const auto& alt : chains.alternate_chain_pems)
    if (top_issuer(alt) == *preferred) return alt;
  spdlog::warn("no chain with top issuer '{}' was offered; using the default chain", *preferred);
  return chains.default_chain_pem;
}

Result<IssueResult> issue_certificate(Client& client, const IssueRequest& request, const PrivateKey& certificate_key) {
  const auto deadline = Clock::now() + request.poll.overall;
  // Read once: with workers sharing the client, a recovery elsewhere may change them.
  const PrivateKey* account_key = client.account_key();
  const std::optional<std::string> account_url = client.account_url();
  if (!account_key || !account_url) return fail(Errc::invalid_argument, "issuance needs a registered account");

  if (cancel_requested()) return fail(Errc::cancelled, "interrupted before ordering");
  // new_order reads the (cached) directory first; its meta also describes dns-persist-01.
  auto dir = client.directory();
  if (!dir) return fail(dir.error());
  auto order = client.new_order(request.identifiers, request.profile, request.replaces);
  if (!order) return fail(order.error());
  spdlog::info("order {} created ({} identifiers, status {})", order->url, order->identifiers.size(), order->status);
  if (order->status == "invalid")
    return fail(Error(Errc::acme_problem, "the new order is already invalid", order->error.value_or(Problem{})));

  // Fetch each authorization and choose a challenge by the configured preference.
  std::vector<Pending> pending;
  pending.reserve(order->authorizations.size());
  for (const auto& url : order->authorizations) {
    auto authz = client.fetch_authorization(url);
    if (!authz) return fail(authz.error());
    if (request.observe_authorization) request.observe_authorization(*authz);
    if (authz->status == "valid") {
      spdlog::info("{}: authorization already valid, nothing to solve", display_name(*authz));
      continue;
    }
    if (authz->status != "pending") return fail(authz_failure(*authz));
    Pending p;
    p.authz = std::move(*authz);
    for (const auto& binding : request.solvers) {
      if (!binding.solver || !binding_matches(binding, p.authz.identifier)) continue;
      auto it = std::find_if(p.authz.challenges.begin(), p.authz.challenges.end(),
                             [&](const Challenge& c) { return c.type == binding.challenge_type; });
      if (it == p.authz.challenges.end()) continue;
      p.challenge = &*it;
      p.solver = binding.solver;
      break;
    }
    if (!p.challenge) {
      // Name the configured types the CA did not offer: the only authoritative signal of
      // support (e.g. for dns-persist-01) is the challenge list of an authorization.
      std::string wanted;
      for (const auto& b : request.solvers)
        if (b.solver && binding_matches(b, p.authz.identifier) && wanted.find(b.challenge_type) == std::string::npos)
          wanted += (wanted.empty() ? "" : ", ") + b.challenge_type;
      if (wanted.empty())
        return fail(Errc::config, display_name(p.authz) + ": no solver is configured for this name");
      return fail(Errc::unsupported, "the CA does not offer " + wanted + " for " + display_name(p.authz) +
                                         " (it offers: " + offered_types(p.authz) + ")");
    }
    p.ctx.identifier = p.authz.identifier;
    p.ctx.wildcard = p.authz.wildcard;
    p.ctx.challenge_type = p.challenge->type;
    p.ctx.challenge_url = p.challenge->url;
    p.ctx.token = p.challenge->token;
    if (!p.ctx.token.empty()) p.ctx.key_authorization = p.ctx.token + "." + account_key->thumbprint();
    p.ctx.account_uri = *account_url;
    p.ctx.challenge_account_uri = p.challenge->account_uri;
    p.ctx.issuer_domain_names = p.challenge->issuer_domain_names;
    p.ctx.account_thumbprint = account_key->thumbprint();
    p.ctx.directory_issuer_domain_names = dir->meta.issuer_domain_names;
    p.ctx.caa_identities = dir->meta.caa_identities;
    p.ctx.account_hash_prefix = dir->meta.account_hash_prefix;
    pending.push_back(std::move(p));
  }

  CleanupGuard guard;
  // Present everything first, wait once per solver, then answer every challenge.
  // Every failure is reported, not just the first: an operator fixing DNS records
  // wants the whole list. Nothing is answered unless every present succeeded.
  std::vector<Error> failures;
  for (auto& p : pending) {
    guard.add(p.solver, &p.ctx);
    if (auto r = p.solver->present(p.ctx); !r)
      failures.push_back(r.error().with_context(display_name(p.authz) + ": " + p.ctx.challenge_type));
  }
  if (failures.size() == 1) return fail(failures.front());
  if (!failures.empty()) {
    Error e = failures.front();
    e.message = std::to_string(failures.size()) + " challenges could not be prepared; none was answered:";
    for (const auto& f : failures) e.message += "\n  - " + f.describe();
    return fail(std::move(e));
  }
  std::set<solver::ChallengeSolver*> solvers;
  for (auto& p : pending) solvers.insert(p.solver);
  for (auto* s : solvers)
    if (auto r = s->wait_ready(deadline); !r) return fail(r.error().with_context(std::string(s->name())));
  // Never answer a challenge after SIGINT/SIGTERM: cleanup would pull the response
  // while the CA validates, and the failure would count against rate limits.
  if (cancel_requested()) return fail(Errc::cancelled, "interrupted before answering; cleaning up");
  std::size_t remaining = pending.size();
  for (auto& p : pending) {
    auto c = client.respond_challenge(p.ctx.challenge_url);
    if (!c) return fail(c.error().with_context(display_name(p.authz)));
    spdlog::info("{}: answered {} (status {})", display_name(p.authz), p.ctx.challenge_type, c->status);
    // A valid challenge makes its authorization valid (RFC 8555 §7.1.6): no poll needed.
    if (c->status == "valid") {
      p.done = true;
      --remaining;
    }
  }

  std::chrono::milliseconds delay{0};
  while (remaining > 0) {
    delay = next_poll_delay(delay, request.poll, client.last_retry_after(), std::chrono::system_clock::now());
    if (Clock::now() + delay > deadline)
      return fail(Errc::timeout, "authorizations still pending after " + std::to_string(request.poll.overall.count()) + " s");
    if (auto r = pause(delay); !r) return fail(r.error());
    for (auto& p : pending) {
      if (p.done) continue;
      auto a = client.fetch_authorization(p.authz.url);
      if (!a) return fail(a.error());
      if (a->status == "valid") {
        spdlog::info("{}: authorization valid", display_name(*a));
        p.done = true;
        --remaining;
      } else if (a->status != "pending") {
        return fail(authz_failure(*a));
      }
    }
  }

  auto csr = make_csr_der(certificate_key, request.identifiers);
  if (!csr) return fail(csr.error());
  auto fin = client.finalize(*order, *csr);
  if (!fin) return fail(fin.error());
  delay = std::chrono::milliseconds{0};
  while (fin->status != "valid") {
    if (fin->status == "invalid")
      return fail(Error(Errc::acme_problem, "order became invalid", fin->error.value_or(Problem{})));
    if (fin->status != "processing" && fin->status != "ready")
      return fail(Errc::bad_response, "unexpected order status '" + fin->status + "' after finalize");
    delay = next_poll_delay(delay, request.poll, client.last_retry_after(), std::chrono::system_clock::now());
    if (Clock::now() + delay > deadline) return fail(Errc::timeout, "certificate was not issued before the deadline");
    if (auto r = pause(delay); !r) return fail(r.error());
    fin = client.fetch_order(order->url);
    if (!fin) return fail(fin.error());
  }

  // Alternates only matter when one may be preferred: each costs a request and a parse.
  auto chains = client.download_certificate(*fin->certificate, {.alternates = request.preferred_chain.has_value()});
  if (!chains) return fail(chains.error());
  IssueResult out;
  out.order_url = order->url;
  out.certificate_url = *fin->certificate;
  out.fullchain_pem = select_chain(*chains, request.preferred_chain);
  // Nothing the CA returned is stored unchecked: the caller stores only what comes back here.
  if (auto ok = verify_issued_chain(out.fullchain_pem, certificate_key.public_key_der(), request.identifiers,
                                    std::chrono::system_clock::now());
      !ok) {
    const bool alternate = out.fullchain_pem != chains->default_chain_pem;
    return fail(ok.error().with_context(alternate ? "refusing the alternate chain to '" + *request.preferred_chain + "'"
                                                  : std::string("refusing the certificate the CA returned")));
  }
  return out;
}

}  // namespace acmed::acme
