// SPDX-License-Identifier: Apache-2.0
#include "acmed/dns01/providers/rfc2136.hpp"

#include <spdlog/spdlog.h>
// After spdlog: ldns' headers define macros that break fmt's templates.
#include <ldns/ldns.h>

#include <algorithm>
#include <regex>

#include "acmed/core/base64.hpp"
#include "acmed/core/secret.hpp"
#include "acmed/dns01/credentials.hpp"
#include "acmed/dns/resolver.hpp"
#include "acmed/solvers/settings.hpp"

namespace acmed::dns01 {
namespace {

using ResolverPtr = std::unique_ptr<ldns_resolver, decltype(&ldns_resolver_deep_free)>;
using PktPtr = std::unique_ptr<ldns_pkt, decltype(&ldns_pkt_free)>;
using RrListPtr = std::unique_ptr<ldns_rr_list, decltype(&ldns_rr_list_deep_free)>;

constexpr std::string_view provider_name = "rfc2136";

constexpr std::string_view algorithms[] = {"hmac-sha256", "hmac-sha384", "hmac-sha512"};

constexpr solver::SettingSpec rfc2136_settings[] = {
    {.name = "server", .description = "the primary that accepts updates: IP[:port]"},
    {.name = "key_name", .description = "TSIG key name (taken from key_file when that is used)"},
    {.name = "algorithm", .description = "TSIG algorithm (default hmac-sha256)", .type = solver::SettingType::choice,
     .choices = algorithms},
    {.name = "secret_file", .description = "file holding the base64 TSIG secret, mode 0600", .credential = true},
    {.name = "key_file", .description = "file holding a BIND key clause (name, algorithm, secret), mode 0600",
     .credential = true},
    credential_setting,
};

struct Tsig {
  std::string key_name;
  std::string algorithm;
  Secret secret;
};

Result<void> check_algorithm(const std::string& alg, const std::string& origin) {
  if (std::find(std::begin(algorithms), std::end(algorithms), alg) != std::end(algorithms)) return {};
  return fail(Errc::config, origin + ": TSIG algorithm '" + alg + "' is not supported (hmac-sha256, hmac-sha384, hmac-sha512)");
}

/// Parses a BIND `key "name" { algorithm hmac-sha256; secret "..."; };` clause.
Result<Tsig> parse_bind_key(std::string_view text, const std::string& path) {
  static const std::regex key_re(R"re(key\s+"?([A-Za-z0-9._-]+)"?\s*\{)re");
  static const std::regex alg_re(R"re(algorithm\s+"?([A-Za-z0-9-]+)"?\s*;)re");
  static const std::regex secret_re(R"re(secret\s+"([A-Za-z0-9+/=]+)"\s*;)re");
  std::string s(text);
  std::smatch k, a, sec;
  if (!std::regex_search(s, k, key_re) || !std::regex_search(s, a, alg_re) || !std::regex_search(s, sec, secret_re))
    return fail(Errc::config, path + ": not a BIND key clause (key \"name\" { algorithm ...; secret \"...\"; };)");
  Tsig t{k[1], a[1], Secret(sec[1])};
  std::fill(s.begin(), s.end(), '\0');
  return t;
}

std::string rcode_text(ldns_pkt_rcode rc) {
  ldns_lookup_table* lt = ldns_lookup_by_id(ldns_rcodes, static_cast<int>(rc));
  return lt && lt->name ? lt->name : std::to_string(static_cast<int>(rc));
}

class Rfc2136Writer final : public RecordWriter {
 public:
  Rfc2136Writer(dns::Server server, Tsig tsig) : server_(std::move(server)), tsig_(std::move(tsig)) {}

  std::string id() const override {
    return std::string(provider_name) + "@" + server_.to_string() + "/key " + tsig_.key_name;
  }

  Result<void> add_txt(const TxtRecord& r) override { return update(r, false); }
  Result<void> remove_txt(const TxtRecord& r) override { return update(r, true); }

 private:
  Result<void> update(const TxtRecord& r, bool remove) {
    // RFC 2136 §2.5.1 adds one RR to the RRset; §2.5.4 (class NONE, TTL 0) deletes
    // exactly this RR and leaves other TXT values at the name alone.
    std::string quoted;
    for (char c : r.value) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    std::string text = r.fqdn + ". " + std::to_string(remove ? 0 : r.ttl) + " IN TXT \"" + quoted + "\"";
    ldns_rr* rr = nullptr;
    if (ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr) != LDNS_STATUS_OK || !rr)
      return fail(Errc::invalid_argument, "cannot build TXT record for " + r.fqdn);
    if (remove) ldns_rr_set_class(rr, LDNS_RR_CLASS_NONE);
    RrListPtr updates(ldns_rr_list_new(), &ldns_rr_list_deep_free);
    ldns_rr_list_push_rr(updates.get(), rr);

    ldns_rdf* zone = ldns_dname_new_frm_str((r.zone + ".").c_str());
    if (!zone) return fail(Errc::invalid_argument, "invalid zone name '" + r.zone + "'");
    // The packet takes ownership of `zone` and copies the update list.
    PktPtr pkt(ldns_update_pkt_new(zone, LDNS_RR_CLASS_IN, nullptr, updates.get(), nullptr), &ldns_pkt_free);
    if (!pkt) return fail(Errc::dns, "cannot build the UPDATE message");

