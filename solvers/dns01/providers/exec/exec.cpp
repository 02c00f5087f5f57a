// SPDX-License-Identifier: Apache-2.0
#include "acmed/dns01/providers/exec.hpp"

#include "acmed/solvers/process.hpp"
#include "acmed/solvers/settings.hpp"

namespace acmed::dns01 {
namespace {

constexpr solver::SettingSpec exec_settings[] = {
    {.name = "command", .description = "program run as `command present|cleanup FQDN VALUE` (no shell)",
     .type = solver::SettingType::absolute_path},
    {.name = "timeout", .description = "how long one run may take (default 60s)", .type = solver::SettingType::duration},
};

class ExecWriter final : public RecordWriter {
 public:
  ExecWriter(std::string command, std::chrono::milliseconds timeout) : command_(std::move(command)), timeout_(timeout) {}

  std::string id() const override { return "exec:" + command_; }
  Result<void> add_txt(const TxtRecord& r) override { return run("present", r); }
  Result<void> remove_txt(const TxtRecord& r) override { return run("cleanup", r); }

 private:
  Result<void> run(const std::string& action, const TxtRecord& r) {
    auto p = solver::run_process({command_, action, r.fqdn, r.value},
                                 {{"ACMED_ACTION", action}, {"ACMED_ZONE", r.zone}, {"ACMED_FQDN", r.fqdn},
                                  {"ACMED_VALUE", r.value}, {"ACMED_TTL", std::to_string(r.ttl)}},
                                 "", timeout_);
    if (!p) return fail(p.error().with_context("dns-01 exec hook " + action));
    if (p->exit_code != 0) {
      std::string err = p->err;
      while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
      return fail(Errc::solver, "dns-01 exec hook " + command_ + " " + action + " " + r.fqdn + " exited with " +
                                    std::to_string(p->exit_code) + (err.empty() ? "" : ": " + err));
    }
    return {};
  }

  std::string command_;
  std::chrono::milliseconds timeout_;
};

class ExecFactory final : public ProviderFactory {
 public:
  std::string_view name() const override { return "exec"; }
  std::span<const solver::SettingSpec> settings() const override { return exec_settings; }

  Result<void> validate(const ConfigValue& s) const override {
    if (auto r = solver::check_declared_keys(s, exec_settings, "exec"); !r) return r;
    auto cmd = solver::get_string(s, "command", "", "exec");
    if (!cmd) return fail(cmd.error());
    if (cmd->empty() || (*cmd)[0] != '/')
      return fail(Errc::config, s.origin + ": exec provider needs 'command' with an absolute path");
    auto t = solver::get_duration(s, "timeout", std::chrono::seconds(60), "exec");
    if (!t) return fail(t.error());
    return {};
  }

  Result<std::unique_ptr<RecordWriter>> create(const ConfigValue& s) const override {
    if (auto r = validate(s); !r) return fail(r.error());
    return std::unique_ptr<RecordWriter>(std::make_unique<ExecWriter>(
        *solver::get_string(s, "command", "", "exec"), *solver::get_duration(s, "timeout", std::chrono::seconds(60), "exec")));
  }
};

}  // namespace

std::unique_ptr<ProviderFactory> make_exec_provider() { return std::make_unique<ExecFactory>(); }

}  // namespace acmed::dns01
