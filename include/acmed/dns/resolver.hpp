// SPDX-License-Identifier: Apache-2.0
// File: acmed/dns/resolver.hpp
//
// READ-ONLY DNS: TXT and CAA lookups, CNAME chains, zone cuts and per-server queries.
// There is deliberately no write operation here; DNS updates live in the dns01
// writer targets, which this interface knows nothing about.
//
//   auto zone = resolver.find_zone("_acme-challenge.www.example.com");
//   for (const auto& ns : zone->nameservers) resolver.query_txt(ns, name);
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "acmed/core/result.hpp"

namespace acmed::dns {

/// A DNS server to ask: an IP address and port, plus the NS name it came from.
struct Server {
  std::string address;
  std::uint16_t port = 53;
  std::string name;  ///< e.g. "ns1.example.com" (informational)
  std::string to_string() const;
};

/// Parses "192.0.2.1", "192.0.2.1:5353", "[2001:db8::1]:53" or "2001:db8::1".
[[nodiscard]] Result<Server> parse_server(std::string_view text);

enum class DnssecStatus { unchecked, secure, insecure, bogus };
std::string to_string(DnssecStatus s);
/// What a bogus answer means and what to do, for every message that reports one: a
/// broken chain of trust, or a resolver that strips DNSSEC records (the dns.dnssec hint).
std::string bogus_hint();

/// The TXT records found at a name after following CNAMEs.
struct TxtResult {
  std::string queried;                ///< the name asked for
  std::string final_name;             ///< after CNAMEs
  std::vector<std::string> cnames;    ///< chain followed, in order (targets)
  std::vector<std::string> values;    ///< one per TXT RR; multi-string RRs joined with no separator
  bool nxdomain = false;
  bool authoritative = false;         ///< AA bit of the (last) answer
  std::uint32_t ttl = 0;              ///< smallest TTL among the TXT RRs
  DnssecStatus dnssec = DnssecStatus::unchecked;
};

/// One CAA resource record (RFC 8659 §4.1). Tag and value are as published: untrusted
/// bytes, to be escaped before they are printed.
struct CaaRecord {
  std::uint8_t flags = 0;
  std::string tag;
  std::string value;
  bool critical() const { return (flags & 0x80) != 0; }
};

/// The CAA RRset found at one name after following CNAMEs (RFC 8659 §3: one step of the
/// climb towards the closest CAA RRset, which acmed::app::caa does).
struct CaaResult {
  std::string queried;
  std::string final_name;
  std::vector<std::string> cnames;
  std::vector<CaaRecord> records;
  bool truncated = false;  ///< the RRset held more records than acmed reads (64)
  bool nxdomain = false;
  DnssecStatus dnssec = DnssecStatus::unchecked;
};

/// A zone cut and the servers authoritative for it.
struct Zone {
  std::string apex;                 ///< "example.com" (no trailing dot)
  std::vector<Server> nameservers;  ///< one entry per address (IPv4 and IPv6)
  std::string primary;              ///< SOA MNAME
};

class Resolver {
 public:
  virtual ~Resolver() = default;
  /// TXT at `name` through the configured recursive resolver(s), CNAMEs followed.
  [[nodiscard]] virtual Result<TxtResult> lookup_txt(const std::string& name) = 0;
  /// TXT at `name` asked directly of `server` without recursion (authoritative view).
  /// CNAMEs are followed as long as the same server answers for the target.
  [[nodiscard]] virtual Result<TxtResult> query_txt(const Server& server, const std::string& name) = 0;
  /// CAA at `name` through the configured recursive resolver(s), CNAMEs followed;
  /// validated like lookup_txt() when DNSSEC is on.
  [[nodiscard]] virtual Result<CaaResult> lookup_caa(const std::string& name) = 0;
  /// The CNAME chain starting at `name` (empty when `name` is not an alias).
  [[nodiscard]] virtual Result<std::vector<std::string>> cname_chain(const std::string& name) = 0;
  /// The zone containing `name` (SOA walk) with the addresses of its NS hosts.
  [[nodiscard]] virtual Result<Zone> find_zone(const std::string& name) = 0;
};

enum class DnssecMode {
  off,        ///< never validate
  automatic,  ///< validate when the trust anchor file exists
  on,         ///< always validate; a missing trust anchor is a configuration error
};

struct ResolverOptions {
  std::vector<Server> recursive;  ///< empty: the system's /etc/resolv.conf
  std::chrono::milliseconds timeout{3000};
  int retries = 2;
  bool ipv6 = true;  ///< also use AAAA addresses of nameservers
  /// lookup_txt() answers are also validated (libunbound) and carry a DnssecStatus.
  DnssecMode dnssec = DnssecMode::off;
  std::string trust_anchor_file = "/usr/share/dns/root.key";  ///< DS/DNSKEY lines (Debian dns-root-data)
};

}  // namespace acmed::dns
