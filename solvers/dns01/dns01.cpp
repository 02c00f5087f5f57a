// SPDX-License-Identifier: Apache-2.0
#include "acmed/solvers/dns01.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "acmed/core/cancel.hpp"
#include "acmed/core/files.hpp"
#include "acmed/core/identifier.hpp"
#include "acmed/dns/resolver.hpp"
#include "acmed/solvers/settings.hpp"
#include "acmed/solvers/solver_base.hpp"

namespace acmed::solver {
namespace {

using Clock = std::chrono::steady_clock;

/// Records written and not yet removed, on disk, so that a run killed between
/// present and cleanup is tidied up by the next run. One line per record:
/// writer-id TAB zone TAB fqdn TAB value.
class Journal {
 public:
  struct Entry {
    std::string writer, zone, fqdn, value;
    bool operator==(const Entry&) const = default;
  };

  explicit Journal(std::string path) : path_(std::move(path)) {}

  Result<void> load() {
    if (path_.empty()) return {};
    auto data = read_file(path_, 1024 * 1024);
    if (!data) return data.error().code == Errc::not_found ? Result<void>{} : fail(data.error());
    std::istringstream in(*data);
    std::string line;
    while (std::getline(in, line)) {
      Entry e;
      std::istringstream fields(line);
      if (std::getline(fields, e.writer, '\t') && std::getline(fields, e.zone, '\t') &&
          std::getline(fields, e.fqdn, '\t') && std::getline(fields, e.value))
        entries_.push_back(std::move(e));
    }
    return {};
  }
  // Several dns-01 entries of one certificate share the file: every change re-reads it
  // under an exclusive lock, so no writer drops another's entries.
  Result<void> add(const Entry& e) {
    return update([&](std::vector<Entry>& all) { all.push_back(e); });
  }
  Result<void> remove(const Entry& e) {
    return update([&](std::vector<Entry>& all) {
      auto it = std::find(all.begin(), all.end(), e);
      if (it != all.end()) all.erase(it);
    });
  }
  template <class Change>
  Result<void> update(Change change) {
    if (path_.empty()) {
      change(entries_);
      return {};
    }
    int fd = ::open((path_ + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || ::flock(fd, LOCK_EX) != 0) {
      if (fd >= 0) ::close(fd);
      return fail(Errc::io, "cannot lock " + path_ + ".lock");
    }
    entries_.clear();
    auto r = load();
    if (r) {
      change(entries_);
      r = save();
    }
    ::close(fd);
    return r;
  }

  std::vector<Entry> for_writer(const std::string& writer) const {
    std::vector<Entry> out;
    for (const auto& e : entries_)
      if (e.writer == writer) out.push_back(e);
    return out;
  }

 private:
  Result<void> save() {
    if (path_.empty()) return {};
    std::string data;
    for (const auto& e : entries_) data += e.writer + "\t" + e.zone + "\t" + e.fqdn + "\t" + e.value + "\n";
    return write_file_atomic(path_, data, 0600);
  }
  std::string path_;
  std::vector<Entry> entries_;
};

/// How wait_ready decides that the CA can see the records.
enum class PropagationCheck {
  authoritative,  ///< every authoritative server of the zone serves them (the default)
  recursive,      ///< the configured resolvers (dns.resolvers) return them
  none,           ///< not checked: only propagation.wait
};

struct Settings {
  std::vector<std::string> allow;
  std::uint32_t ttl = 60;
  std::chrono::milliseconds interval{2000};
  std::chrono::milliseconds timeout{120000};
  /// The zone to write in, instead of finding it with an SOA walk (servers that answer
  /// no SOA: split horizon, internal DNS, Boulder's test DNS).
  std::optional<std::string> zone;
  PropagationCheck check = PropagationCheck::authoritative;
  std::chrono::milliseconds wait{0};  ///< fixed wait after the check (the only one with check: none)
};

class Dns01Solver final : public SolverBase {
 public:
  Dns01Solver(std::unique_ptr<dns01::RecordWriter> writer, dns::Resolver& resolver, Settings s, std::string journal)
      : SolverBase("dns-01"), writer_(std::move(writer)), resolver_(resolver), settings_(std::move(s)),
        journal_(std::move(journal)) {}

  /// Removes what a killed earlier run left behind (only records it wrote itself).
  Result<void> recover() {
    if (auto r = journal_.load(); !r) return r;
    for (const auto& e : journal_.for_writer(writer_->id())) {
      spdlog::warn("dns-01: removing leftover TXT {} from an interrupted run", e.fqdn);
      auto r = writer_->remove_txt({e.zone, e.fqdn, e.value, settings_.ttl});
      if (!r) {
        spdlog::warn("dns-01: could not remove leftover {}: {}", e.fqdn, r.error().describe());
        continue;
      }
      if (auto j = journal_.remove(e); !j) return j;
    }
    return {};
  }

