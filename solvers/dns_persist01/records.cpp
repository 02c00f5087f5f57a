// SPDX-License-Identifier: Apache-2.0
#include "acmed/persist/records.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <set>

#include "acmed/core/base64.hpp"
#include "acmed/core/crypto.hpp"

namespace acmed::persist {
namespace {

std::string trim(std::string_view s) {
  // RFC 8659 §4.2 allows SP and HTAB around ';' and '='.
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

/// Boulder and Pebble accept only these octets in parameter values: no space, no ';'.
bool value_chars_ok(std::string_view v) {
  return std::all_of(v.begin(), v.end(), [](unsigned char c) {
    return (c >= 0x21 && c <= 0x3A) || (c >= 0x3C && c <= 0x7E);
  });
}

std::string human_time(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

int rank(Status s) {
  switch (s) {
    case Status::ok: return 0;
    case Status::expiring: return 1;
    case Status::policy_missing: return 2;
    case Status::expired: return 3;
    case Status::stale_format: return 4;
    case Status::wrong_account: return 5;
    case Status::malformed: return 6;
    case Status::other_issuers_only: return 7;
    case Status::missing: return 8;
    case Status::disagree: return 9;
    case Status::dnssec_bogus: return 10;
    case Status::lookup_failed: return 11;
  }
  return 12;
}

/// The issuer part of a value, leniently (for sorting records by issuer before strict parsing).
std::string issuer_of(std::string_view v) { return trim(v.substr(0, v.find(';'))); }

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

/// Looks like a -02 hashed URI: ".../sha-256/<43 base64url characters>".
bool looks_hashed(std::string_view uri) {
  constexpr std::string_view marker = "sha-256/";
  auto p = uri.rfind(marker);
  if (p == std::string_view::npos) return false;
  auto h = uri.substr(p + marker.size());
  return h.size() == 43 && std::all_of(h.begin(), h.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '-' || c == '_';
         });
}

}  // namespace

std::string record_name(const Identifier& id) { return std::string(label) + "." + id.authorization_name(); }

Result<void> validate_issuer_names(const std::vector<std::string>& names) {
  if (names.empty()) return fail(Errc::bad_response, "the challenge lists no issuer-domain-names");
  if (names.size() > 10)
    return fail(Errc::bad_response, "the challenge lists " + std::to_string(names.size()) +
                                        " issuer-domain-names; the draft allows at most 10");
  for (const auto& n : names) {
    if (n.empty() || n.size() > 253) return fail(Errc::bad_response, "issuer domain name '" + n + "' is empty or longer than 253 octets");
    if (n.back() == '.') return fail(Errc::bad_response, "issuer domain name '" + n + "' has a trailing dot");
    if (!std::all_of(n.begin(), n.end(), [](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '-' || c == '.'; }))
      return fail(Errc::bad_response, "issuer domain name '" + n + "' is not a lowercase A-label");
    if (n.front() == '.' || n.find("..") != std::string::npos)
      return fail(Errc::bad_response, "issuer domain name '" + n + "' has an empty label");
  }
  return {};
}

std::string to_string(Revision r) { return r == Revision::draft02 ? "-02" : "-01"; }
std::string revision_id(Revision r) { return r == Revision::draft02 ? "02" : "01"; }
std::optional<Revision> parse_revision(std::string_view id) {
  if (id == "02" || id == "-02") return Revision::draft02;
  if (id == "01" || id == "-01" || id == "00") return Revision::draft01;
  return std::nullopt;
}

Result<void> check_challenge_issuers(const std::vector<std::string>& c, const std::vector<std::string>& d,
                                     const std::vector<std::string>& i) {
  if (auto r = validate_issuer_names(c); !r) return r;
  auto missing = [](const std::vector<std::string>& from, const std::vector<std::string>& in) {
    std::vector<std::string> out;
    for (const auto& n : from)
      if (std::find(in.begin(), in.end(), n) == in.end()) out.push_back(n);
    return out;
  };
  // A missing or invalid D only means the CA supports no pre-provisioning (-02 §3).
  if (!d.empty() && validate_issuer_names(d)) {
    if (auto m = missing(d, c); !m.empty())
      return fail(Errc::bad_response, "the challenge's issuerDomainNames (" + join(c) + ") lack " + join(m) +
                                          ", which the directory's meta.issuerDomainNames lists; draft -02 makes "
                                          "such a challenge malformed");
  }
  if (!i.empty()) {
    if (auto m = missing(c, i); !m.empty())
      return fail(Errc::bad_response, "the challenge names issuer " + join(m) + ", which is not among the CA's "
                                          "caaIdentities (" + join(i) + "); draft -02 makes such a challenge malformed");
  }
  return {};
}

Result<std::string> account_hash(std::string_view d, std::string_view thumbprint, std::string_view account_url) {
  if (d.empty() || d.size() > 253) return fail(Errc::invalid_argument, "the hashed domain must be 1 to 253 octets");
  if (d != "*" && !std::all_of(d.begin(), d.end(), [](unsigned char c) {
        return std::islower(c) || std::isdigit(c) || c == '-' || c == '.' || c == '_';
      }))
    return fail(Errc::invalid_argument, "the hashed domain '" + std::string(d) + "' is not a lowercase A-label");
  if (d.back() == '.') return fail(Errc::invalid_argument, "the hashed domain must not end in a dot");
  if (thumbprint.size() != 43) return fail(Errc::invalid_argument, "the account key thumbprint must be 43 characters");
  if (account_url.empty()) return fail(Errc::invalid_argument, "the hash needs the account URL");
  std::string input;
  input.reserve(1 + d.size() + thumbprint.size() + account_url.size());
  input += static_cast<char>(static_cast<unsigned char>(d.size()));
  input += d;
  input += thumbprint;
  input += account_url;
  return base64url_encode(sha256(input));
}

Result<std::string> account_uri_for(const AccountBinding& b, std::string_view d) {
  if (b.account_url.empty()) return fail(Errc::invalid_argument, "the record needs the account URL");
  if (b.revision == Revision::draft01) return b.account_url;
  if (b.hash_prefix.empty()) return fail(Errc::invalid_argument, "a draft -02 record needs the CA's accountHashPrefix");
  auto h = account_hash(b.bind == Bind::any ? std::string_view("*") : d, b.thumbprint, b.account_url);
  if (!h) return fail(h.error());
  return b.hash_prefix + "sha-256/" + *h;
}

std::string validation_domain(std::string_view record_name) {
  std::string prefix = std::string(label) + ".";
  if (record_name.substr(0, prefix.size()) == prefix) record_name.remove_prefix(prefix.size());
  if (!record_name.empty() && record_name.back() == '.') record_name.remove_suffix(1);
  return lower(std::string(record_name));
}

Result<std::string> build_value(const RecordParams& p) {
  if (auto r = validate_issuer_names({p.issuer}); !r) return fail(Errc::invalid_argument, r.error().message);
  if (p.account_uri.empty()) return fail(Errc::invalid_argument, "the record needs the account URI");
  if (!value_chars_ok(p.account_uri))
    return fail(Errc::invalid_argument, "account URI '" + p.account_uri + "' holds a space or ';', which CAs reject");
  if (p.persist_until && *p.persist_until < 0) return fail(Errc::invalid_argument, "persistUntil must not be negative");
  // Exactly the canonical form Let's Encrypt documents: "; " separators, no trailing ';'.
  std::string v = p.issuer + "; accounturi=" + p.account_uri;
  if (p.policy_wildcard) v += "; policy=wildcard";
  if (p.persist_until) v += "; persistUntil=" + std::to_string(*p.persist_until);
  return v;
}

std::vector<std::string> split_txt(std::string_view value) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value.size(); i += 255) out.emplace_back(value.substr(i, 255));
  if (out.empty()) out.emplace_back();
  return out;
}

