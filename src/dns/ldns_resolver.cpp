// SPDX-License-Identifier: Apache-2.0
#include "acmed/dns/ldns_resolver.hpp"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>
// After spdlog: ldns' headers define macros that break fmt's templates.
#include <ldns/ldns.h>
#include <unbound.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

namespace acmed::dns {
namespace {

using ResolverPtr = std::unique_ptr<ldns_resolver, decltype(&ldns_resolver_deep_free)>;
using PktPtr = std::unique_ptr<ldns_pkt, decltype(&ldns_pkt_free)>;
using RdfPtr = std::unique_ptr<ldns_rdf, decltype(&ldns_rdf_deep_free)>;

constexpr int max_chain = 16;

std::string normalize(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  while (!name.empty() && name.back() == '.') name.pop_back();
  return name;
}

std::string dname_str(const ldns_rdf* rdf) {
  char* s = ldns_rdf2str(rdf);
  std::string out = s ? s : "";
  free(s);
  return normalize(out);
}

std::string rcode_name(ldns_pkt_rcode rc) {
  ldns_lookup_table* lt = ldns_lookup_by_id(ldns_rcodes, static_cast<int>(rc));
  return lt && lt->name ? lt->name : "RCODE" + std::to_string(static_cast<int>(rc));
}

std::string type_name(ldns_rr_type t) {
  char* s = ldns_rr_type2str(t);
  std::string out = s ? s : "?";
  free(s);
  return out;
}

/// All character-strings of a TXT RR joined with no separator, as CAs do (RFC 1035 §3.3.14).
std::string txt_value(const ldns_rr* rr) {
  std::string out;
  for (std::size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    const ldns_rdf* rdf = ldns_rr_rdf(rr, i);
    const uint8_t* data = ldns_rdf_data(rdf);
    std::size_t size = ldns_rdf_size(rdf);
    if (size == 0) continue;
    std::size_t len = std::min<std::size_t>(data[0], size - 1);
    out.append(reinterpret_cast<const char*>(data + 1), len);
  }
  return out;
}

bool is_ipv6(const std::string& a) { return a.find(':') != std::string::npos; }

/// A CAA RR's flags, tag and value as ldns splits them (INT8, TAG with its length octet,
/// LONG_STR); nothing when the RR does not have that shape.
std::optional<CaaRecord> caa_record(const ldns_rr* rr) {
  if (ldns_rr_rd_count(rr) < 2) return std::nullopt;
  const ldns_rdf* flags = ldns_rr_rdf(rr, 0);
  const ldns_rdf* tag = ldns_rr_rdf(rr, 1);
  if (ldns_rdf_size(flags) != 1 || ldns_rdf_size(tag) < 1) return std::nullopt;
  CaaRecord out;
  out.flags = ldns_rdf_data(flags)[0];
  const uint8_t* t = ldns_rdf_data(tag);
  std::size_t len = std::min<std::size_t>(t[0], ldns_rdf_size(tag) - 1);
  out.tag.assign(reinterpret_cast<const char*>(t + 1), len);
  if (ldns_rr_rd_count(rr) > 2) {
    const ldns_rdf* value = ldns_rr_rdf(rr, 2);
    out.value.assign(reinterpret_cast<const char*>(ldns_rdf_data(value)), ldns_rdf_size(value));
  }
  return out;
}

/// Follows the CNAMEs inside one answer section from `start` and returns the RRs of
/// `type` owned by the name the chain ends at (`current`); the targets go to `cnames`.
std::vector<const ldns_rr*> read_answer(const ldns_pkt* pkt, ldns_rr_type type, const std::string& start,
                                        std::vector<std::string>& cnames, std::string& current) {
  std::map<std::string, std::string> aliases;
  std::vector<std::pair<std::string, const ldns_rr*>> found;
  const ldns_rr_list* answer = ldns_pkt_answer(pkt);
  for (std::size_t i = 0; answer && i < ldns_rr_list_rr_count(answer); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(answer, i);
    std::string owner = dname_str(ldns_rr_owner(rr));
    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && ldns_rr_rd_count(rr) > 0)
      aliases[owner] = dname_str(ldns_rr_rdf(rr, 0));
    else if (ldns_rr_get_type(rr) == type)
      found.emplace_back(owner, rr);
  }
  current = start;
  for (int hops = 0; hops < max_chain; ++hops) {
    auto it = aliases.find(current);
    if (it == aliases.end()) break;
    current = it->second;
    cnames.push_back(current);
  }
  std::vector<const ldns_rr*> out;
  for (const auto& [owner, rr] : found)
    if (owner == current) out.push_back(rr);
  return out;
}

void take_txt(const std::vector<const ldns_rr*>& rrs, TxtResult& out) {
  for (const ldns_rr* rr : rrs) {
    out.values.push_back(txt_value(rr));
    std::uint32_t ttl = ldns_rr_ttl(rr);
    out.ttl = out.values.size() == 1 ? ttl : std::min(out.ttl, ttl);
  }
}

/// At most this many CAA records are read from one RRset (real ones hold a handful).
constexpr std::size_t max_caa_records = 64;

void take_caa(const std::vector<const ldns_rr*>& rrs, CaaResult& out) {
  for (const ldns_rr* rr : rrs) {
    if (out.records.size() == max_caa_records) {
      out.truncated = true;
      break;
    }
    if (auto c = caa_record(rr)) out.records.push_back(std::move(*c));
  }
}

using UbCtxPtr = std::unique_ptr<ub_ctx, decltype(&ub_ctx_delete)>;

class LdnsResolver final : public Resolver {
 public:
  explicit LdnsResolver(ResolverOptions o) : opts_(std::move(o)) {}

