// SPDX-License-Identifier: Apache-2.0
#include "acmed/acme/wire.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <regex>

#include "acmed/core/text.hpp"
#include "acmed/core/time.hpp"

namespace acmed::acme {
namespace {

using json = nlohmann::json;

// Bounds on what a CA document may hold. Real ones are a few levels deep and name at
// most a few hundred identifiers (Let's Encrypt allows 100 per order); anything far
// beyond is refused before it can cost stack, memory or a screenful of output.
constexpr int max_json_depth = 64;  // nested objects and arrays, the document itself included
constexpr std::size_t max_entries = 1000;  // identifiers, authorizations, strings in one list
constexpr std::size_t max_challenges = 100;
constexpr std::size_t max_subproblems = 100;
constexpr std::size_t max_url_bytes = 8192;

Result<json> parse_object(std::string_view body, std::string_view what) {
  // nlohmann's parser is iterative, but every walker over the result (ours, the
  // destructor) is not; values deeper than the limit are dropped unbuilt and the
  // document refused.
  bool too_deep = false;
  json::parser_callback_t limit_depth = [&too_deep](int depth, json::parse_event_t event, json&) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= max_json_depth) {
      too_deep = true;
      return false;
    }
    return true;
  };
  json j = json::parse(body.begin(), body.end(), limit_depth, /*allow_exceptions=*/false);
  if (too_deep)
    return fail(Errc::bad_response,
                std::string(what) + ": response is nested deeper than " + std::to_string(max_json_depth) + " levels");
  if (j.is_discarded()) return fail(Errc::bad_response, std::string(what) + ": response is not valid JSON");
  if (!j.is_object()) return fail(Errc::bad_response, std::string(what) + ": response is not a JSON object");
  return j;
}

Error too_many(std::string_view what, const char* key, std::size_t count, std::size_t limit) {
  return Error(Errc::bad_response, std::string(what) + ": field '" + key + "' holds " + std::to_string(count) +
                                       " entries (at most " + std::to_string(limit) + " accepted)");
}

// Text the CA wrote for people (problem detail, statuses) reaches terminals and logs:
// escaped and cut here, once; -vv still shows all of it.
std::string ca_text(const std::string& text, std::string_view field) {
  std::string full = escape_untrusted(text, no_text_limit);
  if (full.size() <= untrusted_text_limit) return full;
  spdlog::trace("CA {} in full ({} bytes): {}", field, text.size(), full);
  return escape_untrusted(text);
}