std::string zone_file_line(const std::string& name, std::string_view value, std::uint32_t ttl) {
  std::string line = name + ". " + std::to_string(ttl) + " IN TXT";
  for (const auto& part : split_txt(value)) {
    line += " \"";
    for (char c : part) {
      if (c == '"' || c == '\\') line += '\\';
      line += c;
    }
    line += "\"";
  }
  return line;
}

Result<ParsedValue> parse_value(std::string_view value) {
  ParsedValue out;
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto semi = value.find(';', start);
    parts.push_back(std::string(value.substr(start, semi == std::string_view::npos ? std::string_view::npos : semi - start)));
    if (semi == std::string_view::npos) break;
    start = semi + 1;
  }
  out.issuer = trim(parts[0]);
  if (out.issuer.empty()) return fail(Errc::bad_response, "the record has no issuer domain name before the first ';'");
  std::set<std::string> seen;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    std::string p = trim(parts[i]);
    if (p.empty()) return fail(Errc::bad_response, "empty parameter or trailing semicolon");
    auto eq = p.find('=');
    if (eq == std::string::npos) return fail(Errc::bad_response, "parameter '" + p + "' has no '='");
    std::string tag = lower(trim(std::string_view(p).substr(0, eq)));
    std::string val = trim(std::string_view(p).substr(eq + 1));
    if (tag.empty()) return fail(Errc::bad_response, "parameter '" + p + "' has an empty tag");
    if (!seen.insert(tag).second) return fail(Errc::bad_response, "duplicate parameter '" + tag + "'");
    if (val.empty()) return fail(Errc::bad_response, "parameter '" + tag + "' has an empty value");
    if (!value_chars_ok(val))
      return fail(Errc::bad_response, "value of '" + tag + "' holds characters CAs reject (spaces or control characters)");
    if (tag == "accounturi") {
      out.account_uri = val;
    } else if (tag == "policy") {
      out.policy_wildcard = lower(val) == "wildcard";  // any other policy value counts as absent
    } else if (tag == "persistuntil") {
      if (!std::all_of(val.begin(), val.end(), [](unsigned char c) { return std::isdigit(c); }) || val.size() > 18)
        return fail(Errc::bad_response, "persistUntil '" + val + "' is not a Unix time in seconds");
      out.persist_until = std::stoll(val);
    } else {
      out.unknown_tags.push_back(tag);
    }
  }
  return out;
}

