// SPDX-License-Identifier: Apache-2.0
// Certificate versions read from another client's files, verified before acmed keeps
// them, and the certs.d trees written for them.
#include "lineage.hpp"

#include <dirent.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "acmed/config/config.hpp"
#include "acmed/core/files.hpp"
#include "acmed/core/identifier.hpp"
#include "acmed/core/text.hpp"

namespace acmed::import::detail {

Result<Version> load_version(const std::string& cert_path, const std::string& key_path, const std::string& issuer_path) {
  auto cert = read_file_nofollow(cert_path, max_source_file);
  if (!cert) return fail(cert.error());
  auto key_text = read_file_nofollow(key_path, max_source_file);
  if (!key_text) return fail(key_text.error());
  Secret key_pem(std::move(*key_text));
  auto chain = parse_pem_chain(*cert);
  if (!chain) return fail(chain.error().with_context(cert_path));
  std::string fullchain = *cert;
  if (chain->size() == 1 && !issuer_path.empty()) {
    auto issuer = read_file_nofollow(issuer_path, max_source_file);
    if (issuer) {
      auto issuers = parse_pem_chain(*issuer);
      if (!issuers) return fail(issuers.error().with_context(issuer_path));
      for (const auto& der : *issuers) fullchain += der_to_pem(der);
    }
  }
  auto info = inspect_certificate(chain->front());
  if (!info) return fail(info.error().with_context(cert_path));
  auto key = PrivateKey::from_pem(key_pem.view());
  if (!key) return fail(key.error().with_context(key_path));
  if (key->public_key_der() != info->public_key_der)
    return fail(Errc::crypto, key_path + " is not the key of " + cert_path);
  Version v;
  // Re-encoded from the parsed DER: no text around the PEM blocks is carried over.
  v.fullchain_pem.clear();
  auto all = parse_pem_chain(fullchain);
  if (!all) return fail(all.error().with_context(cert_path));
  for (const auto& der : *all) v.fullchain_pem += der_to_pem(der);
  v.key_pem = key->to_pem();
  v.source = cert_path;
  return v;
}

Result<Described> describe(const Version& v) {
  auto chain = parse_pem_chain(v.fullchain_pem);
  if (!chain) return fail(chain.error());
  auto info = inspect_certificate(chain->front());
  if (!info) return fail(info.error());
  Described d;
  d.key_type = info->key_type;
  for (const auto& n : info->dns_names) {
    auto id = Identifier::parse(n);
    if (!id) return fail(Errc::crypto, "the certificate names '" + escape_untrusted(n, 80) + "', which acmed cannot order");
    if (std::find(d.names.begin(), d.names.end(), id->value) == d.names.end()) d.names.push_back(id->value);
  }
  for (const auto& ip : info->ip_addresses)
    if (std::find(d.names.begin(), d.names.end(), ip) == d.names.end()) d.names.push_back(ip);
  if (d.names.empty()) return fail(Errc::crypto, "the certificate has no DNS name or IP address");
  return d;
}

ConfigValue scalar(std::string v) { return ConfigValue::make_scalar(std::move(v)); }

ConfigValue list_of(const std::vector<std::string>& items) {
  ConfigValue l;
  l.kind = ConfigValue::Kind::list;
  for (const auto& i : items) l.list.push_back(scalar(i));
  return l;
}

ConfigValue certificate_tree(const std::vector<std::string>& names, const std::string& key_type,
                             std::vector<ConfigValue> solvers) {
  ConfigValue root = ConfigValue::make_map();
  root.map["names"] = list_of(names);
  root.map["key_type"] = scalar(key_type);
  ConfigValue l;
  l.kind = ConfigValue::Kind::list;
  l.list = std::move(solvers);
  root.map["solvers"] = std::move(l);
  return root;
}

ConfigValue solver_for(const SolverChoice& c) {
  ConfigValue s = ConfigValue::make_map();
  if (c.type == "webroot") {
    s.map["type"] = scalar("http-01");
    s.map["mode"] = scalar("webroot");
    s.map["webroot"] = scalar(c.webroot);
  } else if (c.type == "http-01") {
    s.map["type"] = scalar("http-01");
    s.map["listen"] = scalar(c.listen.empty() ? "0.0.0.0:80" : c.listen);
  } else {
    s.map["type"] = scalar(c.type);
  }
  return s;
}

Result<std::string> key_thumbprint(const Secret& pem) {
  auto key = PrivateKey::from_pem(pem.view());
  if (!key) return fail(key.error());
  return key->thumbprint();
}

bool valid_certificate_name(const std::string& name) {
  if (name.empty() || name.size() > 200 || name[0] == '.' || name[0] == '-') return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '-' || c == '_';
  });
}

bool valid_directory_url(const std::string& url) {
  if (url.size() > 2048 || url.rfind("https://", 0) != 0) return false;
  if (std::any_of(url.begin(), url.end(), [](unsigned char c) { return c <= 0x20 || c >= 0x7f || c == '\\'; }))
    return false;
  auto parts = split_url(url);
  if (parts.netloc.empty() || parts.netloc[0] == '.') return false;
  std::string_view path = parts.path;
  while (!path.empty()) {
    auto slash = path.find('/');
    std::string_view seg = path.substr(0, slash);
    if (seg == "." || seg == "..") return false;
    path.remove_prefix(slash == std::string_view::npos ? path.size() : slash + 1);
  }
  return true;
}

std::string normal_tree_path(const std::string& tree) {
  std::error_code ec;
  std::string p = std::filesystem::absolute(tree, ec).lexically_normal().string();
  if (ec) p = tree;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

void check_config(Certificate& c, const std::string& where, std::vector<Finding>& findings) {
  if (c.config.kind == ConfigValue::Kind::null) return;
  const std::string path = "certs.d/" + c.name + ".yaml";
  auto back = config::parse_yaml(config::to_yaml(c.config, c.header), path);
  Result<config::CertificateConfig> cert = fail(Errc::config, "");
  if (back) cert = config::parse_certificate(*back, c.name, path);
  if (back && cert) return;
  findings.push_back({where, path + " not written: " + (back ? cert.error().message : back.error().message)});
  c.config = ConfigValue{};
  c.credentials.clear();
}

Result<std::vector<std::string>> list_dir(const std::string& dir, std::size_t limit) {
  struct Close {
    void operator()(DIR* p) const { closedir(p); }
  };
  std::unique_ptr<DIR, Close> d(opendir(dir.c_str()));
  if (!d) return fail(Errc::io, "cannot read directory " + dir + ": " + std::strerror(errno));
  std::vector<std::string> out;
  while (dirent* e = readdir(d.get())) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    if (out.size() >= limit) return fail(Errc::io, dir + " has more than " + std::to_string(limit) + " entries");
    out.push_back(std::move(n));
  }
  std::sort(out.begin(), out.end());
  return out;
}

UrlParts split_url(const std::string& url) {
  const std::string scheme = "https://";
  if (url.rfind(scheme, 0) != 0) return {};
  std::string rest = url.substr(scheme.size());
  auto slash = rest.find('/');
  UrlParts p;
  p.netloc = rest.substr(0, slash);
  p.path = slash == std::string::npos ? "" : rest.substr(slash + 1);
  while (!p.path.empty() && p.path.back() == '/') p.path.pop_back();
  return p;
}

}  // namespace acmed::import::detail
