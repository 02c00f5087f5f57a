// SPDX-License-Identifier: Apache-2.0
// FakeResolver: an in-memory read-only DNS for unit tests. Each nameserver can be
// told what it serves, after how many queries it starts serving, or to fail.
//
//   FakeResolver dns;
//   dns.add_zone("example.com", {{"192.0.2.1", 53, "ns1.example.com"}});
//   dns.add_cname("_acme-challenge.www.example.com", "_acme-challenge.www.other.net");
//   dns.serve_after("192.0.2.2", 3);        // ns2 lags: serves from its 3rd query on
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "acmed/dns/resolver.hpp"

namespace acmed::test {

class FakeResolver final : public dns::Resolver {
 public:
  void add_zone(const std::string& apex, std::vector<dns::Server> nameservers);
  void add_cname(const std::string& from, const std::string& to) { cnames_[from] = to; }
  /// What lookup_txt / query_txt answer for `name` at every server (unless overridden by live records).
  void set_txt(const std::string& name, std::vector<std::string> values) { txt_[name] = std::move(values); }
  /// Live values (e.g. written by a fake writer) are served once a server's lag has passed.
  void add_live(const std::string& name, const std::string& value) { live_[name].insert(value); }
  void remove_live(const std::string& name, const std::string& value) { live_[name].erase(value); }
  /// Server `address` serves live values only from its `n`-th query on.
  void serve_after(const std::string& address, int n) { lag_[address] = n; }
  /// The CAA records lookup_caa answers at `name` (after CNAMEs).
  void set_caa(const std::string& name, std::vector<dns::CaaRecord> records) { caa_[name] = std::move(records); }
  /// lookup_caa of `name` fails (as a SERVFAIL would).
  void fail_caa(const std::string& name) { failing_caa_.insert(name); }
  /// The DNSSEC status every lookup_caa answer carries (as a validating resolver sets it).
  void set_caa_dnssec(dns::DnssecStatus s) { caa_dnssec_ = s; }
  /// Server `address` fails every query.
  void fail_server(const std::string& address) { failing_.insert(address); }

  Result<dns::TxtResult> lookup_txt(const std::string& name) override;
  Result<dns::TxtResult> query_txt(const dns::Server& server, const std::string& name) override;
  Result<dns::CaaResult> lookup_caa(const std::string& name) override;
  Result<std::vector<std::string>> cname_chain(const std::string& name) override;
  /// The names lookup_caa was asked for, in order.
  const std::vector<std::string>& caa_queries() const { return caa_queries_; }
  Result<dns::Zone> find_zone(const std::string& name) override;

  int queries(const std::string& address) const;

  /// Aliases followed before a lookup fails, like LdnsResolver's limit.
  static constexpr std::size_t max_cname_chain = 16;

 private:
  Result<dns::TxtResult> answer(const std::string& name, bool with_live) const;
  std::map<std::string, dns::Zone> zones_;
  std::map<std::string, std::string> cnames_;
  std::map<std::string, std::vector<std::string>> txt_;
  std::map<std::string, std::set<std::string>> live_;
  std::map<std::string, int> lag_;
  std::map<std::string, int> queries_;
  std::set<std::string> failing_;
  std::map<std::string, std::vector<dns::CaaRecord>> caa_;
  std::set<std::string> failing_caa_;
  std::vector<std::string> caa_queries_;
  dns::DnssecStatus caa_dnssec_ = dns::DnssecStatus::unchecked;
};

}  // namespace acmed::test