Result<std::vector<RequiredRecord>> required_records(const std::vector<Identifier>& ids, const std::string& issuer,
                                                     const AccountBinding& binding, PolicyMode mode,
                                                     std::optional<std::int64_t> persist_until) {
  std::vector<RequiredRecord> out;
  for (const auto& id : ids) {
    if (id.type != Identifier::Type::dns)
      return fail(Errc::config, id.value + ": dns-persist-01 covers DNS names only (IP addresses use http-01 or tls-alpn-01)");
    std::string name = record_name(id);
    auto it = std::find_if(out.begin(), out.end(), [&](const RequiredRecord& r) { return r.name == name; });
    if (it == out.end()) {
      RequiredRecord r;
      r.name = name;
      auto uri = account_uri_for(binding, validation_domain(name));
      if (!uri) return fail(uri.error());
      r.params = {issuer, *uri, false, persist_until};
      out.push_back(std::move(r));
      it = std::prev(out.end());
    }
    it->covers.push_back(id.value);
  }
  for (auto& r : out) {
    bool has_wildcard = std::any_of(r.covers.begin(), r.covers.end(), [](const std::string& n) { return n.rfind("*.", 0) == 0; });
    const std::string base = r.name.substr(label.size() + 1);
    switch (mode) {
      case PolicyMode::wildcard:
        r.params.policy_wildcard = true;
        r.policy_reason = has_wildcard ? "policy=wildcard: the certificate includes *." + base
                                       : "policy=wildcard because the configuration asks for it: it also authorizes "
                                         "*." + base + " and every name under " + base;
        break;
      case PolicyMode::none:
        if (has_wildcard)
          return fail(Errc::config, "*." + base + " is in the certificate, but 'policy: none' forbids policy=wildcard; "
                                    "a CA cannot validate the wildcard without it");
        r.policy_reason = "no policy=wildcard: the configuration says 'policy: none'";
        break;
      case PolicyMode::automatic:
        r.params.policy_wildcard = has_wildcard;
        r.policy_reason = has_wildcard
                              ? "policy=wildcard: the certificate includes *." + base + ", and CAs validate a wildcard "
                                "only from the base name's record with this policy"
                              : "no policy=wildcard: the certificate has no *." + base + "; leaving it out keeps the "
                                "record from authorizing wildcards and subdomains";
        break;
    }
    auto v = build_value(r.params);
    if (!v) return fail(v.error());
    r.value = *v;
  }
  return out;
}

std::string to_string(Status s) {
  switch (s) {
    case Status::ok: return "ok";
    case Status::expiring: return "expiring";
    case Status::missing: return "missing";
    case Status::other_issuers_only: return "other-issuers-only";
    case Status::wrong_account: return "wrong-account";
    case Status::stale_format: return "stale-format";
    case Status::policy_missing: return "policy-missing";
    case Status::expired: return "expired";
    case Status::malformed: return "malformed";
    case Status::lookup_failed: return "lookup-failed";
    case Status::disagree: return "nameservers-disagree";
    case Status::dnssec_bogus: return "dnssec-bogus";
  }
  return "unknown";
}