// RFC 3986 allows no controls, spaces or raw non-ASCII bytes in a URL; refusing them
// keeps every URL that later appears in a message or log line printable.
bool plausible_url(std::string_view url) {
  return url.size() <= max_url_bytes &&
         std::all_of(url.begin(), url.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

Error not_a_url(std::string_view what, const char* key) {
  return Error(Errc::bad_response, std::string(what) + ": field '" + key + "' is not a URL");
}

Result<std::string> req_string(const json& j, const char* key, std::string_view what) {
  auto it = j.find(key);
  if (it == j.end()) return fail(Errc::bad_response, std::string(what) + ": required field '" + key + "' is missing");
  if (!it->is_string()) return fail(Errc::bad_response, std::string(what) + ": field '" + key + "' is not a string");
  return it->get<std::string>();
}

Result<std::optional<std::string>> opt_string(const json& j, const char* key, std::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) return fail(Errc::bad_response, std::string(what) + ": field '" + key + "' is not a string");
  return std::optional<std::string>(it->get<std::string>());
}

/// A required string shown to people (a status, a challenge type): escaped.
Result<std::string> req_text(const json& j, const char* key, std::string_view what) {
  auto s = req_string(j, key, what);
  if (!s) return s;
  return ca_text(*s, key);
}

Result<std::optional<std::string>> opt_text(const json& j, const char* key, std::string_view what) {
  auto s = opt_string(j, key, what);
  if (!s || !*s) return s;
  return std::optional<std::string>(ca_text(**s, key));
}

Result<std::string> req_url(const json& j, const char* key, std::string_view what) {
  auto s = req_string(j, key, what);
  if (s && !plausible_url(*s)) return fail(not_a_url(what, key));
  return s;
}

Result<std::optional<std::string>> opt_url(const json& j, const char* key, std::string_view what) {
  auto s = opt_string(j, key, what);
  if (s && *s && !plausible_url(**s)) return fail(not_a_url(what, key));
  return s;
}

enum class Entries { text, urls };

Result<std::vector<std::string>> string_array(const json& j, const char* key, std::string_view what, bool required,
                                              Entries entries = Entries::text) {
  auto it = j.find(key);
  std::vector<std::string> out;
  if (it == j.end() || it->is_null()) {
    if (required) return fail(Errc::bad_response, std::string(what) + ": required field '" + key + "' is missing");
    return out;
  }
  if (!it->is_array()) return fail(Errc::bad_response, std::string(what) + ": field '" + key + "' is not an array");
  if (it->size() > max_entries) return fail(too_many(what, key, it->size(), max_entries));
  for (const auto& v : *it) {
    if (!v.is_string())
      return fail(Errc::bad_response, std::string(what) + ": field '" + key + "' holds a non-string element");
    if (entries == Entries::urls && !plausible_url(v.get_ref<const std::string&>()))
      return fail(Errc::bad_response, std::string(what) + ": field '" + key + "' holds an entry that is not a URL");
    out.push_back(entries == Entries::urls ? v.get<std::string>() : ca_text(v.get<std::string>(), key));
  }
  return out;
}

// RFC 8555 §6.7.1 gives a problem subproblems, not a subproblem: deeper ones are cut,
// and so is a list longer than any order could explain, each with a note in the detail.
Result<Problem> problem_from(const json& j, bool is_subproblem = false) {
  Problem p;
  auto type = opt_string(j, "type", "problem document");
  if (!type) return fail(type.error());
  p.type = ca_text(type->value_or("about:blank"), "problem type");
  if (auto d = opt_string(j, "detail", "problem document"); d && *d) p.detail = ca_text(**d, "problem detail");
  if (auto s = j.find("status"); s != j.end() && s->is_number_integer()) p.status = s->get<int>();
  if (auto id = j.find("identifier"); id != j.end() && id->is_object()) {
    auto t = id->value("type", std::string());
    auto v = id->value("value", std::string());
    if (!v.empty()) p.identifier = ca_text(t + ":" + v, "subproblem identifier");
  }
  auto subs = j.find("subproblems");
  if (subs == j.end() || !subs->is_array() || subs->empty()) return p;
  if (is_subproblem) {
    p.detail += " [" + std::to_string(subs->size()) + " nested subproblems dropped: RFC 8555 allows one level]";
    return p;
  }
  for (const auto& s : *subs) {
    if (p.subproblems.size() == max_subproblems) {
      p.detail += " [" + std::to_string(subs->size() - max_subproblems) + " more subproblems omitted]";
      break;
    }
    if (!s.is_object()) continue;
    if (auto sp = problem_from(s, /*is_subproblem=*/true)) p.subproblems.push_back(std::move(*sp));
  }
  return p;
}

Result<Identifier> identifier_from(const json& j, std::string_view what) {
  if (!j.is_object()) return fail(Errc::bad_response, std::string(what) + ": identifier is not an object");
  auto type = req_string(j, "type", what);
  if (!type) return fail(type.error());
  auto value = req_string(j, "value", what);
  if (!value) return fail(value.error());
  if (*type != "dns" && *type != "ip")
    return fail(Errc::bad_response, std::string(what) + ": unsupported identifier type '" + escape_untrusted(*type) + "'");
  auto id = Identifier::parse(*value);
  if (!id) return fail(Errc::bad_response, std::string(what) + ": " + id.error().message);
  return id;
}

Result<Challenge> challenge_from(const json& j) {
  constexpr std::string_view what = "challenge";
  if (!j.is_object()) return fail(Errc::bad_response, "challenge is not a JSON object");
  Challenge c;
  auto type = req_text(j, "type", what);
  if (!type) return fail(type.error());
  c.type = *type;
  auto url = req_url(j, "url", what);
  if (!url) return fail(url.error());
  c.url = *url;
  auto status = req_text(j, "status", what);
  if (!status) return fail(status.error());
  c.status = *status;
  // Token-less challenges exist (dns-persist-01); the solver decides whether it needs one.
  auto token = opt_string(j, "token", what);
  if (!token) return fail(token.error());
  c.token = token->value_or("");
  auto acct = opt_url(j, "accounturi", what);
  if (!acct) return fail(acct.error());
  c.account_uri = *acct;
  // draft-ietf-acme-dns-persist-01 spells it issuer-domain-names; the -02 candidate issuerDomainNames.
  const char* issuers_key = j.contains("issuer-domain-names") ? "issuer-domain-names" : "issuerDomainNames";
  auto issuers = string_array(j, issuers_key, what, false);
  if (!issuers) return fail(issuers.error());
  c.issuer_domain_names = std::move(*issuers);
  if (auto e = j.find("error"); e != j.end() && e->is_object())
    if (auto p = problem_from(*e)) c.error = std::move(*p);
  return c;
}

}  // namespace

