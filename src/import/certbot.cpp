// SPDX-License-Identifier: Apache-2.0
// Reading a certbot configuration tree (/etc/letsencrypt): renewal/NAME.conf for each
// lineage, archive/NAME/ for its versions, live/NAME/ for the one it serves now, and
// accounts/<server>/<path>/<id>/ for the account. Nothing in the tree is changed.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "acmed/core/base64.hpp"
#include "acmed/core/files.hpp"
#include "acmed/core/identifier.hpp"
#include "acmed/core/text.hpp"
#include "lineage.hpp"

namespace acmed::import {
namespace {

using namespace detail;

/// One renewal file's values by key (section "renewalparams" or top level), with lines.
struct Renewal {
  std::string name;
  std::string file;  ///< "renewal/NAME.conf", for findings
  std::map<std::string, ConfEntry> top, params;
  std::vector<ConfEntry> webroot_map;
  const ConfEntry* param(const std::string& k) const {
    auto it = params.find(k);
    return it == params.end() ? nullptr : &it->second;
  }
  std::string value(const std::string& k, std::string dflt = {}) const {
    const ConfEntry* e = param(k);
    return e ? e->value : dflt;
  }
  std::string where(const ConfEntry& e) const { return file + ":" + std::to_string(e.line); }
};

Result<Renewal> read_renewal(const std::string& tree, const std::string& file_name) {
  Renewal r;
  r.name = file_name.substr(0, file_name.size() - 5);
  r.file = "renewal/" + file_name;
  auto text = read_file_nofollow(tree + "/" + r.file, max_source_file);
  if (!text) return fail(text.error());
  auto entries = parse_certbot_conf(*text);
  if (!entries) return fail(entries.error().with_context(r.file));
  for (auto& e : *entries) {
    if (e.section.empty()) r.top[e.key] = e;
    else if (e.section == "renewalparams") r.params[e.key] = e;
    else if (e.section == "renewalparams/webroot_map") r.webroot_map.push_back(e);
  }
  return r;
}

/// The configured key type, or the current key's when the file names none.
std::string key_type_of(const Renewal& r, const std::string& current, std::vector<Finding>& findings) {
  const ConfEntry* kt = r.param("key_type");
  if (!kt) return current;
  if (kt->value == "rsa") {
    std::string size = r.value("rsa_key_size", "2048");
    if (size == "2048" || size == "3072" || size == "4096") return "rsa" + size;
    if (const ConfEntry* e = r.param("rsa_key_size"))
      findings.push_back({r.where(*e), "rsa_key_size = " + escape_untrusted(size, 20) + ": acmed makes 2048, 3072 or "
                                       "4096-bit RSA keys; keeping the current key's type " + current});
    return current;
  }
  if (kt->value == "ecdsa") {
    std::string curve = r.value("elliptic_curve", "secp256r1");
    if (curve == "secp256r1") return "ec-p256";
    if (curve == "secp384r1") return "ec-p384";
    findings.push_back({r.where(*r.param("elliptic_curve")), "elliptic_curve = " + escape_untrusted(curve, 20) +
                                                                 ": acmed makes P-256 and P-384 keys; keeping " + current});
    return current;
  }
  findings.push_back({r.where(*kt), "key_type = " + escape_untrusted(kt->value, 20) + " is unknown; keeping " + current});
  return current;
}

/// certbot's rfc2136 credentials INI -> acmed's rfc2136 section plus the secret file.
Result<ConfigValue> rfc2136_section(const Renewal& r, const std::string& config_dir, Certificate& out,
                                    std::vector<Finding>& findings) {
  const ConfEntry* cred = r.param("dns_rfc2136_credentials");
  if (!cred) return fail(Errc::config, r.file + ": authenticator dns-rfc2136 without dns_rfc2136_credentials");
  const std::string cred_path = escape_untrusted(cred->value, 200);  // for messages
  if (cred->value.empty() || cred->value[0] != '/')
    return fail(Errc::config, "dns_rfc2136_credentials '" + cred_path + "' is not an absolute path");
  auto text = read_file_nofollow(cred->value, 64 * 1024);
  if (!text) return fail(Errc::config, "cannot read " + cred_path + " (a regular file, not a link, up to 64 KiB)");
  Secret ini(std::move(*text));
  auto entries = parse_certbot_conf(ini.view());
  if (!entries) return fail(Errc::config, cred_path + " is not a certbot credentials file");
  std::map<std::string, std::string> v;
  for (const auto& e : *entries) v[e.key] = e.value;
  auto get = [&](const char* k) { return v.count(k) ? v[k] : std::string(); };
  std::string server = get("dns_rfc2136_server"), port = get("dns_rfc2136_port"), name = get("dns_rfc2136_name");
  std::string algorithm = get("dns_rfc2136_algorithm");
  Secret secret(get("dns_rfc2136_secret"));
  for (auto& [k, val] : v) {
    [[maybe_unused]] Secret wiped(std::move(val));
  }
  std::transform(algorithm.begin(), algorithm.end(), algorithm.begin(), [](unsigned char c) { return std::tolower(c); });
  if (algorithm.empty()) algorithm = "hmac-md5";  // certbot's default
  if (algorithm != "hmac-sha256" && algorithm != "hmac-sha384" && algorithm != "hmac-sha512")
    return fail(Errc::config, cred_path + ": dns_rfc2136_algorithm " + escape_untrusted(algorithm, 30) +
                                  ": acmed signs with hmac-sha256, hmac-sha384 or hmac-sha512 only (make a new TSIG key)");
  auto ip = Identifier::parse(server);
  if (server.empty() || !ip || ip->type != Identifier::Type::ip)
    return fail(Errc::config, cred_path + ": dns_rfc2136_server '" + escape_untrusted(server, 80) +
                                  "' is not an IP address (acmed sends UPDATEs to an address)");
  if (name.empty() || secret.empty()) return fail(Errc::config, cred_path + ": dns_rfc2136_name or _secret missing");
  if (!port.empty() && (port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit)))
    return fail(Errc::config, cred_path + ": dns_rfc2136_port '" + escape_untrusted(port, 20) + "' is not a port");
  std::string stem = cred->value.substr(cred->value.rfind('/') + 1);
  if (auto dot = stem.rfind('.'); dot != std::string::npos && dot > 0) stem.resize(dot);
  if (!valid_certificate_name(stem)) stem = "rfc2136";
  // The ini's path in the name: two ini files with the same name in different
  // directories (two TSIG keys) never share one secret file.
  std::string secret_file =
      config_dir + "/certbot-" + stem + "-" + base64url_encode(sha256(cred->value)).substr(0, 8) + ".tsig";
  out.credentials.emplace(secret_file, std::move(secret));
  findings.push_back({r.where(*cred), "TSIG secret copied to " + secret_file + " (0600). The shipped unit runs as user "
                                      "acmed: hand it over with LoadCredential= and 'credential:' (docs/dns-01.md)"});
  ConfigValue section = ConfigValue::make_map();
  std::string addr = ip->value.find(':') != std::string::npos ? "[" + ip->value + "]" : ip->value;
  section.map["server"] = scalar(port.empty() || port == "53" ? ip->value : addr + ":" + port);
  section.map["key_name"] = scalar(name);
  section.map["algorithm"] = scalar(algorithm);
  section.map["secret_file"] = scalar(secret_file);
  return section;
}

/// The solvers for a lineage, from its authenticator; empty when acmed has none.
std::vector<ConfigValue> solvers_of(const Renewal& r, const CertbotOptions& o, Certificate& out,
                                    std::vector<Finding>& findings) {
  const ConfEntry* auth = r.param("authenticator");
  std::string authenticator = auth ? auth->value : "";
  std::vector<ConfigValue> solvers;
  std::string pref = r.value("pref_challs", r.value("preferred_challenges"));
  if (!pref.empty() && pref.find("http") == std::string::npos && pref.find("dns") == std::string::npos) {
    const ConfEntry* e = r.param("pref_challs") ? r.param("pref_challs") : r.param("preferred_challenges");
    findings.push_back({r.where(*e), "preferred challenges '" + escape_untrusted(pref, 60) + "' ignored"});
  }
  if (authenticator == "standalone") {
    std::string addr = r.value("http01_address");
    std::string port = r.value("http01_port", "80");
    SolverChoice c{"http-01", "", (addr.empty() ? "0.0.0.0" : addr) + ":" + port};
    solvers.push_back(solver_for(c));
  } else if (authenticator == "webroot") {
    // [[webroot_map]] holds name = path for every name; webroot_path the list given.
    std::map<std::string, std::vector<std::string>> by_path;
    for (const auto& e : r.webroot_map) by_path[e.value].push_back(e.key);
    if (by_path.empty()) {
      std::string path = r.value("webroot_path");
      if (auto comma = path.find(','); comma != std::string::npos) path = path.substr(0, comma);
      while (!path.empty() && path.back() == ' ') path.pop_back();
      if (!path.empty()) by_path[path] = {};
    }
    for (const auto& [path, names] : by_path) {
      if (path.empty() || path[0] != '/') {
        findings.push_back({r.file, "webroot '" + escape_untrusted(path, 80) + "' is not an absolute path"});
        return {};
      }
      ConfigValue s = solver_for(SolverChoice{"webroot", path, ""});
      if (by_path.size() > 1) s.map["domains"] = list_of(names);
      solvers.push_back(std::move(s));
    }
    if (solvers.empty()) findings.push_back({r.where(*auth), "authenticator = webroot without webroot_path"});
  } else if (authenticator == "dns-rfc2136") {
    auto section = rfc2136_section(r, o.config_dir, out, findings);
    if (!section) {
      findings.push_back({r.where(*auth), "authenticator = dns-rfc2136 not carried over: " + section.error().message});
    } else {
      ConfigValue s = ConfigValue::make_map();
      s.map["type"] = scalar("dns-01");
      s.map["provider"] = scalar("rfc2136");
      s.map["rfc2136"] = std::move(*section);
      solvers.push_back(std::move(s));
      if (const ConfEntry* p = r.param("dns_rfc2136_propagation_seconds"))
        findings.push_back({r.where(*p), "dns_rfc2136_propagation_seconds dropped: acmed waits until every "
                                         "authoritative server serves the record"});
    }
  } else {
    std::string what = auth ? "authenticator = " + escape_untrusted(authenticator, 60) : "no authenticator";
    findings.push_back({auth ? r.where(*auth) : r.file,
                        what + ": acmed has no such solver" +
                            (o.fallback.type.empty() ? "; re-run with --solver dns-persist-01|http-01|webroot:PATH"
                                                     : "; using --solver " + o.fallback.type)});
  }
  if (solvers.empty() && !o.fallback.type.empty()) solvers.push_back(solver_for(o.fallback));
  return solvers;
}

/// Other renewalparams worth a word. Known settings that need nothing are silent.
void note_params(const Renewal& r, ConfigValue& cfg, std::vector<Finding>& findings) {
  static const std::set<std::string> carried = {
      "account", "server", "authenticator", "installer", "key_type", "rsa_key_size", "elliptic_curve",
      "webroot_path", "http01_port", "http01_address", "dns_rfc2136_credentials", "dns_rfc2136_propagation_seconds",
      "config_dir", "work_dir", "logs_dir", "pref_challs", "preferred_challenges", "preferred_chain", "renew_hook",
      "manual_public_ip_logging_ok", "reuse_key", "must_staple", "pre_hook", "post_hook"};
  if (const ConfEntry* e = r.param("installer"); e && e->value != "None" && e->value != "null")
    findings.push_back({r.where(*e), "installer = " + escape_untrusted(e->value, 40) +
                                         ": acmed does not edit web server configuration; point it at the files in "
                                         "live/" + r.name + "/ and reload it from a deploy hook"});
  if (const ConfEntry* e = r.param("preferred_chain")) cfg.map["preferred_chain"] = scalar(e->value);
  if (const ConfEntry* e = r.param("renew_hook")) {
    const std::string& h = e->value;
    struct stat st {};
    if (!h.empty() && h[0] == '/' && h.find_first_of(" \t;&|$`'\"") == std::string::npos && ::stat(h.c_str(), &st) == 0 &&
        S_ISREG(st.st_mode) && (st.st_mode & 0111)) {
      cfg.map["deploy_hooks"] = list_of({h});
    } else {
      findings.push_back({r.where(*e), "deploy hook '" + escape_untrusted(h, 120) +
                                           "' not carried over: acmed runs executable files, not shell commands; "
                                           "put the command in a script and list it under deploy_hooks"});
    }
  }
  for (const char* k : {"pre_hook", "post_hook"})
    if (const ConfEntry* e = r.param(k))
      findings.push_back({r.where(*e), std::string(k) + " '" + escape_untrusted(e->value, 120) +
                                           "' not carried over: acmed binds its own listener only while it "
                                           "validates; for a web server in the way use webroot mode"});
  for (const char* k : {"must_staple", "reuse_key"})
    if (const ConfEntry* e = r.param(k); e && e->value == "True")
      findings.push_back({r.where(*e), std::string(k) + " = True is not supported by acmed; a new key is made "
                                                        "for every renewal"});
  for (const auto& [k, e] : r.params)
    if (!carried.count(k) && k.rfind("dns_", 0) != 0 && k.rfind("manual_", 0) != 0)
      findings.push_back({r.where(e), escape_untrusted(k, 60) + " = " + escape_untrusted(e.value, 80) + " ignored"});
  if (auto it = r.top.find("renew_before_expiry"); it != r.top.end()) {
    auto d = certbot_interval(it->second.value);
    if (d) cfg.map["renew_before"] = scalar(*d);
    else findings.push_back({r.where(it->second), "renew_before_expiry: " + d.error().message});
  }
}

/// The archive's versions (oldest first), the current one last. Versions that fail
/// verification are reported and left out; a current one that fails is an error.
Result<std::vector<Version>> versions_of(const std::string& tree, const Renewal& r, std::vector<Finding>& findings) {
  const std::string archive = tree + "/archive/" + r.name;
  auto entries = list_dir(archive);
  if (!entries) return fail(entries.error());
  std::vector<int> numbers;
  for (const auto& e : *entries) {
    if (e.rfind("fullchain", 0) != 0 || e.size() < 14 || e.substr(e.size() - 4) != ".pem") continue;
    std::string n = e.substr(9, e.size() - 13);
    if (n.empty() || n.size() > 6 || !std::all_of(n.begin(), n.end(), ::isdigit)) continue;
    numbers.push_back(std::stoi(n));
  }
  std::sort(numbers.begin(), numbers.end());
  if (numbers.size() > 1000) numbers.erase(numbers.begin(), numbers.end() - 1000);
  // live/NAME/fullchain.pem names the version served now (certbot may have rolled back).
  int current = numbers.empty() ? -1 : numbers.back();
  char link[4096];
  ssize_t n = ::readlink((tree + "/live/" + r.name + "/fullchain.pem").c_str(), link, sizeof link - 1);
  if (n > 0) {
    std::string target(link, static_cast<std::size_t>(n));
    auto base = target.substr(target.rfind('/') + 1);
    if (base.rfind("fullchain", 0) == 0 && base.size() > 13) {
      std::string digits = base.substr(9, base.size() - 13);
      if (!digits.empty() && digits.size() <= 6 && std::all_of(digits.begin(), digits.end(), ::isdigit))
        current = std::stoi(digits);
    }
  }
  if (std::find(numbers.begin(), numbers.end(), current) == numbers.end())
    return fail(Errc::not_found, "archive/" + r.name + "/ has no fullchain" + std::to_string(current) + ".pem (the version live/" +
                                     r.name + "/ serves)");
  std::vector<Version> out;
  for (int v : numbers) {
    if (v == current) continue;
    std::string n_s = std::to_string(v);
    auto ver = load_version(archive + "/fullchain" + n_s + ".pem", archive + "/privkey" + n_s + ".pem");
    if (ver) out.push_back(std::move(*ver));
    else findings.push_back({"archive/" + r.name + "/fullchain" + n_s + ".pem", "older version left out: " + ver.error().message});
  }
  std::string c = std::to_string(current);
  auto cur = load_version(archive + "/fullchain" + c + ".pem", archive + "/privkey" + c + ".pem");
  if (!cur) return fail(cur.error());
  out.push_back(std::move(*cur));
  return out;
}

/// accounts/<netloc>/<path>/<id>/: the account's key and URL.
Result<Account> read_account(const std::string& tree, const std::string& directory_url, const std::string& id) {
  auto parts = split_url(directory_url);
  std::string dir = tree + "/accounts/" + parts.netloc + (parts.path.empty() ? "" : "/" + parts.path) + "/" + id;
  struct stat st {};
  if (parts.netloc.empty() || !valid_certificate_name(id) || ::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fail(Errc::not_found, "certbot account " + escape_untrusted(id, 80) + " of " + directory_url + " not found (" + dir + ")");
  auto key_text = read_file_nofollow(dir + "/private_key.json", 64 * 1024);
  if (!key_text) return fail(key_text.error());
  Secret key_json(std::move(*key_text));
  auto key = certbot_account_key(key_json.view());
  if (!key) return fail(key.error().with_context(dir));
  auto regr = read_file_nofollow(dir + "/regr.json", 256 * 1024);
  if (!regr) return fail(regr.error());
  auto url = certbot_account_url(*regr);
  if (!url) return fail(url.error().with_context(dir));
  Account a;
  a.directory_url = directory_url;
  a.url = *url;
  a.key_pem = std::move(*key);
  auto tp = key_thumbprint(a.key_pem);
  if (!tp) return fail(tp.error());
  a.thumbprint = *tp;
  a.source = dir;
  return a;
}

}  // namespace

Result<Plan> read_certbot(const std::string& tree_in, const CertbotOptions& o) {
  const std::string tree = normal_tree_path(tree_in);
  Plan plan;
  plan.tool = "certbot";
  plan.source = tree;
  auto files = list_dir(tree + "/renewal");
  if (!files) return fail(files.error().with_context("not a certbot tree (no renewal/ directory)"));
  std::vector<Renewal> lineages;
  for (const auto& f : *files) {
    if (f.size() <= 5 || f.substr(f.size() - 5) != ".conf") continue;
    std::string name = f.substr(0, f.size() - 5);
    if (!o.only.empty() && std::find(o.only.begin(), o.only.end(), name) == o.only.end()) continue;
    if (!valid_certificate_name(name)) {
      plan.findings.push_back({"renewal/" + escape_untrusted(f, 80), "left out: not a name acmed can use for a certificate"});
      continue;
    }
    auto r = read_renewal(tree, f);
    if (!r) {
      plan.findings.push_back({"renewal/" + f, "left out: " + r.error().message});
      continue;
    }
    if (!valid_directory_url(r->value("server", "https://acme-v02.api.letsencrypt.org/directory"))) {
      plan.findings.push_back({r->file, "left out: its server is not an https URL acmed can use ('" +
                                            escape_untrusted(r->value("server"), 200) + "')"});
      continue;
    }
    lineages.push_back(std::move(*r));
  }
  for (const auto& want : o.only)
    if (std::none_of(lineages.begin(), lineages.end(), [&](const Renewal& r) { return r.name == want; }))
      return fail(Errc::not_found, "no certbot lineage '" + escape_untrusted(want, 80) + "' in " + tree + "/renewal");
  if (lineages.empty()) return fail(Errc::not_found, "no renewal/*.conf to import in " + tree);

  // One CA and one account: acmed keeps one account per CA.
  std::set<std::string> servers;
  for (const auto& r : lineages) servers.insert(r.value("server", "https://acme-v02.api.letsencrypt.org/directory"));
  plan.directory_url = o.directory_url;
  if (plan.directory_url.empty()) {
    if (servers.size() > 1) {
      std::string list;
      for (const auto& s : servers) list += (list.empty() ? "" : ", ") + escape_untrusted(s, 200);
      return fail(Errc::config, "the lineages use several CAs (" + list + "); choose one with --server");
    }
    plan.directory_url = *servers.begin();
  }
  if (!valid_directory_url(plan.directory_url))
    return fail(Errc::config, "'" + escape_untrusted(plan.directory_url, 200) + "' is not an https directory URL");
  std::map<std::string, int> accounts;
  for (const auto& r : lineages)
    if (r.value("server", "https://acme-v02.api.letsencrypt.org/directory") == plan.directory_url) ++accounts[r.value("account")];
  if (accounts.empty()) return fail(Errc::not_found, "no lineage uses " + plan.directory_url);
  std::string account_id = o.account_id;
  if (account_id.empty()) {
    if (accounts.size() > 1) {
      std::string list;
      for (const auto& [id, n] : accounts) list += (list.empty() ? "" : ", ") + escape_untrusted(id, 80) + " (" + std::to_string(n) + ")";
      return fail(Errc::config, "the lineages of " + plan.directory_url + " use several accounts: " + list +
                                    "; acmed keeps one account per CA: choose one with --account ID");
    }
    account_id = accounts.begin()->first;
  }
  auto account = read_account(tree, plan.directory_url, account_id);
  if (!account) return fail(account.error());
  plan.accounts.push_back(std::move(*account));

  for (const auto& r : lineages) {
    std::string server = r.value("server", "https://acme-v02.api.letsencrypt.org/directory");
    if (server != plan.directory_url) {
      plan.findings.push_back({r.file, "left out: its CA is " + escape_untrusted(server, 200)});
      continue;
    }
    if (r.value("account") != account_id) {
      plan.findings.push_back({r.file, "left out: it uses certbot account " + escape_untrusted(r.value("account"), 80)});
      continue;
    }
    Certificate c;
    c.name = r.name;
    auto versions = versions_of(tree, r, plan.findings);
    if (!versions) {
      plan.findings.push_back({r.file, "left out: " + versions.error().message});
      continue;
    }
    c.versions = std::move(*versions);
    auto d = describe(c.versions.back());
    if (!d) {
      plan.findings.push_back({r.file, "left out: " + d.error().message});
      continue;
    }
    auto solvers = solvers_of(r, o, c, plan.findings);
    if (!solvers.empty()) {
      c.config = certificate_tree(d->names, key_type_of(r, d->key_type, plan.findings), std::move(solvers));
      note_params(r, c.config, plan.findings);
      c.header = {"Imported from certbot (" + tree + "/" + r.file + ") by 'acmed import certbot'.",
                  "'acmed renew' renews it with the same ACME account; edit freely (docs/configuration.md)."};
      check_config(c, r.file, plan.findings);
    } else {
      c.credentials.clear();
    }
    plan.certificates.push_back(std::move(c));
  }
  for (const char* kind : {"pre", "deploy", "post"}) {
    auto hooks = list_dir(tree + "/renewal-hooks/" + std::string(kind));
    if (!hooks) continue;
    for (const auto& h : *hooks)
      plan.findings.push_back({"renewal-hooks/" + std::string(kind) + "/" + escape_untrusted(h, 80),
                               std::string("certbot runs it for every lineage; acmed does not. ") +
                                   (std::string(kind) == "deploy"
                                        ? "List it under hooks.deploy in acmed.yaml (it gets RENEWED_LINEAGE "
                                          "and RENEWED_DOMAINS too, docs/migration.md)"
                                        : "acmed needs no pre/post hook around its own listener")});
  }
  return plan;
}

}  // namespace acmed::import
