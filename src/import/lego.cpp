// SPDX-License-Identifier: Apache-2.0
// Reading a lego --path tree: accounts/<server>/<email>/{account.json,keys/<email>.key}
// and certificates/<domain>.{crt,key,issuer.crt,json}. lego records neither the
// directory URL's path nor how a certificate was validated: the CA comes from
// --server (or a well-known host) and the solver from --solver. Nothing is changed.
#include <sys/stat.h>

#include <algorithm>

#include "acmed/core/files.hpp"
#include "acmed/core/text.hpp"
#include "lineage.hpp"

namespace acmed::import {
namespace {

using namespace detail;

/// lego's directory name for a server: the URL's host, ":" -> "_".
std::string lego_server_dir(const std::string& directory_url) {
  std::string netloc = split_url(directory_url).netloc;
  std::replace(netloc.begin(), netloc.end(), ':', '_');
  return netloc;
}

bool is_dir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

Result<Plan> read_lego(const std::string& tree_in, const LegoOptions& o) {
  const std::string tree = normal_tree_path(tree_in);
  Plan plan;
  plan.tool = "lego";
  plan.source = tree;
  auto servers = list_dir(tree + "/accounts");
  if (!servers) return fail(servers.error().with_context("not a lego --path tree (no accounts/ directory)"));
  plan.directory_url = o.directory_url;
  if (plan.directory_url.empty()) {
    // The hosts of Let's Encrypt have one directory each; any other needs --server.
    if (servers->size() == 1 && (*servers)[0] == "acme-v02.api.letsencrypt.org")
      plan.directory_url = "https://acme-v02.api.letsencrypt.org/directory";
    else if (servers->size() == 1 && (*servers)[0] == "acme-staging-v02.api.letsencrypt.org")
      plan.directory_url = "https://acme-staging-v02.api.letsencrypt.org/directory";
    else
      return fail(Errc::config, "lego does not record the CA's directory URL: give it with --server (accounts/ holds " +
                                    std::to_string(servers->size()) + " server(s))");
  }
  if (!valid_directory_url(plan.directory_url))
    return fail(Errc::config, "'" + escape_untrusted(plan.directory_url, 200) + "' is not an https directory URL");
  const std::string server_dir = tree + "/accounts/" + lego_server_dir(plan.directory_url);
  if (!is_dir(server_dir)) return fail(Errc::not_found, "no lego account for " + plan.directory_url + " (" + server_dir + ")");
  auto emails = list_dir(server_dir);
  if (!emails) return fail(emails.error());
  std::string email = o.email;
  if (email.empty()) {
    if (emails->size() != 1)
      return fail(Errc::config, server_dir + " holds " + std::to_string(emails->size()) +
                                    " accounts; acmed keeps one account per CA: choose one with --account EMAIL");
    email = (*emails)[0];
  }
  if (std::find(emails->begin(), emails->end(), email) == emails->end() || email.find('/') != std::string::npos)
    return fail(Errc::not_found, "no lego account '" + escape_untrusted(email, 80) + "' in " + server_dir);
  // The directory name ends up in paths and messages: printable ASCII only.
  if (std::any_of(email.begin(), email.end(), [](unsigned char c) { return c <= 0x20 || c >= 0x7f; }))
    return fail(Errc::config, "the lego account directory '" + escape_untrusted(email, 80) +
                                  "' has characters acmed does not accept in a path");
  const std::string account_dir = server_dir + "/" + email;
  auto json = read_file_nofollow(account_dir + "/account.json", 256 * 1024);
  if (!json) return fail(json.error());
  auto url = lego_account_url(*json);
  if (!url) return fail(url.error().with_context(account_dir));
  auto key_text = read_file_nofollow(account_dir + "/keys/" + email + ".key", 64 * 1024);
  if (!key_text) return fail(key_text.error());
  Secret key_pem(std::move(*key_text));
  auto key = PrivateKey::from_pem(key_pem.view());
  if (!key) return fail(key.error().with_context(account_dir + "/keys/" + email + ".key"));
  Account a;
  a.directory_url = plan.directory_url;
  a.url = *url;
  a.key_pem = key->to_pem();
  a.thumbprint = key->thumbprint();
  a.source = account_dir;
  plan.accounts.push_back(std::move(a));

  auto files = list_dir(tree + "/certificates");
  if (!files) return fail(files.error());
  for (const auto& f : *files) {
    if (f.size() <= 4 || f.substr(f.size() - 4) != ".crt" || f.find(".issuer.crt") != std::string::npos) continue;
    std::string name = f.substr(0, f.size() - 4);  // the first domain, "*" written as "_"
    if (!o.only.empty() && std::find(o.only.begin(), o.only.end(), name) == o.only.end()) continue;
    const std::string base = tree + "/certificates/" + name;
    if (!valid_certificate_name(name)) {
      plan.findings.push_back({"certificates/" + escape_untrusted(f, 80), "left out: not a name acmed can use"});
      continue;
    }
    auto v = load_version(base + ".crt", base + ".key", base + ".issuer.crt");
    if (!v) {
      plan.findings.push_back({"certificates/" + f, "left out: " + v.error().message});
      continue;
    }
    Certificate c;
    c.name = name;
    c.versions.push_back(std::move(*v));
    auto d = describe(c.versions.back());
    if (!d) {
      plan.findings.push_back({"certificates/" + f, "left out: " + d.error().message});
      continue;
    }
    if (o.solver.type.empty()) {
      plan.findings.push_back({"certificates/" + f, "certs.d/" + name + ".yaml not written: lego does not record how it "
                                                    "validated; re-run with --solver dns-persist-01|http-01|webroot:PATH"});
    } else {
      c.config = certificate_tree(d->names, d->key_type, {solver_for(o.solver)});
      c.header = {"Imported from lego (" + base + ".crt) by 'acmed import lego'.",
                  "'acmed renew' renews it with the same ACME account; edit freely (docs/configuration.md)."};
      check_config(c, "certificates/" + f, plan.findings);
    }
    plan.certificates.push_back(std::move(c));
  }
  for (const auto& want : o.only)
    if (std::none_of(plan.certificates.begin(), plan.certificates.end(), [&](const Certificate& c) { return c.name == want; }) &&
        std::none_of(plan.findings.begin(), plan.findings.end(),
                     [&](const Finding& f) { return f.where == "certificates/" + want + ".crt"; }))
      return fail(Errc::not_found, "no lego certificate '" + escape_untrusted(want, 80) + "' in " + tree + "/certificates");
  return plan;
}

}  // namespace acmed::import
