// SPDX-License-Identifier: Apache-2.0
#include "acmed/app/caa.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include "acmed/core/text.hpp"

namespace acmed::app::caa {
namespace {

bool alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool wsp(char c) { return c == ' ' || c == '\t'; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// label *("." label), label = (ALPHA / DIGIT) *( *("-") (ALPHA / DIGIT)) (RFC 8659 §4.2).
bool is_label_sequence(std::string_view s, bool dots) {
  if (s.empty()) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t end = dots ? s.find('.', start) : std::string_view::npos;
    std::string_view label = s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (label.empty() || !alnum(label.front()) || !alnum(label.back())) return false;
    for (char c : label)
      if (!alnum(c) && c != '-') return false;
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

constexpr std::size_t max_parameters = 32;

/// The known property tags: a critical property with any other tag forbids issuance.
bool known_tag(const std::string& tag) {
  static const std::set<std::string> known = {"issue",        "issuewild",    "iodef",   "issuemail",
                                              "issuevmc",     "contactemail", "contactphone"};
  return known.count(tag) > 0;
}

std::string normalize_name(std::string s) {
  s = lower(s);
  while (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

const std::string* parameter(const IssueValue& v, std::string_view tag) {
  for (const auto& [t, val] : v.parameters)
    if (t == tag) return &val;
  return nullptr;
}

std::vector<std::string> split_methods(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    auto comma = list.find(',', start);
    auto item = lower(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

Result<IssueValue> parse_issue_value(std::string_view value) {
  IssueValue out;
  std::size_t i = 0;
  auto skip = [&] {
    while (i < value.size() && wsp(value[i])) ++i;
  };
  skip();
  std::size_t start = i;
  while (i < value.size() && !wsp(value[i]) && value[i] != ';') ++i;
  std::string_view issuer = value.substr(start, i - start);
  if (!issuer.empty()) {
    std::string_view bare = issuer.back() == '.' ? issuer.substr(0, issuer.size() - 1) : issuer;
    if (!is_label_sequence(bare, true))
      return fail(Errc::invalid_argument, "'" + escape_untrusted(issuer) + "' is not an issuer domain name");
    out.issuer = lower(bare);
  }
  skip();
  if (i == value.size()) return out;
  if (value[i] != ';')
    return fail(Errc::invalid_argument, "unexpected '" + escape_untrusted(value.substr(i, 20)) + "' after the issuer");
  ++i;
  skip();
  while (i < value.size()) {
    if (out.parameters.size() == max_parameters)
      return fail(Errc::invalid_argument, "more than " + std::to_string(max_parameters) + " parameters");
    std::size_t tag_start = i;
    while (i < value.size() && value[i] != '=' && !wsp(value[i]) && value[i] != ';') ++i;
    std::string_view tag = value.substr(tag_start, i - tag_start);
    if (!is_label_sequence(tag, false))
      return fail(Errc::invalid_argument, "'" + escape_untrusted(tag) + "' is not a parameter tag");
    skip();
    if (i == value.size() || value[i] != '=')
      return fail(Errc::invalid_argument, "parameter '" + escape_untrusted(tag) + "' has no '='");
    ++i;
    skip();
    std::size_t val_start = i;
    while (i < value.size() && value[i] >= 0x21 && value[i] <= 0x7e && value[i] != ';') ++i;
    std::string_view val = value.substr(val_start, i - val_start);
    out.parameters.emplace_back(lower(tag), std::string(val));
    skip();
    if (i == value.size()) break;
    if (value[i] != ';')
      return fail(Errc::invalid_argument, "unexpected '" + escape_untrusted(value.substr(i, 20)) + "' in parameter '" +
                                              escape_untrusted(tag) + "'");
    ++i;
    skip();
  }
  return out;
}

std::string to_string(Outcome o) {
  switch (o) {
    case Outcome::allowed: return "allowed";
    case Outcome::forbidden: return "forbidden";
    case Outcome::unknown: return "unknown";
  }
  return "unknown";
}

std::string to_string(const dns::CaaRecord& r) {
  // Zone-file presentation (RFC 8659 §4.1.1): quotes and backslashes escaped, every other
  // byte outside printable ASCII as \DDD, so the line is safe to print as it is. Long
  // values are cut (real ones are short).
  constexpr std::size_t shown = 200;
  auto present = [](std::string_view in) {
    std::string out;
    for (std::size_t i = 0; i < in.size() && i < shown; ++i) {
      auto u = static_cast<unsigned char>(in[i]);
      if (in[i] == '"' || in[i] == '\\') {
        out += '\\';
        out += in[i];
      } else if (u < 0x20 || u > 0x7e) {
        char buf[5];
        std::snprintf(buf, sizeof buf, "\\%03u", u);
        out += buf;
      } else {
        out += in[i];
      }
    }
    if (in.size() > shown) out += "...(" + std::to_string(in.size()) + " bytes)";
    return out;
  };
  return std::to_string(r.flags) + " " + present(r.tag) + " \"" + present(r.value) + "\"";
}

Verdict evaluate(const std::vector<dns::CaaRecord>& records, const std::string& found_at, const Request& request) {
  Verdict v;
  v.found_at = found_at;
  v.records = records;
  const bool wildcard = request.name.rfind("*.", 0) == 0;
  const std::string at = found_at.empty() ? "" : " at " + found_at;
  if (records.empty()) {
    v.outcome = Outcome::allowed;
    v.allowed_methods = request.methods;
    v.reason = "no CAA record at " + request.name + " or any parent";
    return v;
  }
  for (const auto& r : records) {
    if (r.critical() && !known_tag(lower(r.tag))) {
      v.outcome = Outcome::forbidden;
      v.reason = "CAA" + at + " has a critical property acmed and CAs do not know: " + to_string(r);
      v.suggestion = "remove the critical flag (128) from that record, or the record";
      return v;
    }
  }
  bool has_issuewild = false;
  for (const auto& r : records) has_issuewild |= lower(r.tag) == "issuewild";
  const std::string tag = wildcard && has_issuewild ? "issuewild" : "issue";
  std::vector<const dns::CaaRecord*> props;
  for (const auto& r : records)
    if (lower(r.tag) == tag) props.push_back(&r);
  if (props.empty()) {
    v.outcome = Outcome::allowed;
    v.allowed_methods = request.methods;
    v.reason = "CAA" + at + " has no " + tag + " property, so it restricts no CA";
    return v;
  }
  std::vector<std::string> ids;
  for (const auto& id : request.ca_identities) ids.push_back(escape_untrusted(normalize_name(id), 100));
  if (ids.empty()) {
    // Without the CA's identities only one verdict is certain: properties that all name
    // no CA (";") forbid every CA.
    const bool names_no_ca = std::all_of(props.begin(), props.end(), [](const dns::CaaRecord* r) {
      auto parsed = parse_issue_value(r->value);
      return parsed && parsed->issuer.empty();
    });
    if (names_no_ca) {
      v.outcome = Outcome::forbidden;
      v.reason = "CAA" + at + " forbids issuing " + request.name + ": " + to_string(*props.front()) + " names no CA";
      v.suggestion = "a record that allows it: " + (found_at.empty() ? request.name : found_at) + ". CAA 0 " + tag +
                     " \"<the CA's issuer domain name>\"";
      return v;
    }
    v.outcome = Outcome::unknown;
    v.reason = "CAA" + at + " restricts issuers, and the CA's directory lists no caaIdentities to match";
    return v;
  }
  std::set<std::string> allowed;
  bool undecided = false;  // an accounturi property, and no account to compare it with
  std::string why;  // the closest miss, for the message
  int closeness = -1;
  for (const auto* r : props) {
    auto parsed = parse_issue_value(r->value);
    if (!parsed) {
      if (closeness < 0) why = to_string(*r) + " is malformed (" + parsed.error().message + ") and names no CA";
      continue;
    }
    if (parsed->issuer.empty() || std::find(ids.begin(), ids.end(), parsed->issuer) == ids.end()) {
      if (closeness < 0)
        why = to_string(*r) + (parsed->issuer.empty() ? " names no CA" : " names another CA") + " (this CA: " + join(ids) + ")";
      closeness = std::max(closeness, 0);
      continue;
    }
    if (const auto* acct = parameter(*parsed, "accounturi"); acct && *acct != request.account_uri) {
      // No account yet (a view before registration): this property may well be ours.
      if (request.account_uri.empty()) {
        undecided = true;
        continue;
      }
      if (closeness < 1)
        why = to_string(*r) + " names another account (this account: " + escape_untrusted(request.account_uri) + ")";
      closeness = std::max(closeness, 1);
      continue;
    }
    std::vector<std::string> methods = request.methods;
    if (const auto* vm = parameter(*parsed, "validationmethods")) {
      auto listed = split_methods(*vm);
      std::vector<std::string> kept;
      for (const auto& m : methods)
        if (std::find(listed.begin(), listed.end(), m) != listed.end()) kept.push_back(m);
      if (kept.empty()) {
        if (closeness < 2)
          why = to_string(*r) + " does not allow " + join(request.methods, " or ") + " (validationmethods=" +
                escape_untrusted(*vm) + ")";
        closeness = std::max(closeness, 2);
        continue;
      }
      methods = kept;
    }
    allowed.insert(methods.begin(), methods.end());
  }
  if (!allowed.empty()) {
    v.outcome = Outcome::allowed;
    for (const auto& m : request.methods)
      if (allowed.count(m)) v.allowed_methods.push_back(m);
    v.reason = "CAA" + at + " allows this CA" + (v.allowed_methods.size() < request.methods.size()
                                                     ? " with " + join(v.allowed_methods, " or ") + " only"
                                                     : "");
    return v;
  }
  if (undecided) {
    v.outcome = Outcome::unknown;
    v.reason = "CAA" + at + " allows this CA only for an account named by accounturi, and no account is registered yet";
    return v;
  }
  v.outcome = Outcome::forbidden;
  v.reason = "CAA" + at + " forbids issuing " + request.name + ": " + why;
  std::string value = normalize_name(request.ca_identities.front()) + "; accounturi=" + request.account_uri;
  if (!request.methods.empty()) value += "; validationmethods=" + join(request.methods, ",");
  v.suggestion = "a record that allows it: " + (found_at.empty() ? request.name : found_at) + ". CAA 0 " + tag + " \"" +
                 escape_untrusted(value) + "\"";
  return v;
}

Verdict check(dns::Resolver& resolver, const Request& request) {
  std::string name = normalize_name(request.name.rfind("*.", 0) == 0 ? request.name.substr(2) : request.name);
  // Up to 127 labels in a DNS name: the climb ends at the TLD.
  for (int depth = 0; depth < 128 && !name.empty(); ++depth) {
    auto r = resolver.lookup_caa(name);
    if (!r) {
      Verdict v;
      v.outcome = Outcome::unknown;
      v.reason = "CAA lookup at " + name + " failed: " + r.error().message;
      return v;
    }
    if (r->dnssec == dns::DnssecStatus::bogus) {
      Verdict v;
      v.outcome = Outcome::unknown;
      // Not a verdict: acmed orders anyway (a CA whose resolver validates may then fail
      // the CAA check), so the reason says what is wrong here, not what the CA will do.
      v.reason = "the CAA answer at " + name + " fails DNSSEC validation here, so acmed cannot read it (" +
                 dns::bogus_hint() + ")";
      return v;
    }
    if (r->truncated) {
      Verdict v;
      v.outcome = Outcome::unknown;
      v.reason = "the CAA RRset at " + name + " has more than " + std::to_string(r->records.size()) +
                 " records; acmed reads no further (the CA decides)";
      return v;
    }
    if (!r->records.empty()) {
      Verdict v = evaluate(r->records, name, request);
      if (!r->cnames.empty()) v.reason += " (" + name + " is an alias of " + escape_untrusted(r->final_name) + ")";
      return v;
    }
    auto dot = name.find('.');
    if (dot == std::string::npos) break;
    name = name.substr(dot + 1);
  }
  return evaluate({}, "", request);
}

}  // namespace acmed::app::caa
