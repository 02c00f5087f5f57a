// SPDX-License-Identifier: Apache-2.0
#include "fake_resolver.hpp"

namespace acmed::test {

void FakeResolver::add_zone(const std::string& apex, std::vector<dns::Server> nameservers) {
  zones_[apex] = dns::Zone{apex, std::move(nameservers), "ns1." + apex};
}

Result<dns::TxtResult> FakeResolver::answer(const std::string& name, bool with_live) const {
  dns::TxtResult r;
  r.queried = name;
  std::string current = name;
  for (auto it = cnames_.find(current); it != cnames_.end(); it = cnames_.find(current)) {
    // As LdnsResolver does: a loop (a -> b -> a) or an overlong chain is an error, not a hang.
    if (r.cnames.size() >= max_cname_chain)
      return fail(Errc::dns, "CNAME chain at '" + name + "' is longer than " + std::to_string(max_cname_chain));
    current = it->second;
    r.cnames.push_back(current);
  }
  r.final_name = current;
  if (auto it = txt_.find(current); it != txt_.end()) r.values = it->second;
  if (with_live)
    if (auto it = live_.find(current); it != live_.end()) r.values.insert(r.values.end(), it->second.begin(), it->second.end());
  r.nxdomain = r.values.empty() && r.cnames.empty();
  return r;
}

Result<dns::TxtResult> FakeResolver::lookup_txt(const std::string& name) { return answer(name, true); }

Result<dns::TxtResult> FakeResolver::query_txt(const dns::Server& server, const std::string& name) {
  int n = ++queries_[server.address];
  if (failing_.count(server.address)) return fail(Errc::dns, "TXT " + name + " @" + server.to_string() + ": timed out");
  auto lag = lag_.find(server.address);
  auto r = answer(name, lag == lag_.end() || n >= lag->second);
  if (r) r->authoritative = true;
  return r;
}

Result<dns::CaaResult> FakeResolver::lookup_caa(const std::string& name) {
  caa_queries_.push_back(name);
  if (failing_caa_.count(name)) return fail(Errc::dns, "CAA " + name + ": server answered SERVFAIL");
  auto chain = answer(name, false);
  if (!chain) return fail(chain.error());
  dns::CaaResult r;
  r.queried = name;
  r.final_name = chain->final_name;
  r.cnames = chain->cnames;
  if (auto it = caa_.find(r.final_name); it != caa_.end()) r.records = it->second;
  r.nxdomain = r.records.empty() && r.cnames.empty() && chain->values.empty();
  r.dnssec = caa_dnssec_;
  return r;
}

Result<std::vector<std::string>> FakeResolver::cname_chain(const std::string& name) {
  auto r = answer(name, false);
  if (!r) return fail(r.error());
  return r->cnames;
}

Result<dns::Zone> FakeResolver::find_zone(const std::string& name) {
  std::string candidate = name;
  while (!candidate.empty()) {
    if (auto it = zones_.find(candidate); it != zones_.end()) return it->second;
    auto dot = candidate.find('.');
    candidate = dot == std::string::npos ? "" : candidate.substr(dot + 1);
  }
  return fail(Errc::dns, "no DNS zone found for '" + name + "'");
}

int FakeResolver::queries(const std::string& address) const {
  auto it = queries_.find(address);
  return it == queries_.end() ? 0 : it->second;
}

}  // namespace acmed::test