  /// Sets up the validating resolver when DNSSEC is on (or automatic and an anchor exists).
  Result<void> init() {
    if (opts_.dnssec == DnssecMode::off) return {};
    if (::access(opts_.trust_anchor_file.c_str(), R_OK) != 0) {
      if (opts_.dnssec == DnssecMode::automatic) return {};
      return fail(Errc::config, "DNSSEC validation is on but the trust anchor file " + opts_.trust_anchor_file +
                                    " cannot be read: " + std::strerror(errno) + " (Debian: package dns-root-data)");
    }
    ub_.reset(ub_ctx_create());
    if (!ub_) return fail(Errc::dns, "cannot create the validating resolver");
    ub_ctx_set_option(ub_.get(), "do-not-query-localhost:", "no");
    // libunbound answers some special-use names (RFC 6761 "test.", "invalid.") locally
    // with NXDOMAIN. acmed validates what the configured resolvers answer, so pass them
    // on. local-zone cannot be set through ub_ctx_set_option, only from a config file.
    char path[] = "/tmp/acmed-unbound-XXXXXX";
    int fd = ::mkstemp(path);
    if (fd >= 0) {
      const std::string conf = "server:\n  local-zone: \"test.\" nodefault\n  local-zone: \"invalid.\" nodefault\n";
      bool written = ::write(fd, conf.data(), conf.size()) == static_cast<ssize_t>(conf.size());
      ::close(fd);
      if (written) ub_ctx_config(ub_.get(), path);
      ::unlink(path);
    }
    if (opts_.recursive.empty()) {
      if (int e = ub_ctx_resolvconf(ub_.get(), nullptr); e != 0)
        return fail(Errc::dns, std::string("validating resolver: ") + ub_strerror(e));
    }
    for (const auto& r : opts_.recursive) {
      std::string fwd = r.address + "@" + std::to_string(r.port);
      if (int e = ub_ctx_set_fwd(ub_.get(), fwd.c_str()); e != 0)
        return fail(Errc::dns, "validating resolver: forwarder " + fwd + ": " + ub_strerror(e));
    }
    if (int e = ub_ctx_add_ta_file(ub_.get(), opts_.trust_anchor_file.c_str()); e != 0)
      return fail(Errc::config, "cannot load DNSSEC trust anchor " + opts_.trust_anchor_file + ": " + ub_strerror(e));
    return {};
  }

  Result<TxtResult> lookup_txt(const std::string& name) override {
    auto r = chase<TxtResult>(name, nullptr, LDNS_RR_TYPE_TXT, take_txt);
    if (r) r->dnssec = validate(name, LDNS_RR_TYPE_TXT);
    return r;
  }

