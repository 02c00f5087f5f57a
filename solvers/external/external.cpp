// SPDX-License-Identifier: Apache-2.0
#include "acmed/solvers/external.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "acmed/solvers/process.hpp"
#include "acmed/solvers/settings.hpp"
#include "acmed/solvers/solver_base.hpp"

namespace acmed::solver {
namespace {

using json = nlohmann::json;
constexpr int protocol_version = 1;
/// Exit status meaning "this action is not implemented"; allowed for wait and cleanup.
constexpr int exit_not_implemented = 3;

json describe(const ChallengeContext& c) {
  json j = {{"type", c.challenge_type},
            {"url", c.challenge_url},
            {"identifier", {{"type", c.identifier.type_string()}, {"value", c.identifier.value}, {"wildcard", c.wildcard}}},
            {"account_uri", c.account_uri}};
  if (!c.token.empty()) {
    j["token"] = c.token;
    j["key_authorization"] = c.key_authorization;
    j["dns01_txt_value"] = dns01_txt_value(c.key_authorization);
  }
  if (c.challenge_account_uri) j["challenge_account_uri"] = *c.challenge_account_uri;
  if (!c.issuer_domain_names.empty()) j["issuer_domain_names"] = c.issuer_domain_names;
  return j;
}

class ExternalSolver final : public SolverBase {
 public:
  ExternalSolver(std::string command, std::chrono::milliseconds timeout)
      : SolverBase("external"), command_(std::move(command)), timeout_(timeout) {}

 protected:
  Result<void> do_present(const ChallengeContext& ctx) override {
    json in = {{"version", protocol_version}, {"action", "present"}, {"challenge", describe(ctx)}};
    auto r = call("present", in, false);
    if (r) presented_.push_back(describe(ctx));
    return r;
  }
  Result<void> do_wait_ready(std::chrono::steady_clock::time_point deadline) override {
    if (presented_.empty()) return {};
    auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - std::chrono::steady_clock::now());
    json in = {{"version", protocol_version}, {"action", "wait"}, {"deadline_seconds", left.count()},
               {"challenges", presented_}};
    return call("wait", in, true);
  }
  void do_cleanup(const ChallengeContext& ctx) override {
    json in = {{"version", protocol_version}, {"action", "cleanup"}, {"challenge", describe(ctx)}};
    if (auto r = call("cleanup", in, true); !r) spdlog::warn("external solver cleanup: {}", r.error().describe());
  }

 private:
  Result<void> call(const std::string& action, const json& input, bool optional) {
    auto p = run_process({command_, action}, {{"ACMED_ACTION", action}, {"ACMED_PROTOCOL", std::to_string(protocol_version)}},
                         input.dump() + "\n", timeout_);
    if (!p) return fail(p.error().with_context("external solver " + action));
    if (!p->out.empty()) {
      auto out = json::parse(p->out, nullptr, false);
      if (out.is_object() && out.contains("message") && out["message"].is_string())
        spdlog::info("external solver {}: {}", action, out["message"].get<std::string>());
    }
    if (p->exit_code == 0) return {};
    if (optional && p->exit_code == exit_not_implemented) return {};
    std::string err = p->err;
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    return fail(Errc::solver, "external solver " + command_ + " " + action + " exited with " +
                                  std::to_string(p->exit_code) + (err.empty() ? "" : ": " + err));
  }

  std::string command_;
  std::chrono::milliseconds timeout_;
  std::vector<json> presented_;
};

class ExternalFactory final : public SolverFactory {
 public:
  std::string_view name() const override { return "external"; }
  std::string_view challenge_type() const override { return "external"; }
  std::string challenge_type_for(const SolverConfig& c) const override {
    return *get_string(c.settings, "challenge", "", "external");
  }
  Capabilities capabilities() const override {
    return {.wildcard = true, .ip_identifiers = true, .needs_inbound_port = false, .writes_dns = false};
  }
  Result<void> validate(const SolverConfig& c) const override {
    if (auto r = check_keys(c.settings, {"challenge", "command", "timeout"}, "external"); !r) return r;
    auto ch = get_string(c.settings, "challenge", "", "external");
    if (!ch) return fail(ch.error());
    if (ch->empty())
      return fail(Errc::config, c.settings.origin + ": external solver needs 'challenge' (e.g. http-01, dns-01)");
    auto cmd = get_string(c.settings, "command", "", "external");
    if (!cmd) return fail(cmd.error());
    if (cmd->empty() || (*cmd)[0] != '/')
      return fail(Errc::config, c.settings.origin + ": external solver needs 'command' with an absolute path");
    auto t = get_duration(c.settings, "timeout", std::chrono::seconds(120), "external");
    if (!t) return fail(t.error());
    return {};
  }
  Result<std::unique_ptr<ChallengeSolver>> create(const SolverConfig& c, const SolverDeps&) const override {
    if (auto r = validate(c); !r) return fail(r.error());
    return std::unique_ptr<ChallengeSolver>(
        std::make_unique<ExternalSolver>(*get_string(c.settings, "command", "", "external"),
                                         *get_duration(c.settings, "timeout", std::chrono::seconds(120), "external")));
  }
};

}  // namespace

std::unique_ptr<SolverFactory> make_external_factory() { return std::make_unique<ExternalFactory>(); }

}  // namespace acmed::solver
