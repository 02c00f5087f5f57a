// SPDX-License-Identifier: Apache-2.0
#include "acmed/app/persist_formats.hpp"

#include <cstdio>
#include <map>
#include <sstream>

namespace acmed::app {
namespace {

std::string utc(std::int64_t t) { return format_rfc3339(TimePoint(std::chrono::seconds(t))); }

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

/// A Terraform resource name: letters, digits and '_' only, not starting with '_'.
std::string tf_name(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  while (!s.empty() && s.front() == '_') s.erase(0, 1);
  return s;
}

/// `name` relative to `zone` ("" zone: the name itself).
std::string relative_to(const std::string& name, const std::string& zone) {
  if (zone.empty() || name.size() <= zone.size()) return name;
  return name.substr(0, name.size() - zone.size() - 1);
}

void zone_file(std::ostream& out, const PersistPlan& plan, std::uint32_t ttl) {
  out << "; DNS-PERSIST-01 records for certificate '" << plan.certificate << "'\n"
      << "; issuer " << plan.issuer << ", account " << plan.binding.account_url << "\n";
  if (plan.revision == persist::Revision::draft02)
    out << "; the CA speaks draft -02: accounturi is a hash of "
        << (plan.binding.bind == persist::Bind::any ? "\"*\" (one value serves every name)" : "each record's own name")
        << ", the account key's thumbprint and the account URL\n";
  if (!plan.other_issuers.empty())
    out << "; the CA also accepts records for: " << joined(plan.other_issuers) << " (any ONE issuer is enough)\n";
  out << "; acmed never publishes these: add them through your DNS change process.\n";
  for (const auto& r : plan.records) {
    out << ";\n; " << r.name << " authorizes: " << joined(r.covers) << "\n; " << r.policy_reason << "\n";
    if (r.params.persist_until)
      out << "; persistUntil=" << *r.params.persist_until << " = " << utc(*r.params.persist_until)
          << " (CAs stop using the record after this)\n";
    else
      out << "; no persistUntil: the record stays valid until you remove it\n";
    out << persist::zone_file_line(r.name, r.value, ttl) << "\n";
  }
}

void terraform(std::ostream& out, const PersistPlan& plan, std::uint32_t ttl, const ZoneOf& zone_of) {
  out << "# DNS-PERSIST-01 records for certificate '" << plan.certificate << "' (hashicorp/dns provider)\n";
  for (const auto& r : plan.records) {
    const std::string zone = zone_of(r.name);
    out << "\n# " << r.policy_reason << "\nresource \"dns_txt_record_set\" \"" << tf_name(r.name) << "\" {\n"
        << "  zone = " << double_quoted((zone.empty() ? "REPLACE-WITH-ZONE" : zone) + ".", true) << "\n"
        << "  name = " << double_quoted(relative_to(r.name, zone), true) << "\n"
        << "  txt  = [" << double_quoted(r.value, true) << "]\n"
        << "  ttl  = " << ttl << "\n}\n";
  }
}

void octodns(std::ostream& out, const PersistPlan& plan, std::uint32_t ttl, const ZoneOf& zone_of) {
  std::map<std::string, std::vector<const persist::RequiredRecord*>> by_zone;
  for (const auto& r : plan.records) by_zone[zone_of(r.name)].push_back(&r);
  for (const auto& [zone, recs] : by_zone) {
    out << "# --- " << (zone.empty() ? "UNKNOWN-ZONE" : zone) << ".yaml (octoDNS) ---\n";
    for (const auto* r : recs) {
      std::string escaped;
      for (char c : r->value) {
        if (c == ';') escaped += '\\';  // octoDNS requires ';' escaped in TXT values
        escaped += c;
      }
      out << "# " << r->policy_reason << "\n"
          << relative_to(r->name, zone) << ":\n  type: TXT\n  ttl: " << ttl << "\n  value: " << double_quoted(escaped)
          << "\n";
    }
  }
}

}  // namespace

Result<RecordFormat> parse_record_format(const std::string& name) {
  if (name == "zone") return RecordFormat::zone;
  if (name == "terraform") return RecordFormat::terraform;
  if (name == "octodns") return RecordFormat::octodns;
  return fail(Errc::config, "unknown format '" + name + "' (zone, json, terraform, octodns)");
}

std::string render_records(const PersistPlan& plan, RecordFormat format, std::uint32_t ttl, const ZoneOf& zone_of) {
  std::ostringstream out;
  switch (format) {
    case RecordFormat::zone: zone_file(out, plan, ttl); break;
    case RecordFormat::terraform: terraform(out, plan, ttl, zone_of); break;
    case RecordFormat::octodns: octodns(out, plan, ttl, zone_of); break;
  }
  return out.str();
}

std::string double_quoted(const std::string& s, bool terraform) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else if (terraform && (c == '$' || c == '%') && i + 1 < s.size() && s[i + 1] == '{') {
      out += c;  // "$${" and "%%{" are Terraform's literal "${" and "%{"
      out += c;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace acmed::app