  Result<CaaResult> lookup_caa(const std::string& name) override {
    auto r = chase<CaaResult>(name, nullptr, LDNS_RR_TYPE_CAA, take_caa);
    if (r) r->dnssec = validate(name, LDNS_RR_TYPE_CAA);
    return r;
  }

  Result<TxtResult> query_txt(const Server& server, const std::string& name) override {
    return chase<TxtResult>(name, &server, LDNS_RR_TYPE_TXT, take_txt);
  }

  Result<std::vector<std::string>> cname_chain(const std::string& name) override {
    auto r = chase<TxtResult>(name, nullptr, LDNS_RR_TYPE_TXT, take_txt);
    if (!r) return fail(r.error());
    return r->cnames;
  }

  Result<Zone> find_zone(const std::string& name) override {
    std::string candidate = normalize(name);
    Zone zone;
    // SOA walk: a negative answer carries the zone's SOA in the authority section, so
    // usually one query finds the apex.
    while (!candidate.empty()) {
      auto pkt = ask(nullptr, candidate, LDNS_RR_TYPE_SOA);
      if (!pkt) return fail(pkt.error());
      for (const ldns_rr_list* section : {ldns_pkt_answer(pkt->get()), ldns_pkt_authority(pkt->get())}) {
        for (std::size_t i = 0; section && i < ldns_rr_list_rr_count(section) && zone.apex.empty(); ++i) {
          const ldns_rr* rr = ldns_rr_list_rr(section, i);
          if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA) continue;
          std::string owner = dname_str(ldns_rr_owner(rr));
          if (candidate == owner || (candidate.size() > owner.size() &&
                                     candidate.compare(candidate.size() - owner.size(), owner.size(), owner) == 0)) {
            zone.apex = owner;
            if (ldns_rr_rd_count(rr) > 0) zone.primary = dname_str(ldns_rr_rdf(rr, 0));
          }
        }
      }
      if (!zone.apex.empty()) break;
      auto dot = candidate.find('.');
      candidate = dot == std::string::npos ? std::string() : candidate.substr(dot + 1);
    }
    if (zone.apex.empty()) return fail(Errc::dns, "no DNS zone found for '" + normalize(name) + "' (no SOA on the way up)");