 protected:
  Result<void> do_present(const ChallengeContext& ctx) override {
    if (ctx.key_authorization.empty()) return fail(Errc::bad_response, "dns-01 challenge without a token");
    const std::string name = "_acme-challenge." + ctx.identifier.value;
    const std::string value = dns01_txt_value(ctx.key_authorization);

    // A CNAME on _acme-challenge delegates the record to another name (often another zone).
    auto chain = resolver_.cname_chain(name);
    if (!chain) return fail(chain.error().with_context("looking up " + name));
    const std::string target = chain->empty() ? name : chain->back();
    if (target != name) spdlog::info("dns-01: {} is a CNAME; writing the record at {}", name, target);
    if (!allowed(target))
      return fail(Errc::config, "refusing to write TXT at " + target + ": not covered by this solver's 'allow' list (" +
                                    join(settings_.allow) + ")");
    Result<dns::Zone> zone = dns::Zone{};
    if (settings_.zone) {
      if (!name_in_domain(target, *settings_.zone))
        return fail(Errc::config, "the configured zone '" + *settings_.zone + "' does not contain " + target);
      if (settings_.check == PropagationCheck::authoritative) {
        // Only the zone's servers are wanted: asked at the apex, not walked from the name.
        zone = resolver_.find_zone(*settings_.zone);
        if (!zone)
          return fail(zone.error().with_context("finding the nameservers of the configured zone " + *settings_.zone +
                                                " (with 'propagation: {check: recursive}' none are needed)"));
      }
      zone->apex = *settings_.zone;
    } else {
      zone = resolver_.find_zone(target);
      if (!zone)
        return fail(zone.error().with_context("finding the zone of " + target +
                                              " (servers that answer no SOA: set 'zone' in this dns-01 solver)"));
    }

    dns01::TxtRecord rec{zone->apex, target, value, settings_.ttl};
    Journal::Entry entry{writer_->id(), rec.zone, rec.fqdn, rec.value};
    // Journal first: if we are killed during the write, the next run still knows.
    if (auto j = journal_.add(entry); !j) return j;
    if (auto w = writer_->add_txt(rec); !w) {
      (void)journal_.remove(entry);
      return fail(w.error());
    }
    spdlog::info("dns-01: TXT {} added in zone {} ({} nameservers to check)", rec.fqdn, rec.zone,
                 zone->nameservers.size());
    records_[ctx.challenge_url] = Written{rec, zone->nameservers};
    return {};
  }

  Result<void> do_wait_ready(Clock::time_point deadline) override {
    if (records_.empty()) return {};
    if (auto r = check_propagation(deadline); !r) return r;
    if (settings_.wait.count() > 0) {
      if (Clock::now() + settings_.wait > deadline)
        return fail(Errc::timeout, "propagation.wait (" + std::to_string(settings_.wait.count()) +
                                       " ms) ends after the order's deadline");
      spdlog::info("dns-01: waiting {} ms (propagation.wait)", settings_.wait.count());
      if (!sleep_or_cancel(settings_.wait)) return fail(Errc::cancelled, "interrupted while waiting for DNS");
    }
    return {};
  }

  Result<void> check_propagation(Clock::time_point deadline) {
    if (settings_.check == PropagationCheck::none) {
      spdlog::info("dns-01: propagation not checked (propagation.check: none)");
      return {};
    }
    const bool recursive = settings_.check == PropagationCheck::recursive;
    const auto started = Clock::now();
    auto limit = std::min(deadline, started + settings_.timeout);
    while (true) {
      std::vector<std::string> missing;
      std::size_t checks = 0;
      for (const auto& [url, w] : records_) {
        if (recursive) {
          ++checks;
          auto r = resolver_.lookup_txt(w.record.fqdn);
          if (!r)
            missing.push_back("the resolvers: " + r.error().message);
          else if (std::find(r->values.begin(), r->values.end(), w.record.value) == r->values.end())
            missing.push_back("the resolvers: " + w.record.fqdn + " not served yet");
          continue;
        }
        for (const auto& ns : w.nameservers) {
          ++checks;
          auto r = resolver_.query_txt(ns, w.record.fqdn);
          if (!r) {
            missing.push_back(ns.name + " (" + ns.to_string() + "): " + r.error().message);
          } else if (std::find(r->values.begin(), r->values.end(), w.record.value) == r->values.end()) {
            missing.push_back(ns.name + " (" + ns.to_string() + "): " + w.record.fqdn + " not served yet");
          }
        }
      }
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
      if (missing.empty()) {
        spdlog::info("dns-01: all {} {} checks pass after {} ms", checks, recursive ? "resolver" : "nameserver", ms);
        return {};
      }
      for (const auto& m : missing) spdlog::debug("dns-01: waiting for {}", m);
      if (Clock::now() + settings_.interval > limit) {
        std::string list;
        for (const auto& m : missing) list += "\n  - " + m;
        return fail(Errc::timeout, std::string(recursive ? "records not returned by the configured resolvers"
                                                         : "records not served by every authoritative nameserver") +
                                       " after " + std::to_string(ms / 1000) + " s:" + list);
      }
      if (!sleep_or_cancel(settings_.interval)) return fail(Errc::cancelled, "interrupted while waiting for DNS");
    }
  }

