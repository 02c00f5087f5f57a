#include "acmed/acme/wire.hpp"

#include <nlohmann/json.hpp>

#include <ctime>
#include <regex>

namespace acmed::acme {
namespace {

using json = nlohmann::json;

Result<json> parse_object(std::string_view body, std::string_view what) {
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail(Errc::bad_response, std::string(what) + ": response is not valid JSON");
  if (!j.is_object()) return fail(Errc::bad_response, std::string(what) + ": response is not a JSON object");
  return j;
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

Result<std::vector<std::string>> string_array(const json& j, const char* key, std::string_view what, bool required) {
  auto it = j.find(key);
  std::vector<std::string> out;
  if (it == j.end() || it->is_null()) {
    if (required) return fail(Errc::bad_response, std::string(what) + ": required field '" + key + "' is missing");
    return out;
  }
  if (!it->is_array()) return fail(Errc::bad_response, std::string(what) + ": field '" + key + "' is not an array");
  for (const auto& v : *it) {
    if (!v.is_string())
      return fail(Errc::bad_response, std::string(what) + ": field '" + key + "' holds a non-string element");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<Problem> problem_from(const json& j) {
  Problem p;
  auto type = opt_string(j, "type", "problem document");
  if (!type) return fail(type.error());
  p.type = type->value_or("about:blank");
  if (auto d = opt_string(j, "detail", "problem document"); d && *d) p.detail = **d;
  if (auto s = j.find("status"); s != j.end() && s->is_number_integer()) p.status = s->get<int>();
  if (auto id = j.find("identifier"); id != j.end() && id->is_object()) {
    auto t = id->value("type", std::string());
    auto v = id->value("value", std::string());
    if (!v.empty()) p.identifier = t + ":" + v;
  }
  if (auto subs = j.find("subproblems"); subs != j.end() && subs->is_array()) {
    for (const auto& s : *subs) {
      if (!s.is_object()) continue;
      auto sp = problem_from(s);
      if (sp) p.subproblems.push_back(std::move(*sp));
    }
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
    return fail(Errc::bad_response, std::string(what) + ": unsupported identifier type '" + *type + "'");
  auto id = Identifier::parse(*value);
  if (!id) return fail(Errc::bad_response, std::string(what) + ": " + id.error().message);
  return id;
}

Result<Challenge> challenge_from(const json& j) {
  constexpr std::string_view what = "challenge";
  if (!j.is_object()) return fail(Errc::bad_response, "challenge is not a JSON object");
  Challenge c;
  auto type = req_string(j, "type", what);
  if (!type) return fail(type.error());
  c.type = *type;
  auto url = req_string(j, "url", what);
  if (!url) return fail(url.error());
  c.url = *url;
  auto status = req_string(j, "status", what);
  if (!status) return fail(status.error());
  c.status = *status;
  // Token-less challenges exist (dns-persist-01); the solver decides whether it needs one.
  auto token = opt_string(j, "token", what);
  if (!token) return fail(token.error());
  c.token = token->value_or("");
  auto acct = opt_string(j, "accounturi", what);
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
    auto v = req_string(*j, key, what);
    if (!v) return fail(v.error());
    *field = *v;
  }
  auto na = opt_string(*j, "newAuthz", what);
  if (!na) return fail(na.error());
  d.new_authz = *na;
  auto ri = opt_string(*j, "renewalInfo", what);
  if (!ri) return fail(ri.error());
  d.renewal_info = *ri;
  if (auto m = j->find("meta"); m != j->end()) {
    if (!m->is_object()) return fail(Errc::bad_response, "directory: 'meta' is not an object");
    auto tos = opt_string(*m, "termsOfService", "directory meta");
    if (!tos) return fail(tos.error());
    d.meta.terms_of_service = *tos;
    auto web = opt_string(*m, "website", "directory meta");
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
      for (const auto& [name, desc] : p->items()) d.meta.profiles[name] = desc.is_string() ? desc.get<std::string>() : "";
  }
  return d;
}

Result<Account> parse_account(std::string_view body, std::string url) {
  constexpr std::string_view what = "account";
  auto j = parse_object(body, what);
  if (!j) return fail(j.error());
  Account a;
  a.url = std::move(url);
  auto status = req_string(*j, "status", what);
  if (!status) return fail(status.error());
  a.status = *status;
  auto contact = string_array(*j, "contact", what, false);
  if (!contact) return fail(contact.error());
  a.contact = std::move(*contact);
  auto orders = opt_string(*j, "orders", what);
  if (!orders) return fail(orders.error());
  a.orders = *orders;
  return a;
}

Result<Order> parse_order(std::string_view body, std::string url) {
  constexpr std::string_view what = "order";
  auto j = parse_object(body, what);
  if (!j) return fail(j.error());
  Order o;
  o.url = std::move(url);
  auto status = req_string(*j, "status", what);
  if (!status) return fail(status.error());
  o.status = *status;
  auto ids = j->find("identifiers");
  if (ids == j->end() || !ids->is_array() || ids->empty())
    return fail(Errc::bad_response, "order: 'identifiers' is missing or not a non-empty array");
  for (const auto& i : *ids) {
    auto id = identifier_from(i, what);
    if (!id) return fail(id.error());
    o.identifiers.push_back(*id);
  }
  auto authz = string_array(*j, "authorizations", what, true);
  if (!authz) return fail(authz.error());
  o.authorizations = std::move(*authz);
  auto fin = req_string(*j, "finalize", what);
  if (!fin) return fail(fin.error());
  o.finalize = *fin;
  for (auto [field, key] : {std::pair{&o.certificate, "certificate"}, {&o.profile, "profile"}, {&o.expires, "expires"}}) {
    auto v = opt_string(*j, key, what);
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
  Authorization a;
  a.url = std::move(url);
  auto idj = j->find("identifier");
  if (idj == j->end()) return fail(Errc::bad_response, "authorization: required field 'identifier' is missing");
  auto id = identifier_from(*idj, what);
  if (!id) return fail(id.error());
  a.identifier = *id;
  auto status = req_string(*j, "status", what);
  if (!status) return fail(status.error());
  a.status = *status;
  auto expires = opt_string(*j, "expires", what);
  if (!expires) return fail(expires.error());
  a.expires = *expires;
  if (auto w = j->find("wildcard"); w != j->end()) {
    if (!w->is_boolean()) return fail(Errc::bad_response, "authorization: 'wildcard' is not a boolean");
    a.wildcard = w->get<bool>();
  }
  auto ch = j->find("challenges");
  if (ch == j->end() || !ch->is_array())
    return fail(Errc::bad_response, "authorization: 'challenges' is missing or not an array");
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
    if (end && *end == '\0') return std::chrono::system_clock::from_time_t(timegm(&tm));
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
          out.push_back((*it)[1]);
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