namespace {

/// Does a record's accounturi name this account, in the form this CA's revision wants?
/// ok carries a detail suffix (which hash matched); failures carry the whole reason.
Evaluation match_account(const std::string& uri, const Expectation& e) {
  const AccountBinding& b = e.account;
  if (b.revision == Revision::draft01) {
    // RFC 3986 §6.2.1 simple string comparison: no case folding, no normalisation.
    if (uri == b.account_url) return {Status::ok, "", std::nullopt};
    if (looks_hashed(uri))
      return {Status::stale_format,
              "accounturi is a draft -02 hashed value (" + uri + "), but this CA speaks draft -01 and compares the plain "
              "account URL " + b.account_url,
              std::nullopt};
    return {Status::wrong_account,
            "accounturi is " + uri + " but this account is " + b.account_url +
                " (stale record after an account change, or another account's record)",
            std::nullopt};
  }
  if (uri == b.account_url)
    return {Status::stale_format,
            "accounturi is the plain account URL, but this CA speaks draft -02 and accepts only the hashed value "
            "(" + b.hash_prefix + "sha-256/...)",
            std::nullopt};
  auto try_keys = [&](const std::vector<std::string>& thumbprints) -> std::optional<std::string> {
    for (const auto& tp : thumbprints)
      for (std::string_view d : {std::string_view(e.domain), std::string_view("*")}) {
        auto h = account_hash(d, tp, b.account_url);
        if (h && uri == b.hash_prefix + "sha-256/" + *h) return std::string(d == "*" ? " (hash of *)" : " (hash of " + e.domain + ")");
      }
    return std::nullopt;
  };
  if (auto m = try_keys({b.thumbprint})) return {Status::ok, *m, std::nullopt};
  if (auto m = try_keys(b.earlier_thumbprints))
    return {Status::ok, *m + ", made with an earlier account key: republish", std::nullopt, true};
  if (uri.rfind(b.hash_prefix, 0) != 0 && !looks_hashed(uri))
    return {Status::wrong_account,
            "accounturi is " + uri + ", which is neither this account's hashed value nor under the CA's "
            "accountHashPrefix " + b.hash_prefix,
            std::nullopt};
  return {Status::wrong_account,
          "accounturi " + uri + " is a hash, but not of this account (" + b.account_url + ") with its current or an "
          "earlier key, for " + e.domain + " or *",
          std::nullopt};
}

}  // namespace

Evaluation evaluate(const std::vector<std::string>& values, const Expectation& e) {
  if (values.empty()) return {Status::missing, "no TXT record", std::nullopt};
  std::vector<std::string> others;
  std::optional<Evaluation> best;
  auto consider = [&](Evaluation ev) {
    // A hash made with the current key beats one made with an earlier key.
    if (!best || rank(ev.status) < rank(best->status) ||
        (rank(ev.status) == rank(best->status) && best->earlier_key && !ev.earlier_key))
      best = std::move(ev);
  };
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(e.now.time_since_epoch()).count();
  for (const auto& v : values) {
    std::string issuer = issuer_of(v);
    if (std::find(e.issuers.begin(), e.issuers.end(), issuer) == e.issuers.end()) {
      others.push_back(issuer.empty() ? "(none)" : issuer);
      continue;
    }
    auto parsed = parse_value(v);
    if (!parsed) {
      consider({Status::malformed, issuer + " record is malformed: " + parsed.error().message, std::nullopt});
      continue;
    }
    if (!parsed->account_uri) {
      consider({Status::malformed, issuer + " record is missing the mandatory accounturi parameter", std::nullopt});
      continue;
    }
    auto account = match_account(*parsed->account_uri, e);
    if (account.status != Status::ok) {
      account.persist_until = parsed->persist_until;
      consider(std::move(account));
      continue;
    }
    if (e.wildcard && !parsed->policy_wildcard) {
      consider({Status::policy_missing, "the record lacks policy=wildcard, which a wildcard certificate needs",
                parsed->persist_until});
      continue;
    }
    if (parsed->persist_until && *parsed->persist_until < now) {
      consider({Status::expired, "persistUntil=" + std::to_string(*parsed->persist_until) + " (" +
                                     human_time(*parsed->persist_until) + ") is in the past; CAs no longer use this record",
                parsed->persist_until});
      continue;
    }
    std::string detail = issuer + " record for this account" +
                         (parsed->policy_wildcard ? " with policy=wildcard" : "") + account.detail;
    if (!parsed->unknown_tags.empty()) {
      std::string tags;
      for (const auto& t : parsed->unknown_tags) tags += (tags.empty() ? "" : ", ") + t;
      detail += " (unknown parameters ignored by CAs: " + tags + ")";
    }
    if (parsed->persist_until && *parsed->persist_until < now + e.warn_before.count()) {
      consider({Status::expiring, detail + "; persistUntil=" + std::to_string(*parsed->persist_until) + " (" +
                                      human_time(*parsed->persist_until) + ") is within " +
                                      std::to_string(e.warn_before.count() / 86400) + " days",
                parsed->persist_until, account.earlier_key});
      continue;
    }
    if (parsed->persist_until)
      detail += "; persistUntil " + human_time(*parsed->persist_until);
    consider({Status::ok, detail, parsed->persist_until, account.earlier_key});
  }
  if (best) return *best;
  std::string list;
  for (const auto& o : others) list += (list.empty() ? "" : ", ") + o;
  std::string want;
  for (const auto& i : e.issuers) want += (want.empty() ? "" : " or ") + i;
  return {Status::other_issuers_only, "records only for other issuers (" + list + "), none for " + want, std::nullopt};
}