  void do_cleanup(const ChallengeContext& ctx) override {
    auto it = records_.find(ctx.challenge_url);
    if (it == records_.end()) return;
    const auto& rec = it->second.record;
    auto r = writer_->remove_txt(rec);
    if (!r) {
      // Keep the journal entry: the next run tries again.
      spdlog::warn("dns-01: could not remove TXT {}: {}", rec.fqdn, r.error().describe());
    } else {
      (void)journal_.remove({writer_->id(), rec.zone, rec.fqdn, rec.value});
      spdlog::info("dns-01: TXT {} removed", rec.fqdn);
    }
    records_.erase(it);
  }

 private:
  struct Written {
    dns01::TxtRecord record;
    std::vector<dns::Server> nameservers;
  };

  bool allowed(const std::string& fqdn) const {
    if (settings_.allow.empty()) return true;
    return std::any_of(settings_.allow.begin(), settings_.allow.end(),
                       [&](const std::string& a) { return name_in_domain(fqdn, a); });
  }
  static std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  }

  std::unique_ptr<dns01::RecordWriter> writer_;
  dns::Resolver& resolver_;
  Settings settings_;
  Journal journal_;
  std::map<std::string, Written> records_;
};

class Dns01Factory final : public SolverFactory {
 public:
  explicit Dns01Factory(std::vector<std::unique_ptr<dns01::ProviderFactory>> providers)
      : providers_(std::move(providers)) {}

  std::string_view name() const override { return "dns-01"; }
  std::string_view challenge_type() const override { return "dns-01"; }
  Capabilities capabilities() const override {
    return {.wildcard = true, .ip_identifiers = false, .needs_inbound_port = false, .writes_dns = true,
            .dns_lookups = true};
  }

  Result<void> validate(const SolverConfig& config) const override {
    auto checked = check(config.settings);
    if (!checked) return fail(checked.error());
    return {};
  }

  /// Checks the whole section and returns its provider and typed settings: read once.
  Result<std::pair<const dns01::ProviderFactory*, Settings>> check(const ConfigValue& s) const {
    std::vector<std::string_view> keys{"provider", "allow", "ttl", "propagation", "zone"};
    for (const auto& p : providers_) keys.push_back(p->name());
    if (!s.is_map()) return fail(Errc::config, s.origin + ": dns-01 settings must be a mapping");
    for (const auto& [key, value] : s.map) {
      if (std::find(keys.begin(), keys.end(), key) == keys.end() && key != "type" && key != "domains")
        return fail(Errc::config, value.origin + ": unknown dns-01 setting '" + key + "' (expected provider, allow, ttl, "
                                                 "zone, propagation or a provider section: " + provider_names() + ")");
    }
    auto provider = find_provider(s);
    if (!provider) return fail(provider.error());
    for (const auto& p : providers_)
      if (p->name() != (*provider)->name() && s.find(std::string(p->name())))
        return fail(Errc::config, s.find(std::string(p->name()))->origin + ": section '" + std::string(p->name()) +
                                      "' does not belong to provider '" + std::string((*provider)->name()) + "'");
    if (auto r = (*provider)->validate(sub_section(s, std::string((*provider)->name()))); !r) return fail(r.error());
    auto settings = read_settings(s);
    if (!settings) return fail(settings.error());
    return std::pair{*provider, std::move(*settings)};
  }

  std::vector<std::string> warnings(const SolverConfig& config) const override {
    auto settings = read_settings(config.settings);
    if (!settings || settings->check == PropagationCheck::authoritative) return {};
    const ConfigValue prop = sub_section(config.settings, "propagation");
    const ConfigValue* check = prop.find("check");
    const std::string where = check ? check->origin : config.settings.origin;
    if (settings->check == PropagationCheck::recursive)
      return {where + ": propagation.check: recursive: the records are checked through the configured resolvers "
                      "only; a CA that asks another authoritative server first may not see them yet"};
    return {where + ": propagation.check: none: the records are not checked at all; the challenge is answered " +
            (settings->wait.count() > 0 ? "after propagation.wait" : std::string("at once (propagation.wait is 0)")) +
            ", and a CA that does not see them yet fails it"};
  }