Result<Directory> parse_directory(std::string_view body) {
  constexpr std::string_view what = "directory";
  auto j = parse_object(body, what);
  if (!j) return fail(j.error());
  Directory d;
  for (auto [field, key] : {std::pair{&d.new_nonce, "newNonce"}, {&d.new_account, "newAccount"},
                            {&d.new_order, "newOrder"}, {&d.revoke_cert, "revokeCert"}, {&d.key_change, "keyChange"}}) {
    auto v = req_url(*j, key, what);
    if (!v) return fail(v.error());
    *field = *v;
  }
  auto na = opt_url(*j, "newAuthz", what);
  if (!na) return fail(na.error());
  d.new_authz = *na;
  auto ri = opt_url(*j, "renewalInfo", what);
  if (!ri) return fail(ri.error());
  d.renewal_info = *ri;
  if (auto m = j->find("meta"); m != j->end()) {
    if (!m->is_object()) return fail(Errc::bad_response, "directory: 'meta' is not an object");
    auto tos = opt_text(*m, "termsOfService", "directory meta");
    if (!tos) return fail(tos.error());
    d.meta.terms_of_service = *tos;
    auto web = opt_text(*m, "website", "directory meta");
    if (!web) return fail(web.error());
    d.meta.website = *web;
    auto caa = string_array(*m, "caaIdentities", "directory meta", false);
    if (!caa) return fail(caa.error());
    d.meta.caa_identities = std::move(*caa);
    if (auto e = m->find("externalAccountRequired"); e != m->end()) {
      if (!e->is_boolean()) return fail(Errc::bad_response, "directory meta: 'externalAccountRequired' is not a boolean");
      d.meta.external_account_required = e->get<bool>();
    }
    auto idn = string_array(*m, "issuerDomainNames", "directory meta", false);
    if (!idn) return fail(idn.error());
    d.meta.issuer_domain_names = std::move(*idn);
    auto ahp = opt_string(*m, "accountHashPrefix", "directory meta");
    if (!ahp) return fail(ahp.error());
    d.meta.account_hash_prefix = *ahp;
    if (auto p = m->find("profiles"); p != m->end() && p->is_object())
      for (const auto& [name, desc] : p->items())
        d.meta.profiles[ca_text(name, "profile name")] = desc.is_string() ? ca_text(desc.get<std::string>(), "profile") : "";
  }
  return d;
}

