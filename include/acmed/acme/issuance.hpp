// SPDX-License-Identifier: Apache-2.0
// File: acmed/acme/issuance.hpp
//
// The order flow: new order, choose a challenge per authorization by configured
// preference, present through solvers, answer, poll, finalize, download.
//
//   IssueRequest req{.identifiers = ids, .solvers = {{"http-01", {}, &http01}}};
//   Result<IssueResult> r = issue_certificate(client, req, cert_key);
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "acmed/acme/client.hpp"
#include "acmed/solver/solver.hpp"

namespace acmed::acme {

/// One solver the flow may use, in preference order. `domains` limits it to names
/// equal to, or under, one of the entries ("example.com" matches "a.example.com");
/// empty means every identifier.
struct SolverBinding {
  std::string challenge_type;
  std::vector<std::string> domains;
  solver::ChallengeSolver* solver = nullptr;
};

/// How often to ask whether the CA is done (authorizations after answering, the order
/// after finalize) when it sends no Retry-After: `initial`, then `growth` times the
/// previous delay, up to `max_interval`. The default polls at 0.1, 0.4, 1.3, 4.0, 12.1 s
/// and every 10 s after: a fast CA is seen done after 100 ms, and a CA of any speed costs
/// at most 2 polls more than a 1 s schedule doubling to 10 s (1, 3, 7, 15 s ...).
struct PollPolicy {
  std::chrono::milliseconds initial{100};
  int growth = 3;
  std::chrono::milliseconds max_interval{10000};
  std::chrono::seconds overall{300};
};

struct IssueRequest {
  std::vector<Identifier> identifiers;
  std::vector<SolverBinding> solvers;
  std::optional<std::string> profile;
  std::optional<std::string> preferred_chain;  ///< issuer CN of the chain's top certificate
  std::optional<std::string> replaces;         ///< ARI certID of the certificate being renewed
  PollPolicy poll;
  /// Called with every authorization fetched (e.g. to remember which challenge types a CA offers).
  std::function<void(const Authorization&)> observe_authorization;
};

struct IssueResult {
  std::string order_url;
  std::string certificate_url;
  std::string fullchain_pem;  ///< leaf first, then intermediates
};

/// True when `identifier` (authorization name) falls under `domains`.
bool binding_matches(const SolverBinding& binding, const Identifier& identifier);

/// The next poll delay: Retry-After when the server sent one (capped), else growing up to the cap.
std::chrono::milliseconds next_poll_delay(std::chrono::milliseconds previous, const PollPolicy& policy,
                                          std::optional<std::chrono::system_clock::time_point> retry_after,
                                          std::chrono::system_clock::time_point now);

/// Picks the chain whose topmost certificate's issuer CN equals `preferred` (case-sensitive),
/// or the default chain when none does.
std::string select_chain(const CertificateChains& chains, const std::optional<std::string>& preferred);

/// What a chain from the CA must pass before issue_certificate returns it for storing:
/// the leaf holds `public_key_der` (the CSR's key); its subjectAltNames are exactly
/// `identifiers` (DNS names case-insensitively, IP addresses by value, wildcards as
/// ordered); it is valid at `now` (notBefore may be up to 5 minutes ahead: clock skew);
/// each certificate is issued and signed by the next. The error says which check failed.
[[nodiscard]] Result<void> verify_issued_chain(std::string_view fullchain_pem, std::string_view public_key_der,
                                               const std::vector<Identifier>& identifiers,
                                               std::chrono::system_clock::time_point now);

/// Orders, validates, finalizes and downloads. The chain it returns passed
/// verify_issued_chain; alternate chains are fetched only with a preferred_chain.
/// Nothing is polled that the CA already called done: a challenge answered `valid`
/// needs no authorization poll, a finalize answered `valid` no order poll.
[[nodiscard]] Result<IssueResult> issue_certificate(Client& client, const IssueRequest& request,
                                                    const PrivateKey& certificate_key);

}  // namespace acmed::acme