    auto ns = ask(nullptr, zone.apex, LDNS_RR_TYPE_NS);
    if (!ns) return fail(ns.error());
    std::vector<std::string> hosts;
    std::map<std::string, std::vector<std::string>> glue;
    const ldns_rr_list* answer = ldns_pkt_answer(ns->get());
    for (std::size_t i = 0; answer && i < ldns_rr_list_rr_count(answer); ++i) {
      const ldns_rr* rr = ldns_rr_list_rr(answer, i);
      if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS && ldns_rr_rd_count(rr) > 0)
        hosts.push_back(dname_str(ldns_rr_rdf(rr, 0)));
    }
    const ldns_rr_list* extra = ldns_pkt_additional(ns->get());
    for (std::size_t i = 0; extra && i < ldns_rr_list_rr_count(extra); ++i) {
      const ldns_rr* rr = ldns_rr_list_rr(extra, i);
      auto t = ldns_rr_get_type(rr);
      if ((t == LDNS_RR_TYPE_A || (t == LDNS_RR_TYPE_AAAA && opts_.ipv6)) && ldns_rr_rd_count(rr) > 0) {
        char* a = ldns_rdf2str(ldns_rr_rdf(rr, 0));
        glue[dname_str(ldns_rr_owner(rr))].push_back(a ? a : "");
        free(a);
      }
    }
    if (hosts.empty()) return fail(Errc::dns, "zone '" + zone.apex + "' has no NS records");
    std::sort(hosts.begin(), hosts.end());
    for (const auto& host : hosts) {
      std::vector<std::string> addrs = glue[host];
      if (addrs.empty()) {
        for (ldns_rr_type t : {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA}) {
          if (t == LDNS_RR_TYPE_AAAA && !opts_.ipv6) continue;
          auto a = ask(nullptr, host, t);
          if (!a) continue;
          const ldns_rr_list* ans = ldns_pkt_answer(a->get());
          for (std::size_t i = 0; ans && i < ldns_rr_list_rr_count(ans); ++i) {
            const ldns_rr* rr = ldns_rr_list_rr(ans, i);
            if (ldns_rr_get_type(rr) != t || ldns_rr_rd_count(rr) == 0) continue;
            char* s = ldns_rdf2str(ldns_rr_rdf(rr, 0));
            addrs.push_back(s ? s : "");
            free(s);
          }
        }
      }
      if (addrs.empty()) spdlog::warn("nameserver {} of zone {} has no address; it cannot be checked", host, zone.apex);
      for (const auto& a : addrs) zone.nameservers.push_back(Server{a, 53, host});
    }
    if (zone.nameservers.empty()) return fail(Errc::dns, "no nameserver of zone '" + zone.apex + "' has an address");
    return zone;
  }

 private:
  Result<ResolverPtr> make(const Server& s, bool recursive) const {
    ResolverPtr res(ldns_resolver_new(), &ldns_resolver_deep_free);
    if (!res) return fail(Errc::dns, "cannot create a DNS resolver");
    RdfPtr addr(ldns_rdf_new_frm_str(is_ipv6(s.address) ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, s.address.c_str()),
                &ldns_rdf_deep_free);
    if (!addr) return fail(Errc::dns, "'" + s.address + "' is not an IP address");
    if (ldns_resolver_push_nameserver(res.get(), addr.get()) != LDNS_STATUS_OK)
      return fail(Errc::dns, "cannot use nameserver " + s.address);
    configure(res.get(), recursive);
    ldns_resolver_set_port(res.get(), s.port);
    return res;
  }

  void configure(ldns_resolver* r, bool recursive) const {
    ldns_resolver_set_recursive(r, recursive);
    timeval tv{static_cast<time_t>(opts_.timeout.count() / 1000),
               static_cast<suseconds_t>((opts_.timeout.count() % 1000) * 1000)};
    ldns_resolver_set_timeout(r, tv);
    ldns_resolver_set_retry(r, static_cast<uint8_t>(std::max(opts_.retries, 1)));
    ldns_resolver_set_fallback(r, true);  // retry over TCP when the UDP answer is truncated
    ldns_resolver_set_defnames(r, false);
    ldns_resolver_set_dnsrch(r, false);
    ldns_resolver_set_random(r, false);
  }

  /// One query: to `server` without recursion, or (server == nullptr) through the recursive resolvers.
  Result<PktPtr> ask(const Server* server, const std::string& name, ldns_rr_type type) {
    RdfPtr dname(ldns_dname_new_frm_str((normalize(name) + ".").c_str()), &ldns_rdf_deep_free);
    if (!dname) return fail(Errc::invalid_argument, "'" + name + "' is not a valid DNS name");
    std::vector<Server> targets;
    if (server) targets.push_back(*server);
    else targets = opts_.recursive;
    std::string last_error;
    auto send = [&](ldns_resolver* res, const std::string& who) -> Result<PktPtr> {
      ldns_pkt* p = nullptr;
      ldns_status st = ldns_resolver_send(&p, res, dname.get(), type, LDNS_RR_CLASS_IN, server ? 0 : LDNS_RD);
      PktPtr pkt(p, &ldns_pkt_free);
      if (st != LDNS_STATUS_OK || !pkt)
        return fail(Errc::dns, type_name(type) + " " + normalize(name) + " @" + who + ": " + ldns_get_errorstr_by_id(st));
      auto rc = ldns_pkt_get_rcode(pkt.get());
      if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN)
        return fail(Errc::dns, type_name(type) + " " + normalize(name) + " @" + who + ": server answered " + rcode_name(rc));
      return pkt;
    };
    if (targets.empty()) {
      ldns_resolver* raw = nullptr;
      if (ldns_resolver_new_frm_file(&raw, nullptr) != LDNS_STATUS_OK || !raw)
        return fail(Errc::dns, "no DNS resolver configured and /etc/resolv.conf is unusable");
      ResolverPtr res(raw, &ldns_resolver_deep_free);
      configure(res.get(), true);
      return send(res.get(), "system resolver");
    }
    for (const auto& t : targets) {
      auto res = make(t, server == nullptr);
      if (!res) return fail(res.error());
      auto pkt = send(res->get(), t.to_string());
      if (pkt) return pkt;
      last_error = pkt.error().message;
    }
    return fail(Errc::dns, last_error);
  }

  /// The DNSSEC status of `name`/`type` from the validating resolver (unchecked without one).
  DnssecStatus validate(const std::string& name, ldns_rr_type type) {
    if (!ub_) return DnssecStatus::unchecked;
    ub_result* raw = nullptr;
    int e = ub_resolve(ub_.get(), normalize(name).c_str(), type, LDNS_RR_CLASS_IN, &raw);
    if (e != 0) {
      spdlog::warn("DNSSEC validation of {} failed to run: {}", name, ub_strerror(e));
      return DnssecStatus::unchecked;
    }
    std::unique_ptr<ub_result, decltype(&ub_resolve_free)> res(raw, &ub_resolve_free);
    if (res->bogus) {
      spdlog::debug("DNSSEC: {} is bogus: {}", name, res->why_bogus ? res->why_bogus : "no reason given");
      return DnssecStatus::bogus;
    }
    return res->secure ? DnssecStatus::secure : DnssecStatus::insecure;
  }

  /// Asks for `type` at `name`, following CNAMEs (within an answer, and by asking again for
  /// a chain's last target); `take` moves the RRs found into the result.
  template <class Out, class Take>
  Result<Out> chase(const std::string& name, const Server* server, ldns_rr_type type, Take take) {
    Out out;
    out.queried = normalize(name);
    std::string current = out.queried;
    for (int round = 0; round < max_chain; ++round) {
      auto pkt = ask(server, current, type);
      if (!pkt) return fail(pkt.error());
      if constexpr (requires { out.authoritative; }) out.authoritative = ldns_pkt_aa(pkt->get());
      std::string next;
      std::size_t before = out.cnames.size();
      auto rrs = read_answer(pkt->get(), type, current, out.cnames, next);
      out.final_name = next;
      if (!rrs.empty()) {
        take(rrs, out);
        return out;
      }
      if (ldns_pkt_get_rcode(pkt->get()) == LDNS_RCODE_NXDOMAIN) {
        out.nxdomain = true;
        return out;
      }
      // An answer that ends in a CNAME without data: ask again for the target.
      if (out.cnames.size() == before || next == current) return out;
      current = next;
    }
    return fail(Errc::dns, "CNAME chain at '" + out.queried + "' is longer than " + std::to_string(max_chain));
  }

  ResolverOptions opts_;
  UbCtxPtr ub_{nullptr, &ub_ctx_delete};
};

}  // namespace