Result<Account> parse_account(std::string_view body, std::string url) {
  constexpr std::string_view what = "account";
  auto j = parse_object(body, what);
  if (!j) return fail(j.error());
  if (!plausible_url(url)) return fail(Errc::bad_response, "account: its URL (Location header) is not a URL");
  Account a;
  a.url = std::move(url);
  auto status = req_text(*j, "status", what);
  if (!status) return fail(status.error());
  a.status = *status;
  auto contact = string_array(*j, "contact", what, false);
  if (!contact) return fail(contact.error());
  a.contact = std::move(*contact);
  auto orders = opt_url(*j, "orders", what);
  if (!orders) return fail(orders.error());
  a.orders = *orders;
  return a;
}

Result<Order> parse_order(std::string_view body, std::string url) {
  constexpr std::string_view what = "order";
  auto j = parse_object(body, what);
  if (!j) return fail(j.error());
  if (!plausible_url(url)) return fail(Errc::bad_response, "order: its URL (Location header) is not a URL");
  Order o;
  o.url = std::move(url);
  auto status = req_text(*j, "status", what);
  if (!status) return fail(status.error());
  o.status = *status;
  auto ids = j->find("identifiers");
  if (ids == j->end() || !ids->is_array() || ids->empty())
    return fail(Errc::bad_response, "order: 'identifiers' is missing or not a non-empty array");
  if (ids->size() > max_entries) return fail(too_many(what, "identifiers", ids->size(), max_entries));
  for (const auto& i : *ids) {
    auto id = identifier_from(i, what);
    if (!id) return fail(id.error());
    o.identifiers.push_back(*id);
  }
  auto authz = string_array(*j, "authorizations", what, true, Entries::urls);
  if (!authz) return fail(authz.error());
  o.authorizations = std::move(*authz);
  auto fin = req_url(*j, "finalize", what);
  if (!fin) return fail(fin.error());
  o.finalize = *fin;
  auto cert = opt_url(*j, "certificate", what);
  if (!cert) return fail(cert.error());
  o.certificate = *cert;
  for (auto [field, key] : {std::pair{&o.profile, "profile"}, {&o.expires, "expires"}}) {
    auto v = opt_text(*j, key, what);
    if (!v) return fail(v.error());
    *field = *v;
  }
  if (auto e = j->find("error"); e != j->end() && e->is_object())
    if (auto p = problem_from(*e)) o.error = std::move(*p);
  if (o.status == "valid" && !o.certificate)
    return fail(Errc::bad_response, "order: status is 'valid' but there is no 'certificate' URL");
  return o;
}

Result<Authorization> parse_authorization(std::string_view body, std::string url) {
  constexpr std::string_view what = "authorization";
  auto j = parse_object(body, what);
  if (!j) return fail(j.error());
  if (!plausible_url(url)) return fail(Errc::bad_response, "authorization: its URL is not a valid URL");
  Authorization a;
  a.url = std::move(url);
  auto idj = j->find("identifier");
  if (idj == j->end()) return fail(Errc::bad_response, "authorization: required field 'identifier' is missing");
  auto id = identifier_from(*idj, what);
  if (!id) return fail(id.error());
  a.identifier = *id;
  auto status = req_text(*j, "status", what);
  if (!status) return fail(status.error());
  a.status = *status;
  auto expires = opt_text(*j, "expires", what);
  if (!expires) return fail(expires.error());
  a.expires = *expires;
  if (auto w = j->find("wildcard"); w != j->end()) {
    if (!w->is_boolean()) return fail(Errc::bad_response, "authorization: 'wildcard' is not a boolean");
    a.wildcard = w->get<bool>();
  }
  auto ch = j->find("challenges");
  if (ch == j->end() || !ch->is_array())
    return fail(Errc::bad_response, "authorization: 'challenges' is missing or not an array");
  if (ch->size() > max_challenges) return fail(too_many(what, "challenges", ch->size(), max_challenges));
  for (const auto& c : *ch) {
    auto parsed = challenge_from(c);
    if (!parsed) return fail(parsed.error().with_context("authorization " + a.identifier.value));
    a.challenges.push_back(std::move(*parsed));
  }
  return a;
}