  Result<std::unique_ptr<ChallengeSolver>> create(const SolverConfig& config, const SolverDeps& deps) const override {
    auto checked = check(config.settings);
    if (!checked) return fail(checked.error());
    auto& [provider, settings] = *checked;
    if (!deps.resolver) return fail(Errc::config, "dns-01 needs a DNS resolver");
    // Credentials are read here, when a certificate actually uses dns-01, and nowhere else.
    auto writer = provider->create(sub_section(config.settings, std::string(provider->name())));
    if (!writer) return fail(writer.error());
    std::string journal = deps.work_dir.empty() ? std::string() : deps.work_dir + "/dns01-journal";
    auto solver = std::make_unique<Dns01Solver>(std::move(*writer), *deps.resolver, std::move(settings), journal);
    if (auto r = solver->recover(); !r) return fail(r.error().with_context("dns-01 journal"));
    return std::unique_ptr<ChallengeSolver>(std::move(solver));
  }

 private:
  std::string provider_names() const {
    std::string s;
    for (const auto& p : providers_) s += (s.empty() ? "" : ", ") + std::string(p->name());
    return s.empty() ? "none in this build" : s;
  }

  Result<const dns01::ProviderFactory*> find_provider(const ConfigValue& s) const {
    auto name = get_string(s, "provider", "", "dns-01");
    if (!name) return fail(name.error());
    if (name->empty()) return fail(Errc::config, s.origin + ": dns-01 needs 'provider' (" + provider_names() + ")");
    for (const auto& p : providers_)
      if (p->name() == *name) return p.get();
    return fail(Errc::config, s.find("provider")->origin + ": unknown dns-01 provider '" + *name + "' (available: " +
                                  provider_names() + ")");
  }

  static Result<Settings> read_settings(const ConfigValue& s) {
    Settings out;
    auto allow = get_string_list(s, "allow", "dns-01");
    if (!allow) return fail(allow.error());
    for (auto a : *allow) {
      std::transform(a.begin(), a.end(), a.begin(), [](unsigned char c) { return std::tolower(c); });
      while (!a.empty() && a.back() == '.') a.pop_back();
      out.allow.push_back(a);
    }
    auto ttl = get_integer(s, "ttl", 60, "dns-01");
    if (!ttl) return fail(ttl.error());
    out.ttl = static_cast<std::uint32_t>(*ttl);
    auto zone = get_string(s, "zone", "", "dns-01");
    if (!zone) return fail(zone.error());
    if (!zone->empty()) {
      std::string z = *zone;
      std::transform(z.begin(), z.end(), z.begin(), [](unsigned char c) { return std::tolower(c); });
      if (z.size() > 1 && z.back() == '.') z.pop_back();
      auto id = Identifier::parse(z);
      if (!id || id->type != Identifier::Type::dns || id->is_wildcard())
        return fail(Errc::config, s.find("zone")->origin + ": zone '" + *zone + "' is not a DNS name");
      out.zone = z;
    }
    ConfigValue prop = sub_section(s, "propagation");
    if (auto r = check_keys(prop, {"interval", "timeout", "check", "wait"}, "dns-01 propagation"); !r)
      return fail(r.error());
    auto check = get_string(prop, "check", "authoritative", "dns-01 propagation");
    if (!check) return fail(check.error());
    if (*check == "authoritative") out.check = PropagationCheck::authoritative;
    else if (*check == "recursive") out.check = PropagationCheck::recursive;
    else if (*check == "none") out.check = PropagationCheck::none;
    else
      return fail(Errc::config, prop.find("check")->origin + ": propagation.check must be authoritative (every "
                                "authoritative server of the zone), recursive (the configured resolvers) or none, "
                                "not '" + *check + "'");
    auto wait = get_duration(prop, "wait", out.wait, "dns-01 propagation");
    if (!wait) return fail(wait.error());
    out.wait = *wait;
    auto interval = get_duration(prop, "interval", out.interval, "dns-01 propagation");
    if (!interval) return fail(interval.error());
    auto timeout = get_duration(prop, "timeout", out.timeout, "dns-01 propagation");
    if (!timeout) return fail(timeout.error());
    out.interval = std::max(*interval, std::chrono::milliseconds(100));
    out.timeout = *timeout;
    return out;
  }

  std::vector<std::unique_ptr<dns01::ProviderFactory>> providers_;
};

}  // namespace

std::unique_ptr<SolverFactory> make_dns01_factory(std::vector<std::unique_ptr<dns01::ProviderFactory>> providers) {
  return std::make_unique<Dns01Factory>(std::move(providers));
}

}  // namespace acmed::solver
