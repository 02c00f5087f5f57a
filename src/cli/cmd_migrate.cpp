// acmed migrate NAME --to dns-persist-01 | dns-01
//
// Moves a certificate between DNS-01 (writes DNS, holds credentials) and
// DNS-PERSIST-01 (read-only). The file is edited as text so comments and layout
// survive: the dns-01 entry is kept as marked comments, which is what the way back
// restores. The new file is checked before it atomically replaces the old one.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "acmed/core/files.hpp"
#include "acmed/persist/records.hpp"
#include "acmed/solvers/dns_persist01.hpp"
#include "builtin_solvers.hpp"
#include "commands.hpp"
#include "persist_view.hpp"
#include "acmed/app/issuance.hpp"

namespace acmed::cli {


namespace {

constexpr std::string_view kept_prefix = "#acmed-dns01: ";
constexpr std::string_view added_marker = "# added by acmed migrate";

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::size_t indent_of(const std::string& l) { return l.find_first_not_of(' ') == std::string::npos ? l.size() : l.find_first_not_of(' '); }

/// Lines [first, last) of the sequence item whose "- " sits at `dash_col` on line `first`.
std::size_t item_end(const std::vector<std::string>& lines, std::size_t first, std::size_t dash_col) {
  std::size_t i = first + 1;
  for (; i < lines.size(); ++i) {
    const auto& l = lines[i];
    auto ind = indent_of(l);
    if (ind == l.size() || l[ind] == '#') continue;  // blank or comment: belongs to whatever follows
    if (ind <= dash_col) break;
  }
  // Trailing blank/comment lines belong to the next item, not this one.
  while (i > first + 1 && (indent_of(lines[i - 1]) == lines[i - 1].size() || lines[i - 1][indent_of(lines[i - 1])] == '#')) --i;
  return i;
}

/// Collects credential files and systemd credential names a dns-01 entry refers to: the
/// settings its providers declare as credentials.
std::vector<std::string> credentials_of(const config::SolverEntry& e) {
  std::vector<std::string> out;
  for (const auto& provider : builtin_dns_provider_settings()) {
    const ConfigValue* section = e.settings.find(provider.owner);
    if (!section || !section->is_map()) continue;
    for (const auto& s : provider.settings)
      if (const ConfigValue* v = s.credential ? section->find(std::string(s.name)) : nullptr; v && v->is_scalar())
        out.push_back(provider.owner + "." + std::string(s.name) + "=" + v->scalar);
  }
  return out;
}

Result<void> write_preserving_mode(const std::string& path, const std::string& text) {
  struct stat st {};
  unsigned mode = ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0644;
  return write_file_atomic(path, text, mode);
}

int to_persist(const GlobalOptions& g, const std::string& name, const std::string& issuer,
               const std::string& persist_until, bool json_out) {
  // The value goes into YAML as a plain scalar: accept only what the setting accepts.
  if (!persist_until.empty()) {
    ConfigValue section = ConfigValue::make_map("--persist-until");
    section.map["persist_until"] = ConfigValue::make_scalar(persist_until, "--persist-until");
    if (auto r = solver::read_persist_settings(section, std::chrono::system_clock::now()); !r) return report(r.error());
  }
  const std::string path = g.config_dir + "/certs.d/" + name + ".yaml";
  auto cert = config::load_certificate(path);
  if (!cert) return report(cert.error());
  auto it = std::find_if(cert->solvers.begin(), cert->solvers.end(),
                         [](const config::SolverEntry& e) { return e.type == "dns-01"; });
  if (it == cert->solvers.end()) {
    bool already = std::any_of(cert->solvers.begin(), cert->solvers.end(),
                               [](const config::SolverEntry& e) { return e.type == "dns-persist-01"; });
    return report(Error(Errc::config, path + ": " + (already ? "already uses dns-persist-01" : "has no dns-01 solver to migrate")));
  }
  const auto creds = credentials_of(*it);

  // 1-2. Write the candidate file (dns-01 entry kept as comments, dns-persist-01 in its
  // place) to a scratch config dir, then let `persist` logic print and verify the records.
  auto text = read_file(path);
  if (!text) return report(text.error());
  auto lines = split_lines(*text);
  // yaml-cpp marks point at the mapping; the dash is two columns to its left.
  auto colon = it->settings.origin.rfind(':');
  auto colon2 = it->settings.origin.rfind(':', colon - 1);
  std::size_t line = std::stoul(it->settings.origin.substr(colon2 + 1, colon - colon2 - 1)) - 1;
  std::size_t col = std::stoul(it->settings.origin.substr(colon + 1)) - 1;
  if (line >= lines.size() || col < 2 || lines[line].compare(col - 2, 2, "- ") != 0)
    return report(Error(Errc::config, path + ": cannot locate the dns-01 entry (write it as a block '- type: dns-01')"));
  std::size_t dash = col - 2;
  std::size_t end = item_end(lines, line, dash);
  std::string pad(dash, ' ');
  std::vector<std::string> out(lines.begin(), lines.begin() + static_cast<long>(line));
  out.push_back(pad + "- type: dns-persist-01  " + std::string(added_marker) + " (was dns-01, kept below)");
  if (!issuer.empty()) out.push_back(pad + "  issuer: " + issuer);
  if (!persist_until.empty()) out.push_back(pad + "  persist_until: \"" + persist_until + "\"");
  if (!it->domains.empty()) {
    std::string d;
    for (const auto& x : it->domains) d += (d.empty() ? "" : ", ") + x;
    out.push_back(pad + "  domains: [" + d + "]");
  }
  for (std::size_t i = line; i < end; ++i) {
    // Lines indented at least as far as the dash keep their text after it; a shallower
    // line (a comment at column 0, say) is kept whole, marker at column 0, so the way
    // back restores every byte.
    if (indent_of(lines[i]) >= dash)
      out.push_back(pad + std::string(kept_prefix) + lines[i].substr(std::min(dash, lines[i].size())));
    else
      out.push_back(std::string(kept_prefix) + lines[i]);
  }
  out.insert(out.end(), lines.begin() + static_cast<long>(end), lines.end());
  const std::string candidate = join_lines(out);

  auto scratch = g.state_dir + "/migrate-" + name;
  if (auto r = ensure_dir(scratch + "/certs.d", 0700); !r) return report(r.error());
  if (auto r = write_file_atomic(scratch + "/certs.d/" + name + ".yaml", candidate, 0600); !r) return report(r.error());
  std::error_code ec;
  if (std::filesystem::exists(g.config_dir + "/acmed.yaml"))
    std::filesystem::copy_file(g.config_dir + "/acmed.yaml", scratch + "/acmed.yaml",
                               std::filesystem::copy_options::overwrite_existing, ec);
  GlobalOptions probe = g;
  probe.config_dir = scratch;
  auto parsed = config::load_certificate(scratch + "/certs.d/" + name + ".yaml");
  if (!parsed) return report(parsed.error().with_context("the migrated file would not be valid; nothing changed"));

  bool failed = false, warned = false;
  auto health = persist_health(probe, name, failed, warned);
  std::filesystem::remove_all(scratch, ec);
  std::cout << "DNS-PERSIST-01 records for '" << name << "' (publish them through your DNS change process):\n";
  for (const auto& r : health) {
    std::cout << "  " << r.value("name", "") << " TXT \"" << r.value("expected", "") << "\"\n    now: "
              << r.value("status", "") << " - " << r.value("summary", "") << "\n";
  }
  if (failed) {
    std::cout << "Not migrated: every record must verify first. " << path << " is unchanged.\n";
    return exit_failure;
  }
  // 3. Switch, atomically; the old text stays recoverable through --to dns-01.
  if (auto r = write_preserving_mode(path, candidate); !r) return report(r.error());
  std::cout << "Migrated '" << name << "' to dns-persist-01 (" << path << ").\n";
  // 4. Credentials: no longer used by this certificate; say who still uses them.
  if (!creds.empty()) {
    std::vector<std::string> users;
    for (const auto& other : app::configured_certificates(g.config_dir)) {
      if (other == name) continue;
      auto oc = config::load_certificate(g.config_dir + "/certs.d/" + other + ".yaml");
      if (!oc) continue;
      for (const auto& e : oc->solvers)
        if (e.type == "dns-01")
          for (const auto& c : credentials_of(e))
            if (std::find(creds.begin(), creds.end(), c) != creds.end() &&
                std::find(users.begin(), users.end(), other) == users.end())
              users.push_back(other);
    }
    std::string list;
    for (const auto& c : creds) list += (list.empty() ? "" : ", ") + c;
    std::cout << "The DNS credentials of its dns-01 entry (" << list << ") are no longer used by '" << name << "'. ";
    if (users.empty()) {
      std::cout << "No other certificate uses them: you can revoke them at the DNS provider.\n";
    } else {
      std::string u;
      for (const auto& x : users) u += (u.empty() ? "" : ", ") + x;
      std::cout << "Still used by: " << u << ".\n";
    }
  }
  (void)json_out;
  return exit_ok;
}

int to_dns01(const GlobalOptions& g, const std::string& name) {
  const std::string path = g.config_dir + "/certs.d/" + name + ".yaml";
  auto text = read_file(path);
  if (!text) return report(Error(Errc::config, text.error().message));
  auto lines = split_lines(*text);
  std::vector<std::string> out;
  bool restored = false, removed = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    auto ind = indent_of(l);
    if (l.find(added_marker) != std::string::npos && l.compare(ind, 2, "- ") == 0) {
      i = item_end(lines, i, ind) - 1;  // drop the whole dns-persist-01 entry we added
      removed = true;
      continue;
    }
    if (l.compare(ind, kept_prefix.size(), kept_prefix) == 0) {
      out.push_back(l.substr(0, ind) + l.substr(ind + kept_prefix.size()));
      restored = true;
      continue;
    }
    out.push_back(l);
  }
  if (!restored || !removed)
    return report(Error(Errc::config, path + ": no dns-01 entry saved by 'acmed migrate --to dns-persist-01'; "
                                             "add a dns-01 solver by hand"));
  const std::string candidate = join_lines(out);
  auto root = config::parse_yaml(candidate, path);
  if (!root) return report(root.error());
  if (auto c = config::parse_certificate(*root, name, path); !c)
    return report(c.error().with_context("the restored file would not be valid; nothing changed"));
  if (auto r = write_preserving_mode(path, candidate); !r) return report(r.error());
  std::cout << "Rolled '" << name << "' back to dns-01 (" << path << "). Its _validation-persist records are still "
            << "a standing authorization for this account: remove them through DNS change control unless you "
            << "plan to migrate again (docs/rollback.md).\n";
  return exit_ok;
}

}  // namespace

void add_migrate_command(CLI::App& app, GlobalOptions& g, int& rc) {
  auto name = std::make_shared<std::string>();
  auto to = std::make_shared<std::string>();
  auto issuer = std::make_shared<std::string>();
  auto persist_until = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("migrate", "Switch a certificate between dns-01 and dns-persist-01 (reversible)");
  cmd->add_option("name", *name, "certificate name")->required();
  cmd->add_option("--to", *to, "dns-persist-01 or dns-01")->required();
  cmd->add_option("--issuer", *issuer, "issuer domain name to put in the dns-persist-01 entry");
  cmd->add_option("--persist-until", *persist_until,
                  "persistUntil for the new dns-persist-01 entry: a date (2027-06-01), RFC 3339 time, Unix time or a "
                  "duration (180d, computed once and kept)");
  cmd->callback([&g, &rc, name, to, issuer, persist_until] {
    if (*to == "dns-persist-01") rc = to_persist(g, *name, *issuer, *persist_until, false);
    else if (*to == "dns-01") rc = to_dns01(g, *name);
    else rc = report(Error(Errc::config, "--to must be dns-persist-01 or dns-01"));
  });
}

}  // namespace acmed::cli