Result<Challenge> parse_challenge(std::string_view body) {
  auto j = parse_object(body, "challenge");
  if (!j) return fail(j.error());
  return challenge_from(*j);
}

Result<Problem> parse_problem(std::string_view body) {
  auto j = parse_object(body, "problem document");
  if (!j) return fail(j.error());
  return problem_from(*j);
}

Result<RenewalInfo> parse_renewal_info(std::string_view body) {
  auto bad = [] { return fail(Errc::bad_response, "renewal information: missing or invalid suggestedWindow"); };
  auto j = parse_object(body, "renewal information");
  if (!j) return fail(j.error());
  auto w = j->find("suggestedWindow");
  if (w == j->end() || !w->is_object()) return bad();
  auto time_of = [&w](const char* key) -> std::optional<std::chrono::system_clock::time_point> {
    auto v = w->find(key);
    if (v == w->end() || !v->is_string()) return std::nullopt;
    return parse_rfc3339(v->get_ref<const std::string&>());
  };
  auto start = time_of("start");
  auto end = time_of("end");
  if (!start || !end || *end < *start) return bad();
  RenewalInfo info{*start, *end, std::nullopt, std::nullopt};
  if (auto e = j->find("explanationURL"); e != j->end() && e->is_string() && plausible_url(e->get_ref<const std::string&>()))
    info.explanation_url = e->get<std::string>();
  return info;
}

std::optional<std::chrono::system_clock::time_point> parse_retry_after(std::string_view value,
                                                                       std::chrono::system_clock::time_point now) {
  std::string v(value);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.erase(0, 1);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (v.size() > 9) return std::nullopt;  // more than 31 years: not a sane delay
    return now + std::chrono::seconds(std::stol(v));
  }
  // RFC 9110 §5.6.7: IMF-fixdate, and recipients must also accept the obsolete
  // RFC 850 and asctime forms.
  for (const char* format : {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
    std::tm tm{};
    const char* end = strptime(v.c_str(), format, &tm);
    if (end && *end == '\0') return time_from_utc(tm);
  }
  return std::nullopt;
}

std::vector<std::string> parse_link_urls(const std::vector<std::string>& link_headers, std::string_view rel) {
  // Each header may hold several comma-separated links: <url>;rel="alternate", <url2>;rel=up
  static const std::regex link_re(R"re(<([^>]*)>\s*((?:;\s*[A-Za-z*]+\s*=\s*(?:"[^"]*"|[^;,]*)\s*)*))re");
  static const std::regex rel_re(R"re(;\s*rel\s*=\s*(?:"([^"]*)"|([^;,\s]*)))re", std::regex::icase);
  std::vector<std::string> out;
  for (const auto& header : link_headers) {
    for (std::sregex_iterator it(header.begin(), header.end(), link_re), end; it != end; ++it) {
      std::string params = (*it)[2];
      std::smatch m;
      if (!std::regex_search(params, m, rel_re)) continue;
      std::string rels = m[1].matched ? m[1].str() : m[2].str();
      // Relation types compare case-insensitively (RFC 8288 §2.1.1).
      std::transform(rels.begin(), rels.end(), rels.begin(), [](unsigned char c) { return std::tolower(c); });
      std::string want(rel);
      std::transform(want.begin(), want.end(), want.begin(), [](unsigned char c) { return std::tolower(c); });
      // rel may list several space-separated relation types.
      std::size_t pos = 0;
      while (pos <= rels.size()) {
        auto sp = rels.find(' ', pos);
        if (rels.substr(pos, sp - pos) == want) {
          if (plausible_url((*it)[1].str())) out.push_back((*it)[1]);
          break;
        }
        if (sp == std::string::npos) break;
        pos = sp + 1;
      }
    }
  }
  return out;
}

}  // namespace acmed::acme