RecordCheck check_record(dns::Resolver& resolver, const std::string& name, const Expectation& e) {
  RecordCheck rc;
  rc.name = name;
  rc.final_name = name;
  auto chain = resolver.cname_chain(name);
  if (chain && !chain->empty()) {
    rc.cnames = *chain;
    rc.final_name = chain->back();
  }
  auto zone = resolver.find_zone(rc.final_name);
  if (!zone) {
    rc.servers.push_back({"authoritative servers", {}, {Status::lookup_failed, zone.error().message, std::nullopt}});
  } else {
    for (const auto& ns : zone->nameservers) {
      std::string who = ns.name + " (" + ns.to_string() + ")";
      auto r = resolver.query_txt(ns, rc.final_name);
      if (!r) {
        rc.servers.push_back({who, {}, {Status::lookup_failed, r.error().message, std::nullopt}});
        continue;
      }
      rc.servers.push_back({who, r->values, evaluate(r->values, e)});
    }
  }
  auto rec = resolver.lookup_txt(name);
  if (!rec) {
    rc.servers.push_back({"recursive resolver", {}, {Status::lookup_failed, rec.error().message, std::nullopt}});
  } else {
    rc.dnssec = rec->dnssec;
    Evaluation ev = evaluate(rec->values, e);
    if (rec->dnssec == dns::DnssecStatus::bogus)
      ev = {Status::dnssec_bogus,
            "the validating resolver marks the answer bogus (" + dns::bogus_hint() + ")",
            std::nullopt};
    rc.servers.push_back({"recursive resolver", rec->values, ev});
  }

  // Overall: every server must pass; differing answers are reported as such.
  std::set<std::vector<std::string>> answers;
  const ServerResult* worst = nullptr;
  for (const auto& s : rc.servers) {
    if (s.evaluation.status != Status::lookup_failed) {
      auto v = s.values;
      std::sort(v.begin(), v.end());
      answers.insert(v);
    }
    if (!worst || rank(s.evaluation.status) > rank(worst->evaluation.status)) worst = &s;
  }
  std::size_t passing = std::count_if(rc.servers.begin(), rc.servers.end(),
                                      [](const ServerResult& s) { return passes(s.evaluation.status); });
  if (answers.size() > 1 && passing > 0 && passing < rc.servers.size()) {
    rc.status = Status::disagree;
    rc.summary = "servers disagree: " + std::to_string(passing) + " of " + std::to_string(rc.servers.size()) +
                 " pass; " + worst->server + ": " + to_string(worst->evaluation.status) + ": " + worst->evaluation.detail;
    return rc;
  }
  rc.status = worst ? worst->evaluation.status : Status::lookup_failed;
  if (rc.status == Status::ok) {
    // All passed; show the first server's detail (they agree).
    rc.summary = rc.servers.front().evaluation.detail + ", served by all " + std::to_string(rc.servers.size()) +
                 " servers checked";
  } else {
    rc.summary = worst->server + ": " + worst->evaluation.detail;
  }
  return rc;
}

}  // namespace acmed::persist
