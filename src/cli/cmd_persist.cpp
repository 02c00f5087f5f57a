// SPDX-License-Identifier: Apache-2.0
// acmed persist record|check NAME: the DNS-PERSIST-01 records a certificate needs,
// generated before any order, and their read-only verification.
#include <spdlog/spdlog.h>

#include <atomic>
#include <iostream>
#include <nlohmann/json.hpp>

#include "acmed/app/persist_formats.hpp"
#include "acmed/core/time.hpp"
#include "acmed/persist/records.hpp"
#include "acmed/solvers/dns_persist01.hpp"
#include "commands.hpp"
#include "persist_view.hpp"

namespace acmed::cli {
namespace {

using json = nlohmann::json;

struct PersistOptions {
  std::string name;
  std::string format = "zone";
  std::string account_uri;
  std::string thumbprint;
  std::string issuer;
  std::string until;  ///< persist roll --until
  bool json_out = false;
  bool warn_exit = false;
  std::uint32_t ttl = 3600;
};

std::string utc(std::int64_t t) {
  return format_rfc3339(time_from_unix(t));
}

app::PersistRequest request_of(const PersistOptions& o) {
  app::PersistRequest r;
  r.account_uri = o.account_uri;
  r.thumbprint = o.thumbprint;
  r.issuer = o.issuer;
  return r;
}

}  // namespace

Result<PersistContext> open_persist(const GlobalOptions& g, const std::string& name, const app::PersistRequest& req) {
  auto cert = config::load_certificate(g.config_dir + "/certs.d/" + name + ".yaml");
  if (!cert) return fail(cert.error());
  auto s = open_session(g);
  if (!s) return fail(s.error());
  auto planned = app::plan_in_session(**s, *cert, req);
  if (!planned) return fail(planned.error());
  return PersistContext{std::move(*s), std::move(planned->ca), std::move(planned->plan)};
}

namespace {

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

json plan_json(const PersistContext& ctx) {
  const auto& plan = ctx.plan;
  json out = {{"certificate", plan.certificate},
              {"issuer", plan.issuer},
              {"account_uri", plan.binding.account_url},
              {"account_url", plan.account_url},
              {"account_uri_from_ca", plan.ca_named_account},
              {"revision", persist::revision_id(plan.revision)},
              {"other_issuers", plan.other_issuers},
              {"records", json::array()}};
  if (plan.revision == persist::Revision::draft02) {
    out["account_hash_prefix"] = plan.binding.hash_prefix;
    out["bind"] = plan.binding.bind == persist::Bind::any ? "any" : "name";
  }
  if (ctx.ca.revision_notice) out["ca_revision_notice"] = *ctx.ca.revision_notice;
  for (const auto& r : plan.records) out["records"].push_back(record_json(r));
  return out;
}

/// `verify_account`: the -02 rule for values handed to another party (persist record).
int run_record(const GlobalOptions& g, const PersistOptions& o, std::ostream& out_stream = std::cout,
               bool verify_account = true) {
  auto req = request_of(o);
  req.without_key = !verify_account;  // views show values without loading the key
  auto ctx = open_persist(g, o.name, req);
  if (!ctx) return report(ctx.error());
  const app::PersistPlan* plan = &ctx->plan;
  if (verify_account && o.account_uri.empty())
    if (auto r = app::require_valid_account(*ctx->session); !r) return report(r.error());
  if (o.format == "json" || o.json_out) {
    out_stream << plan_json(*ctx).dump(2) << "\n";
    return exit_ok;
  }
  auto format = app::parse_record_format(o.format);
  if (!format) return report(format.error());
  // IaC formats need the zone each record lives in.
  auto resolver = *format == app::RecordFormat::zone ? Result<dns::Resolver*>(nullptr) : ctx->session->resolver();
  auto zone_of = [&](const std::string& name) -> std::string {
    if (!resolver || !*resolver) return {};
    auto z = (*resolver)->find_zone(name);
    return z ? z->apex : std::string();
  };
  out_stream << app::render_records(*plan, *format, o.ttl, zone_of);
  if (verify_account)
    if (auto note = app::account_uri_note(*plan); !note.empty()) std::cerr << "note: " << note << "\n";
  return exit_ok;
}

json health_json(const app::PersistHealth& health) { return check_json(app::record_views(health)); }

int run_check(const GlobalOptions& g, const PersistOptions& o) {
  auto ctx = open_persist(g, o.name, request_of(o));
  if (!ctx) return report(ctx.error());
  const auto& plan = ctx->plan;
  auto checked = app::check_in_session(*ctx->session, plan);
  if (!checked) return report(checked.error());
  const app::PersistHealth& health = *checked;
  if (o.json_out) {
    json out = {{"certificate", plan.certificate}, {"issuer", plan.issuer}, {"account_uri", plan.binding.account_url},
                {"revision", persist::revision_id(plan.revision)}, {"records", health_json(health)}};
    if (ctx->ca.revision_notice) out["ca_revision_notice"] = *ctx->ca.revision_notice;
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& h : health.records) {
      std::cout << h.record.name << ": " << persist::to_string(h.check.status) << "\n";
      for (const auto& c : h.check.cnames) std::cout << "  CNAME -> " << c << "\n";
      for (const auto& s : h.check.servers)
        std::cout << "  " << s.server << ": " << persist::to_string(s.evaluation.status) << ": " << s.evaluation.detail
                  << "\n";
      if (h.check.dnssec != dns::DnssecStatus::unchecked) std::cout << "  DNSSEC: " << dns::to_string(h.check.dnssec) << "\n";
      if (!persist::passes(h.check.status))
        std::cout << "  fix: publish " << persist::zone_file_line(h.record.name, h.record.value, o.ttl) << "\n";
      else if (h.earlier_key)
        std::cout << "  republish (made with an earlier account key; valid until the account is deactivated): "
                  << persist::zone_file_line(h.record.name, h.record.value, o.ttl) << "\n";
    }
  }
  if (health.failed) return exit_failure;
  if (health.warned && o.warn_exit) return exit_warning;
  return exit_ok;
}

/// acmed persist roll NAME --until DATE: moves the anchored persistUntil and prints the
/// roll-forward (publish the new value next to the old one, check, remove the old one).
int run_roll(const GlobalOptions& g, const PersistOptions& o) {
  auto cert = config::load_certificate(g.config_dir + "/certs.d/" + o.name + ".yaml");
  if (!cert) return report(cert.error());
  auto session = open_session(g);
  if (!session) return report(session.error());
  auto rolled = app::roll_persist(**session, *cert, o.until, request_of(o));
  if (!rolled) return report(rolled.error());
  const std::int64_t until = rolled->until;
  std::cout << "; persistUntil for '" << o.name << "' moves to " << until << " (" << utc(until) << ")\n"
            << "; acmed keeps this value (state/renewal/" << o.name << ") until the configured persist_until changes.\n"
            << "; Roll forward without a gap:\n"
            << ";  1. publish each NEW record next to the old one (both may exist at once);\n"
            << ";  2. run 'acmed persist check " << o.name << "' until every record is ok;\n"
            << ";  3. remove the OLD record.\n";
  const auto& before = rolled->before.records;
  for (std::size_t i = 0; i < rolled->after.records.size(); ++i) {
    const auto& n = rolled->after.records[i];
    std::cout << ";\n; NEW: " << persist::zone_file_line(n.name, n.value, o.ttl) << "\n";
    if (i < before.size() && before[i].value != n.value)
      std::cout << "; OLD (remove after step 2): " << persist::zone_file_line(n.name, before[i].value, o.ttl) << "\n";
  }
  return exit_ok;
}

}  // namespace

