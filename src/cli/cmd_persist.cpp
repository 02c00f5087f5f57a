// acmed persist record|check NAME: the DNS-PERSIST-01 records a certificate needs,
// generated before any order, and their read-only verification.
#include <spdlog/spdlog.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "acmed/persist/records.hpp"
#include "acmed/solvers/dns_persist01.hpp"
#include "commands.hpp"

namespace acmed::cli {
namespace {

using json = nlohmann::json;

struct PersistOptions {
  std::string name;
  std::string format = "zone";
  std::string account_uri;
  std::string issuer;
  bool json_out = false;
  bool warn_exit = false;
  std::uint32_t ttl = 3600;
};

std::string utc(std::int64_t t) {
  return format_rfc3339(std::chrono::system_clock::time_point(std::chrono::seconds(t)));
}

/// Everything `record` and `check` share: the certificate's persist records, resolved.
struct Plan {
  std::string certificate;
  std::string issuer;
  std::vector<std::string> other_issuers;  ///< offered by the CA, not chosen
  std::string account_uri;
  solver::PersistSettings settings;
  std::vector<persist::RequiredRecord> records;
};

Result<Plan> make_plan(const GlobalOptions& g, const PersistOptions& o, std::unique_ptr<Session>& session) {
  auto cert = config::load_certificate(g.config_dir + "/certs.d/" + o.name + ".yaml");
  if (!cert) return fail(cert.error());
  Plan plan;
  plan.certificate = cert->name;
  std::vector<Identifier> ids;
  const config::SolverEntry* entry = nullptr;
  for (const auto& id : cert->identifiers) {
    // The first solver entry that covers the name decides, as in issuance.
    for (const auto& s : cert->solvers) {
      bool covers = s.domains.empty() || std::any_of(s.domains.begin(), s.domains.end(), [&](const std::string& d) {
                      return name_in_domain(id.authorization_name(), d);
                    });
      if (!covers) continue;
      if (s.type == "dns-persist-01") {
        ids.push_back(id);
        if (!entry) entry = &s;
      }
      break;
    }
  }
  if (!entry)
    return fail(Errc::config, cert->source + ": certificate '" + cert->name +
                                  "' has no dns-persist-01 solver (add '- type: dns-persist-01' under solvers)");
  auto settings = solver::read_persist_settings(entry->settings, std::chrono::system_clock::now());
  if (!settings) return fail(settings.error());
  plan.settings = *settings;

  auto s = Session::open(g);
  if (!s) return fail(s.error());
  session = std::move(*s);
  plan.account_uri = o.account_uri;
  if (plan.account_uri.empty()) {
    if (auto r = session->ensure_account(false); !r)
      return fail(r.error().with_context("the record names the ACME account, so it must exist first "
                                         "(acmed account register), or pass --account-uri"));
    plan.account_uri = *session->client().account_url();
  }
  plan.issuer = !o.issuer.empty() ? o.issuer : plan.settings.issuer.value_or("");
  if (plan.issuer.empty()) {
    // meta.caaIdentities is only a hint (the challenge is authoritative), but it is what
    // CAs publish today as their issuer domain names.
    auto dir = session->client().directory();
    if (!dir) return fail(dir.error());
    // The -02 candidate's meta.issuerDomainNames is authoritative where served; caaIdentities a hint.
    auto ids_sorted = dir->meta.issuer_domain_names.empty() ? dir->meta.caa_identities : dir->meta.issuer_domain_names;
    std::sort(ids_sorted.begin(), ids_sorted.end());
    if (ids_sorted.empty())
      return fail(Errc::config, "the CA's directory lists no caaIdentities; set 'issuer' in the dns-persist-01 solver "
                                "or pass --issuer");
    plan.issuer = ids_sorted.front();
    plan.other_issuers.assign(ids_sorted.begin() + 1, ids_sorted.end());
  }
  auto recs = persist::required_records(ids, plan.issuer, plan.account_uri, plan.settings.policy,
                                        plan.settings.persist_until);
  if (!recs) return fail(recs.error());
  plan.records = std::move(*recs);
  return plan;
}

json record_json(const persist::RequiredRecord& r) {
  json j = {{"name", r.name},
            {"type", "TXT"},
            {"value", r.value},
            {"strings", persist::split_txt(r.value)},
            {"covers", r.covers},
            {"issuer", r.params.issuer},
            {"account_uri", r.params.account_uri},
            {"policy_wildcard", r.params.policy_wildcard},
            {"policy_reason", r.policy_reason},
            {"persist_until", nullptr}};
  if (r.params.persist_until) {
    j["persist_until"] = *r.params.persist_until;
    j["persist_until_utc"] = utc(*r.params.persist_until);
  }
  return j;
}

std::string tf_name(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  while (!s.empty() && s.front() == '_') s.erase(0, 1);
  return s;
}

int run_record(const GlobalOptions& g, const PersistOptions& o, std::ostream& out_stream = std::cout) {
  std::unique_ptr<Session> session;
  auto plan = make_plan(g, o, session);
  if (!plan) return report(plan.error());
  std::ostream& cout_ = out_stream;
  if (o.format == "json" || o.json_out) {
    json out = {{"certificate", plan->certificate}, {"issuer", plan->issuer}, {"account_uri", plan->account_uri},
                {"other_issuers", plan->other_issuers}, {"records", json::array()}};
    for (const auto& r : plan->records) out["records"].push_back(record_json(r));
    cout_ << out.dump(2) << "\n";
    return exit_ok;
  }
  if (o.format == "zone") {
    cout_ << "; DNS-PERSIST-01 records for certificate '" << plan->certificate << "'\n"
              << "; issuer " << plan->issuer << ", account " << plan->account_uri << "\n";
    if (!plan->other_issuers.empty()) {
      std::string others;
      for (const auto& i : plan->other_issuers) others += (others.empty() ? "" : ", ") + i;
      cout_ << "; the CA also accepts records for: " << others << " (any ONE issuer is enough)\n";
    }
    cout_ << "; acmed never publishes these: add them through your DNS change process.\n";
    for (const auto& r : plan->records) {
      std::string covers;
      for (const auto& c : r.covers) covers += (covers.empty() ? "" : ", ") + c;
      cout_ << ";\n; " << r.name << " authorizes: " << covers << "\n; " << r.policy_reason << "\n";
      if (r.params.persist_until)
        cout_ << "; persistUntil=" << *r.params.persist_until << " = " << utc(*r.params.persist_until)
                  << " (CAs stop using the record after this)\n";
      else
        cout_ << "; no persistUntil: the record stays valid until you remove it\n";
      cout_ << persist::zone_file_line(r.name, r.value, o.ttl) << "\n";
    }
    return exit_ok;
  }
  // IaC formats need the zone each record lives in.
  auto resolver = session->resolver();
  auto zone_of = [&](const std::string& name) -> std::string {
    if (!resolver) return {};
    auto z = (*resolver)->find_zone(name);
    return z ? z->apex : std::string();
  };
  if (o.format == "terraform") {
    cout_ << "# DNS-PERSIST-01 records for certificate '" << plan->certificate << "' (hashicorp/dns provider)\n";
    for (const auto& r : plan->records) {
      std::string zone = zone_of(r.name);
      std::string relative = zone.empty() ? r.name : r.name.substr(0, r.name.size() - zone.size() - 1);
      cout_ << "\n# " << r.policy_reason << "\nresource \"dns_txt_record_set\" \"" << tf_name(r.name) << "\" {\n"
                << "  zone = \"" << (zone.empty() ? "REPLACE-WITH-ZONE" : zone) << ".\"\n"
                << "  name = \"" << relative << "\"\n"
                << "  txt  = [" << json(r.value).dump() << "]\n"
                << "  ttl  = " << o.ttl << "\n}\n";
    }
    return exit_ok;
  }
  if (o.format == "octodns") {
    std::map<std::string, std::vector<const persist::RequiredRecord*>> by_zone;
    for (const auto& r : plan->records) by_zone[zone_of(r.name)].push_back(&r);
    for (const auto& [zone, recs] : by_zone) {
      cout_ << "# --- " << (zone.empty() ? "UNKNOWN-ZONE" : zone) << ".yaml (octoDNS) ---\n";
      for (const auto* r : recs) {
        std::string relative = zone.empty() ? r->name : r->name.substr(0, r->name.size() - zone.size() - 1);
        std::string escaped;
        for (char c : r->value) {
          if (c == ';') escaped += '\\';  // octoDNS requires ';' escaped in TXT values
          escaped += c;
        }
        cout_ << "# " << r->policy_reason << "\n" << relative << ":\n  type: TXT\n  ttl: " << o.ttl
                  << "\n  value: " << json(escaped).dump() << "\n";
      }
    }
    return exit_ok;
  }
  return report(Error(Errc::config, "unknown format '" + o.format + "' (zone, json, terraform, octodns)"));
}

int run_check(const GlobalOptions& g, const PersistOptions& o) {
  std::unique_ptr<Session> session;
  auto plan = make_plan(g, o, session);
  if (!plan) return report(plan.error());
  auto resolver = session->resolver();
  if (!resolver) return report(resolver.error());
  bool failed = false, warned = false;
  json out = {{"certificate", plan->certificate}, {"issuer", plan->issuer}, {"account_uri", plan->account_uri},
              {"records", json::array()}};
  for (const auto& r : plan->records) {
    persist::Expectation e;
    e.issuers = {plan->issuer};
    e.account_uri = plan->account_uri;
    e.wildcard = std::any_of(r.covers.begin(), r.covers.end(), [](const std::string& c) { return c.rfind("*.", 0) == 0; });
    e.warn_before = plan->settings.warn_before;
    auto check = persist::check_record(**resolver, r.name, e);
    failed |= !persist::passes(check.status);
    warned |= check.status == persist::Status::expiring;
    json servers = json::array();
    for (const auto& s : check.servers)
      servers.push_back({{"server", s.server}, {"status", persist::to_string(s.evaluation.status)},
                         {"detail", s.evaluation.detail}, {"values", s.values}});
    out["records"].push_back({{"name", r.name}, {"expected", r.value}, {"status", persist::to_string(check.status)},
                              {"summary", check.summary}, {"cnames", check.cnames},
                              {"dnssec", dns::to_string(check.dnssec)}, {"servers", servers}});
    if (!o.json_out) {
      std::cout << r.name << ": " << persist::to_string(check.status) << "\n";
      for (const auto& c : check.cnames) std::cout << "  CNAME -> " << c << "\n";
      for (const auto& s : check.servers)
        std::cout << "  " << s.server << ": " << persist::to_string(s.evaluation.status) << ": " << s.evaluation.detail
                  << "\n";
      if (check.dnssec != dns::DnssecStatus::unchecked) std::cout << "  DNSSEC: " << dns::to_string(check.dnssec) << "\n";
      if (!persist::passes(check.status))
        std::cout << "  fix: publish " << persist::zone_file_line(r.name, r.value, o.ttl) << "\n";
    }
  }
  if (o.json_out) std::cout << out.dump(2) << "\n";
  if (failed) return exit_failure;
  if (warned && o.warn_exit) return exit_warning;
  return exit_ok;
}

}  // namespace

json persist_health(const GlobalOptions& g, const std::string& name, bool& failed, bool& warned) {
  PersistOptions o;
  o.name = name;
  std::unique_ptr<Session> session;
  auto plan = make_plan(g, o, session);
  if (!plan) {
    failed = true;
    return json::array({{{"name", "(all)"}, {"status", "error"}, {"summary", plan.error().describe()}}});
  }
  auto resolver = session->resolver();
  json out = json::array();
  for (const auto& r : plan->records) {
    if (!resolver) {
      failed = true;
      out.push_back({{"name", r.name}, {"status", "lookup-failed"}, {"summary", resolver.error().describe()}});
      continue;
    }
    persist::Expectation e;
    e.issuers = {plan->issuer};
    e.account_uri = plan->account_uri;
    e.wildcard = r.params.policy_wildcard &&
                 std::any_of(r.covers.begin(), r.covers.end(), [](const std::string& c) { return c.rfind("*.", 0) == 0; });
    e.warn_before = plan->settings.warn_before;
    auto check = persist::check_record(**resolver, r.name, e);
    failed |= !persist::passes(check.status);
    warned |= check.status == persist::Status::expiring;
    json servers = json::array();
    for (const auto& sv : check.servers) {
      json sj = {{"server", sv.server}, {"status", persist::to_string(sv.evaluation.status)},
                 {"detail", sv.evaluation.detail}, {"values", sv.values}};
      if (sv.evaluation.persist_until) sj["persist_until"] = *sv.evaluation.persist_until;
      servers.push_back(sj);
    }
    out.push_back({{"name", r.name}, {"expected", r.value}, {"status", persist::to_string(check.status)},
                   {"summary", check.summary}, {"dnssec", dns::to_string(check.dnssec)}, {"cnames", check.cnames},
                   {"servers", servers}});
  }
  return out;
}

json persist_records_json(const GlobalOptions& g, const std::string& name, std::string& error) {
  PersistOptions o;
  o.name = name;
  std::unique_ptr<Session> session;
  auto plan = make_plan(g, o, session);
  if (!plan) {
    error = plan.error().describe();
    return nullptr;
  }
  json out = {{"certificate", plan->certificate}, {"issuer", plan->issuer}, {"account_uri", plan->account_uri},
              {"other_issuers", plan->other_issuers}, {"records", json::array()}};
  for (const auto& r : plan->records) out["records"].push_back(record_json(r));
  return out;
}

int persist_records_text(const GlobalOptions& g, const std::string& name, const std::string& format, std::ostream& out) {
  PersistOptions o;
  o.name = name;
  o.format = format;
  return run_record(g, o, out);
}

void add_persist_command(CLI::App& app, GlobalOptions& g, int& rc) {
  auto* cmd = app.add_subcommand("persist", "DNS-PERSIST-01 records: generate them, verify them (read-only)");
  cmd->require_subcommand(1);
  auto o = std::make_shared<PersistOptions>();
  auto* record = cmd->add_subcommand("record", "Show the _validation-persist TXT records certificate NAME needs");
  record->add_option("name", o->name, "certificate name (certs.d/NAME.yaml)")->required();
  record->add_option("--format", o->format, "zone (default), json, terraform, octodns");
  record->add_option("--account-uri", o->account_uri, "account URL to put in the record (default: the stored account)");
  record->add_option("--issuer", o->issuer, "issuer domain name (default: config 'issuer', else the CA's caaIdentities)");
  record->add_option("--ttl", o->ttl, "TTL to suggest (default 3600)");
  record->add_flag("--json", o->json_out, "same as --format json");
  record->callback([&g, &rc, o] {
    o->json_out |= g.json;
    rc = run_record(g, *o);
  });

  auto* check = cmd->add_subcommand("check", "Verify certificate NAME's records on every authoritative server (read-only)");
  check->add_option("name", o->name, "certificate name (certs.d/NAME.yaml)")->required();
  check->add_option("--account-uri", o->account_uri, "account URL the records must name (default: the stored account)");
  check->add_option("--issuer", o->issuer, "issuer domain name to look for");
  check->add_flag("--json", o->json_out, "machine-readable output");
  check->add_flag("--warn-exit", o->warn_exit, "exit 3 when a record's persistUntil is within the warning window");
  check->callback([&g, &rc, o] {
    o->json_out |= g.json;
    rc = run_check(g, *o);
  });
}

}  // namespace acmed::cli