    ResolverPtr res(ldns_resolver_new(), &ldns_resolver_deep_free);
    ldns_rdf* addr = ldns_rdf_new_frm_str(server_.address.find(':') != std::string::npos ? LDNS_RDF_TYPE_AAAA
                                                                                         : LDNS_RDF_TYPE_A,
                                          server_.address.c_str());
    if (!addr) return fail(Errc::config, "invalid server address " + server_.address);
    ldns_resolver_push_nameserver(res.get(), addr);
    ldns_rdf_deep_free(addr);
    ldns_resolver_set_port(res.get(), server_.port);
    ldns_resolver_set_recursive(res.get(), false);
    ldns_resolver_set_fallback(res.get(), true);
    ldns_resolver_set_retry(res.get(), 2);
    ldns_resolver_set_timeout(res.get(), timeval{5, 0});
    std::string secret(tsig_.secret.view());
    ldns_resolver_set_tsig_keyname(res.get(), (tsig_.key_name + ".").c_str());
    ldns_resolver_set_tsig_algorithm(res.get(), (tsig_.algorithm + ".").c_str());
    ldns_resolver_set_tsig_keydata(res.get(), secret.c_str());
    std::fill(secret.begin(), secret.end(), '\0');
    if (ldns_update_pkt_tsig_add(pkt.get(), res.get()) != LDNS_STATUS_OK)
      return fail(Errc::config, "cannot sign the UPDATE with TSIG key " + tsig_.key_name + " (is the secret valid base64?)");

    ldns_pkt* answer_raw = nullptr;
    ldns_status st = ldns_resolver_send_pkt(&answer_raw, res.get(), pkt.get());
    PktPtr answer(answer_raw, &ldns_pkt_free);
    const std::string what = std::string(remove ? "removing" : "adding") + " TXT " + r.fqdn + " via " + server_.to_string();
    if (st == LDNS_STATUS_CRYPTO_TSIG_BOGUS || st == LDNS_STATUS_CRYPTO_TSIG_ERR)
      return fail(Errc::dns, what + ": TSIG verification failed (the server rejected our signature or its answer did not verify): wrong secret for key " +
                                 tsig_.key_name + "?");
    if (st != LDNS_STATUS_OK || !answer)
      return fail(Errc::dns, what + ": " + ldns_get_errorstr_by_id(st));
    auto rc = ldns_pkt_get_rcode(answer.get());
    switch (rc) {
      case LDNS_RCODE_NOERROR: return {};
      case LDNS_RCODE_NOTAUTH:
        return fail(Errc::dns, what + ": NOTAUTH — the server rejected TSIG key '" + tsig_.key_name +
                                   "' (wrong name, algorithm or secret) or is not authoritative for zone " + r.zone);
      case LDNS_RCODE_REFUSED:
        return fail(Errc::dns, what + ": REFUSED — key '" + tsig_.key_name + "' may not update zone " + r.zone);
      default: return fail(Errc::dns, what + ": server answered " + rcode_text(rc));
    }
  }

  dns::Server server_;
  Tsig tsig_;
};

class Rfc2136Factory final : public ProviderFactory {
 public:
  std::string_view name() const override { return provider_name; }
  std::span<const solver::SettingSpec> settings() const override { return rfc2136_settings; }

  Result<void> validate(const ConfigValue& s) const override {
    if (auto r = solver::check_declared_keys(s, rfc2136_settings, provider_name); !r) return r;
    auto server = solver::get_string(s, "server", "", "rfc2136");
    if (!server) return fail(server.error());
    if (server->empty()) return fail(Errc::config, s.origin + ": rfc2136 needs 'server' (the primary accepting updates)");
    if (auto p = dns::parse_server(*server); !p) return fail(p.error().with_context(s.find("server")->origin));
    int sources = 0;
    for (const char* k : {"secret_file", "key_file", "credential"}) sources += s.find(k) ? 1 : 0;
    if (sources != 1)
      return fail(Errc::config, s.origin + ": rfc2136 needs exactly one of 'secret_file', 'key_file' or 'credential'");
    if (!s.find("key_file") && !s.find("key_name"))
      return fail(Errc::config, s.origin + ": rfc2136 needs 'key_name' with 'secret_file' or 'credential'");
    auto alg = solver::get_string(s, "algorithm", "hmac-sha256", "rfc2136");
    if (!alg) return fail(alg.error());
    return check_algorithm(*alg, s.origin);
  }

  Result<std::unique_ptr<RecordWriter>> create(const ConfigValue& s) const override {
    if (auto r = validate(s); !r) return fail(r.error());
    auto server = dns::parse_server(*solver::get_string(s, "server", "", "rfc2136"));
    Tsig tsig;
    if (const ConfigValue* kf = s.find("key_file")) {
      auto text = read_secret_file(kf->scalar);
      if (!text) return fail(text.error());
      auto parsed = parse_bind_key(text->view(), kf->scalar);
      if (!parsed) return fail(parsed.error());
      tsig = std::move(*parsed);
      if (auto r = check_algorithm(tsig.algorithm, kf->scalar); !r) return fail(r.error());
    } else {
      auto secret = load_credential(s, "secret_file");
      if (!secret) return fail(secret.error());
      tsig.secret = std::move(*secret);
      tsig.key_name = *solver::get_string(s, "key_name", "", "rfc2136");
      tsig.algorithm = *solver::get_string(s, "algorithm", "hmac-sha256", "rfc2136");
    }
    if (!base64_decode(tsig.secret.view())) return fail(Errc::config, "TSIG secret for key " + tsig.key_name + " is not valid base64");
    return std::unique_ptr<RecordWriter>(std::make_unique<Rfc2136Writer>(*server, std::move(tsig)));
  }
};

}  // namespace

std::unique_ptr<ProviderFactory> make_rfc2136_provider() { return std::make_unique<Rfc2136Factory>(); }

}  // namespace acmed::dns01
