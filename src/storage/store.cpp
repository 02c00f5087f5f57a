// SPDX-License-Identifier: Apache-2.0
// What every StateStore shares: the CA id that names an account's place.
#include "acmed/storage/store.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>

namespace acmed::storage {
namespace {

/// key=value lines (values may hold anything but a newline); unknown keys are ignored
/// so older and newer acmed share a file.
std::map<std::string, std::string> parse_kv(const std::string& data) {
  std::map<std::string, std::string> kv;
  std::size_t pos = 0;
  while (pos < data.size()) {
    auto nl = data.find('\n', pos);
    std::string line = data.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? data.size() : nl + 1;
    auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return kv;
}


std::string join_words(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& w : v) s += (s.empty() ? "" : " ") + w;
  return s;
}

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

std::optional<std::int64_t> opt_int(const std::map<std::string, std::string>& kv, const std::string& key) {
  auto it = kv.find(key);
  if (it == kv.end() || it->second.empty() || it->second.size() > 20) return std::nullopt;
  char* end = nullptr;
  long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (*end != '\0') return std::nullopt;
  return v;
}

}  // namespace

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    auto sp = s.find(' ', pos);
    std::string w = s.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
    if (!w.empty()) out.push_back(w);
    if (sp == std::string::npos) break;
    pos = sp + 1;
  }
  return out;
}

std::string encode_ca_facts(const CaFacts& f) {
  std::string out = "revision=" + one_line(f.revision) + "\nhash_prefix=" + one_line(f.hash_prefix) +
                    "\nissuer_domain_names=" + one_line(join_words(f.issuer_domain_names)) +
                    "\ncaa_identities=" + one_line(join_words(f.caa_identities)) +
                    "\nprevious_revision=" + one_line(f.previous_revision) + "\n";
  if (f.changed_at) out += "changed_at=" + std::to_string(*f.changed_at) + "\n";
  if (!f.account_uri.empty())
    out += "account_uri=" + one_line(f.account_uri) + "\naccount_uri_of=" + one_line(f.account_uri_of) + "\n";
  if (f.key_changed_at) out += "key_changed_at=" + std::to_string(*f.key_changed_at) + "\n";
  return out;
}

CaFacts decode_ca_facts(const std::string& text) {
  CaFacts f;
  auto kv = parse_kv(text);
  f.revision = kv["revision"];
  f.hash_prefix = kv["hash_prefix"];
  f.issuer_domain_names = split_words(kv["issuer_domain_names"]);
  f.caa_identities = split_words(kv["caa_identities"]);
  f.previous_revision = kv["previous_revision"];
  if (auto v = opt_int(kv, "changed_at"); v && *v >= 0) f.changed_at = v;
  f.account_uri = kv["account_uri"];
  f.account_uri_of = kv["account_uri_of"];
  if (auto v = opt_int(kv, "key_changed_at"); v && *v >= 0) f.key_changed_at = v;
  return f;
}

std::string encode_renewal_state(const RenewalState& st) {
  std::string out;
  auto put = [&](const char* k, const std::optional<std::int64_t>& v) {
    if (v) out += std::string(k) + "=" + std::to_string(*v) + "\n";
  };
  auto put_text = [&](const char* k, const std::string& v) {
    if (!v.empty()) out += std::string(k) + "=" + one_line(v) + "\n";
  };
  out += "failures=" + std::to_string(st.failures) + "\n";
  put("last_success", st.last_success);
  put("last_failure", st.last_failure);
  put("next_attempt", st.next_attempt);
  put_text("last_error", st.last_error);
  put_text("ari_cert_id", st.ari_cert_id);
  put("ari_start", st.ari_start);
  put("ari_end", st.ari_end);
  put("ari_chosen", st.ari_chosen);
  put("ari_retry_after", st.ari_retry_after);
  put("persist_until", st.persist_until);
  put_text("persist_until_spec", st.persist_until_spec);
  put_text("cert_identity", st.cert_identity);
  put("cert_not_before", st.cert_not_before);
  put("cert_not_after", st.cert_not_after);
  put_text("cert_ari_id", st.cert_ari_id);
  put_text("cert_serial", st.cert_serial);
  put_text("cert_dns_names", join_words(st.cert_dns_names));
  put_text("cert_ip_addresses", join_words(st.cert_ip_addresses));
  return out;
}

RenewalState decode_renewal_state(const std::string& text) {
  RenewalState st;
  auto kv = parse_kv(text);
  st.failures = static_cast<int>(std::clamp<std::int64_t>(opt_int(kv, "failures").value_or(0), 0, 1'000'000));
  st.last_success = opt_int(kv, "last_success");
  st.last_failure = opt_int(kv, "last_failure");
  st.next_attempt = opt_int(kv, "next_attempt");
  st.last_error = kv["last_error"];
  st.ari_cert_id = kv["ari_cert_id"];
  st.ari_start = opt_int(kv, "ari_start");
  st.ari_end = opt_int(kv, "ari_end");
  st.ari_chosen = opt_int(kv, "ari_chosen");
  st.ari_retry_after = opt_int(kv, "ari_retry_after");
  st.persist_until = opt_int(kv, "persist_until");
  st.persist_until_spec = kv["persist_until_spec"];
  st.cert_identity = kv["cert_identity"];
  st.cert_not_before = opt_int(kv, "cert_not_before");
  st.cert_not_after = opt_int(kv, "cert_not_after");
  st.cert_ari_id = kv["cert_ari_id"];
  st.cert_serial = kv["cert_serial"];
  st.cert_dns_names = split_words(kv["cert_dns_names"]);
  st.cert_ip_addresses = split_words(kv["cert_ip_addresses"]);
  return st;
}

std::string ca_id(const std::string& directory_url) {
  std::string s = directory_url;
  if (auto p = s.find("://"); p != std::string::npos) s = s.substr(p + 3);
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out.empty() ? "default" : out;
}

}  // namespace acmed::storage
