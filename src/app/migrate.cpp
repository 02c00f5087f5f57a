// SPDX-License-Identifier: Apache-2.0
#include "acmed/app/migrate.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <sstream>

#include "acmed/app/issuance.hpp"
#include "acmed/app/persist_session.hpp"
#include "acmed/core/files.hpp"

namespace acmed::app {
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

Result<void> write_preserving_mode(const std::string& path, const std::string& text) {
  struct stat st {};
  unsigned mode = ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0644;
  return write_file_atomic(path, text, mode);
}

/// The certificate file with the dns-01 entry `e` (a block sequence item) replaced by a
/// dns-persist-01 entry, the old one kept below as marked comments.
Result<std::string> persist_candidate(const std::string& text, const std::string& path, const config::SolverEntry& e,
                                      const ToPersistOptions& o) {
  auto lines = split_lines(text);
  // yaml-cpp marks point at the mapping; the dash is two columns to its left.
  const std::string& origin = e.settings.origin;
  auto colon = origin.rfind(':');
  auto colon2 = colon == std::string::npos || colon == 0 ? std::string::npos : origin.rfind(':', colon - 1);
  auto cannot = [&] {
    return fail(Errc::config, path + ": cannot locate the dns-01 entry (write it as a block '- type: dns-01')");
  };
  if (colon2 == std::string::npos) return cannot();
  std::size_t line = 0, col = 0;
  try {
    line = std::stoul(origin.substr(colon2 + 1, colon - colon2 - 1)) - 1;
    col = std::stoul(origin.substr(colon + 1)) - 1;
  } catch (const std::exception&) {
    return cannot();
  }
  if (line >= lines.size() || col < 2 || lines[line].compare(col - 2, 2, "- ") != 0) return cannot();
  const std::size_t dash = col - 2;
  const std::size_t end = item_end(lines, line, dash);
  const std::string pad(dash, ' ');
  std::vector<std::string> out(lines.begin(), lines.begin() + static_cast<long>(line));
  out.push_back(pad + "- type: dns-persist-01  " + std::string(added_marker) + " (was dns-01, kept below)");
  if (!o.issuer.empty()) out.push_back(pad + "  issuer: " + o.issuer);
  if (!o.persist_until.empty()) out.push_back(pad + "  persist_until: \"" + o.persist_until + "\"");
  if (!e.domains.empty()) {
    std::string d;
    for (const auto& x : e.domains) d += (d.empty() ? "" : ", ") + x;
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
  return join_lines(out);
}

/// Parses `text` as certs.d/NAME.yaml would be parsed.
Result<config::CertificateConfig> parse_text(const std::string& text, const std::string& name, const std::string& path) {
  auto root = config::parse_yaml(text, path);
  if (!root) return fail(root.error());
  return config::parse_certificate(*root, name, path);
}

}  // namespace

std::vector<std::string> credentials_of(const config::SolverEntry& e, const std::vector<solver::DeclaredSettings>& providers) {
  std::vector<std::string> out;
  for (const auto& provider : providers) {
    const ConfigValue* section = e.settings.find(provider.owner);
    if (!section || !section->is_map()) continue;
    for (const auto& s : provider.settings)
      if (const ConfigValue* v = s.credential ? section->find(std::string(s.name)) : nullptr; v && v->is_scalar())
        out.push_back(provider.owner + "." + std::string(s.name) + "=" + v->scalar);
  }
  return out;
}

Result<ToPersist> migrate_to_persist(Session& s, const std::string& name, const ToPersistOptions& o) {
  // The value goes into YAML as a plain scalar: accept only what the setting accepts.
  if (!o.persist_until.empty()) {
    ConfigValue section = ConfigValue::make_map("--persist-until");
    section.map["persist_until"] = ConfigValue::make_scalar(o.persist_until, "--persist-until");
    if (auto r = solver::read_persist_settings(section, s.clock().now()); !r) return fail(r.error());
  }
  ToPersist out;
  out.path = s.config_dir() + "/certs.d/" + name + ".yaml";
  auto cert = config::load_certificate(out.path);
  if (!cert) return fail(cert.error());
  auto is = [](const char* type) { return [type](const config::SolverEntry& e) { return e.type == type; }; };
  auto it = std::find_if(cert->solvers.begin(), cert->solvers.end(), is("dns-01"));
  if (it == cert->solvers.end())
    return fail(Errc::config, out.path + ": " +
                                  (std::any_of(cert->solvers.begin(), cert->solvers.end(), is("dns-persist-01"))
                                       ? "already uses dns-persist-01"
                                       : "has no dns-01 solver to migrate"));
  out.credentials = credentials_of(*it, s.dns_provider_settings());

  // The candidate text, parsed and planned in memory: nothing is written before every
  // record it needs verifies.
  auto text = read_file(out.path);
  if (!text) return fail(text.error());
  auto candidate = persist_candidate(*text, out.path, *it, o);
  if (!candidate) return fail(candidate.error());
  auto parsed = parse_text(*candidate, name, out.path);
  if (!parsed) return fail(parsed.error().with_context("the migrated file would not be valid; nothing changed"));
  PersistRequest req;
  req.without_key = true;
  auto planned = plan_in_session(s, *parsed, req);
  if (!planned) return fail(planned.error());
  out.plan = std::move(planned->plan);
  auto health = check_in_session(s, out.plan);
  if (!health) return fail(health.error());
  out.health = std::move(*health);
  if (out.health.failed) return out;

  if (auto r = write_preserving_mode(out.path, *candidate); !r) return fail(r.error());
  out.written = true;
  // Credentials no longer used by this certificate: who else uses them?
  for (const auto& other : configured_certificates(s.config_dir())) {
    if (other == name) continue;
    auto oc = config::load_certificate(s.config_dir() + "/certs.d/" + other + ".yaml");
    if (!oc) continue;
    for (const auto& e : oc->solvers) {
      if (e.type != "dns-01") continue;
      for (const auto& c : credentials_of(e, s.dns_provider_settings()))
        if (std::find(out.credentials.begin(), out.credentials.end(), c) != out.credentials.end() &&
            std::find(out.still_used_by.begin(), out.still_used_by.end(), other) == out.still_used_by.end())
          out.still_used_by.push_back(other);
    }
  }
  return out;
}

Result<std::string> migrate_to_dns01(const std::string& config_dir, const std::string& name) {
  const std::string path = config_dir + "/certs.d/" + name + ".yaml";
  auto text = read_file(path);
  if (!text) return fail(Errc::config, text.error().message);
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
    return fail(Errc::config, path + ": no dns-01 entry saved by 'acmed migrate --to dns-persist-01'; add a dns-01 "
                                     "solver by hand");
  const std::string candidate = join_lines(out);
  if (auto c = parse_text(candidate, name, path); !c)
    return fail(c.error().with_context("the restored file would not be valid; nothing changed"));
  if (auto r = write_preserving_mode(path, candidate); !r) return fail(r.error());
  return path;
}

}  // namespace acmed::app