namespace {

template <class Out, class Take>
Result<Out> read_one_answer(std::string_view wire, const std::string& name, ldns_rr_type type, Take take) {
  ldns_pkt* p = nullptr;
  if (ldns_status st = ldns_wire2pkt(&p, reinterpret_cast<const uint8_t*>(wire.data()), wire.size());
      st != LDNS_STATUS_OK || !p)
    return fail(Errc::dns, std::string("malformed DNS message: ") + ldns_get_errorstr_by_id(st));
  PktPtr pkt(p, &ldns_pkt_free);
  Out out;
  out.queried = normalize(name);
  if constexpr (requires { out.authoritative; }) out.authoritative = ldns_pkt_aa(pkt.get());
  out.nxdomain = ldns_pkt_get_rcode(pkt.get()) == LDNS_RCODE_NXDOMAIN;
  take(read_answer(pkt.get(), type, out.queried, out.cnames, out.final_name), out);
  return out;
}

}  // namespace

Result<TxtResult> read_txt_answer(std::string_view wire, const std::string& name) {
  return read_one_answer<TxtResult>(wire, name, LDNS_RR_TYPE_TXT, take_txt);
}

Result<CaaResult> read_caa_answer(std::string_view wire, const std::string& name) {
  return read_one_answer<CaaResult>(wire, name, LDNS_RR_TYPE_CAA, take_caa);
}

Result<std::unique_ptr<Resolver>> make_ldns_resolver(ResolverOptions options) {
  auto r = std::make_unique<LdnsResolver>(std::move(options));
  if (auto i = r->init(); !i) return fail(i.error());
  return std::unique_ptr<Resolver>(std::move(r));
}

}  // namespace acmed::dns