json persist_records_json(const GlobalOptions& g, const std::string& name, std::string& error) {
  app::PersistRequest req;
  req.without_key = true;
  auto ctx = open_persist(g, name, req);
  if (!ctx) {
    error = ctx.error().describe();
    return nullptr;
  }
  return plan_json(*ctx);
}

int persist_records_text(const GlobalOptions& g, const std::string& name, const std::string& format, std::ostream& out) {
  PersistOptions o;
  o.name = name;
  o.format = format;
  // The status page shows the values the operator asked for; the account check belongs
  // to 'persist record' (it costs a request per page view).
  return run_record(g, o, out, false);
}

void add_persist_command(CLI::App& app, GlobalOptions& g, int& rc) {
  auto* cmd = app.add_subcommand("persist", "DNS-PERSIST-01 records: generate them, verify them (read-only)");
  cmd->require_subcommand(1);
  auto o = std::make_shared<PersistOptions>();
  auto* record = cmd->add_subcommand("record", "Show the _validation-persist TXT records certificate NAME needs");
  record->add_option("name", o->name, "certificate name (certs.d/NAME.yaml)")->required();
  record->add_option("--format", o->format, "zone (default), json, terraform, octodns");
  record->add_option("--account-uri", o->account_uri, "account URL to put in the record (default: the stored account)");
  record->add_option("--thumbprint", o->thumbprint, "with --account-uri on a draft -02 CA: that account key's RFC 7638 thumbprint");
  record->add_option("--issuer", o->issuer, "issuer domain name (default: config 'issuer', else the first of the CA's issuerDomainNames, or of its caaIdentities where it lists none)");
  record->add_option("--ttl", o->ttl, "TTL to suggest (default 3600)");
  record->add_flag("--json", o->json_out, "same as --format json");
  record->callback([&g, &rc, o] {
    o->json_out |= g.json;
    rc = run_record(g, *o);
  });

  auto* check = cmd->add_subcommand("check", "Verify certificate NAME's records on every authoritative server (read-only)");
  check->add_option("name", o->name, "certificate name (certs.d/NAME.yaml)")->required();
  check->add_option("--account-uri", o->account_uri, "account URL the records must name (default: the stored account)");
  check->add_option("--thumbprint", o->thumbprint, "with --account-uri on a draft -02 CA: that account key's RFC 7638 thumbprint");
  check->add_option("--issuer", o->issuer, "issuer domain name to look for");
  check->add_flag("--json", o->json_out, "machine-readable output");
  check->add_flag("--warn-exit", o->warn_exit, "exit 3 when a record's persistUntil is within the warning window");
  check->callback([&g, &rc, o] {
    o->json_out |= g.json;
    rc = run_check(g, *o);
  });

  auto* roll = cmd->add_subcommand("roll", "Move certificate NAME's persistUntil and print the roll-forward steps");
  roll->add_option("name", o->name, "certificate name (certs.d/NAME.yaml)")->required();
  roll->add_option("--until", o->until, "new persistUntil: a date (2027-06-01), RFC 3339 time, Unix time or duration (180d)")
      ->required();
  roll->add_option("--ttl", o->ttl, "TTL to suggest (default 3600)");
  roll->callback([&g, &rc, o] { rc = run_roll(g, *o); });
}

}  // namespace acmed::cli
