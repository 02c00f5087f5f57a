// SPDX-License-Identifier: Apache-2.0
// Writing an import plan: the account, each certificate's versions, credential files,
// certs.d/NAME.yaml, and acmed.yaml when there is none. The account lock and every
// certificate's lock are taken first and held to the end, so a renewal cannot change
// what was checked; then all conflicts are found before anything is written. Nothing
// identical is written again, nothing different is replaced without --force, what acmed
// already has that is newer (a renewed certificate, a rolled-over key) is kept even with
// --force, and an account is retired, never deleted.
#include <sys/stat.h>

#include <filesystem>

#include "acmed/config/config.hpp"
#include "acmed/core/crypto.hpp"
#include "acmed/core/files.hpp"
#include "acmed/core/text.hpp"
#include "acmed/import/import.hpp"

namespace acmed::import {
namespace {

bool exists(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

enum class Same { yes, differs, absent };

Same compare_file(const std::string& path, std::string_view text) {
  if (!exists(path)) return Same::absent;
  auto current = read_file(path, 4 << 20);
  if (!current) return Same::differs;
  Secret held(std::move(*current));  // may be a credential
  return held.view() == text ? Same::yes : Same::differs;
}

/// notBefore of a chain's first certificate, in seconds; 0 when it does not parse.
long long not_before(const std::string& fullchain_pem) {
  auto chain = parse_pem_chain(fullchain_pem);
  if (!chain) return 0;
  auto info = inspect_certificate(chain->front());
  if (!info) return 0;
  return std::chrono::duration_cast<std::chrono::seconds>(info->not_before.time_since_epoch()).count();
}

/// The stored account's key thumbprint: the kept file, else computed from the key.
std::string stored_thumbprint(const storage::StateStore& store, const std::string& ca) {
  auto tp = store.load_account_thumbprint(ca);
  if (tp && !tp->empty()) return *tp;
  auto held = store.load_account(ca);
  if (!held || !*held || (*held)->key_pem.empty()) return {};
  auto key = PrivateKey::from_pem((*held)->key_pem.view());
  return key ? key->thumbprint() : std::string();
}

struct Step {
  Action action;
  bool conflict = false;
};

}  // namespace

Result<std::vector<Action>> apply(const Plan& plan, const storage::StateStore& store, const ApplyOptions& o) {
  // Locks first (a dry run takes none: it writes nothing, and may run beside a renewal).
  std::vector<storage::LockHandle> locks;
  if (!o.dry_run) {
    auto accounts = store.lock_accounts();
    if (!accounts) return fail(accounts.error());
    locks.push_back(std::move(*accounts));
    for (const auto& c : plan.certificates) {
      auto l = store.lock_certificate(c.name, false);
      if (!l) return fail(l.error().with_context("nothing written"));
      locks.push_back(std::move(*l));
    }
  }

  std::vector<Step> steps;
  auto add = [&](std::string what, std::string target, std::string detail, bool conflict = false) {
    steps.push_back({{std::move(what), std::move(target), std::move(detail)}, conflict});
  };

  // acmed.yaml: the CA must be the one the account belongs to.
  const std::string global = o.config_dir + "/acmed.yaml";
  std::string global_text;
  if (exists(global)) {
    auto g = config::load_global(global);
    if (!g) return fail(g.error());
    if (g->ca.directory_url != plan.directory_url)
      return fail(Errc::config, global + " uses the CA " + g->ca.directory_url + ", the imported account belongs to " +
                                    plan.directory_url + ": import with --server " + g->ca.directory_url +
                                    " or change ca.directory first");
  } else {
    ConfigValue root = ConfigValue::make_map();
    ConfigValue ca = ConfigValue::make_map();
    ca.map["directory"] = ConfigValue::make_scalar(plan.directory_url);
    root.map["ca"] = std::move(ca);
    global_text = config::to_yaml(root, {"Written by 'acmed import " + plan.tool + "': the CA of the imported account.",
                                         "See docs/configuration.md for the other settings."});
    add("write", global, "the CA " + plan.directory_url);
  }

  std::vector<const Account*> accounts_to_write;
  for (const auto& a : plan.accounts) {
    const std::string ca = storage::ca_id(a.directory_url);
    auto url = store.load_account_url(ca);
    if (!url) return fail(url.error());
    auto held = store.load_account(ca);
    if (!held) return fail(held.error());
    if (*url && **url == a.url) {
      // The same account. Another key means acmed rolled it over since: acmed's is current.
      if (stored_thumbprint(store, ca) == a.thumbprint) add("unchanged", store.account_dir(ca), "account " + a.url);
      else add("kept", store.account_dir(ca), "account " + a.url + ": acmed holds a newer key (rolled over), kept");
      continue;
    }
    if (*url || *held)
      add("retire", store.account_dir(ca),
          "the account stored for this CA (" + (*url ? **url : std::string("a key never registered")) +
              ") makes way for " + a.url + "; its files move to retired-<time>/",
          true);
    add("write", store.account_dir(ca), "account " + a.url + " and its key (0600) from " + a.source);
    accounts_to_write.push_back(&a);
  }

  std::vector<const Certificate*> certs_to_store;
  std::vector<std::pair<std::string, const Secret*>> credentials;  // path, content
  std::vector<std::pair<std::string, std::string>> configs;        // path, text
  for (const auto& c : plan.certificates) {
    auto stored = store.load_certificate(c.name);
    if (!stored) return fail(stored.error());
    const std::string& current = c.versions.back().fullchain_pem;
    if (*stored && (*stored)->fullchain_pem == current) {
      add("unchanged", store.live_dir(c.name), "certificate " + c.name);
    } else if (*stored && not_before((*stored)->fullchain_pem) >= not_before(current)) {
      add("kept", store.live_dir(c.name), "certificate " + c.name + ": acmed's is as new or newer, kept");
    } else {
      add("store", store.live_dir(c.name),
          std::to_string(c.versions.size()) + " version(s) of " + c.name + ", the one served now last (from " +
              c.versions.back().source + ")",
          stored->has_value());
      certs_to_store.push_back(&c);
    }
    for (const auto& [path, secret] : c.credentials) {
      Same cmp = compare_file(path, secret.view());
      if (cmp == Same::yes) {
        add("unchanged", path, "credential");
      } else {
        add("write", path, "TSIG secret (0600)", cmp == Same::differs);
        credentials.emplace_back(path, &secret);
      }
    }
    if (c.config.kind == ConfigValue::Kind::null) continue;
    const std::string path = o.config_dir + "/certs.d/" + c.name + ".yaml";
    std::string text = config::to_yaml(c.config, c.header);
    // What is written must be a certificate acmed reads back (the readers checked it).
    auto back = config::parse_yaml(text, path);
    if (!back) return fail(back.error().with_context("the configuration to write for " + c.name));
    if (auto r = config::parse_certificate(*back, c.name, path); !r)
      return fail(r.error().with_context("the configuration to write for " + c.name));
    Same cmp = compare_file(path, text);
    if (cmp == Same::yes) {
      add("unchanged", path, "configuration");
    } else {
      add("write", path, "configuration", cmp == Same::differs);
      configs.emplace_back(path, std::move(text));
    }
  }

  std::vector<Action> out;
  std::string conflicts;
  for (const auto& s : steps) {
    out.push_back(s.action);
    if (s.conflict) conflicts += "\n  " + s.action.target + ": " + s.action.detail;
  }
  if (!conflicts.empty() && !o.force)
    return fail(Errc::invalid_argument, "nothing written: these exist already and differ (--force replaces them; "
                                        "an account is retired, never deleted):" + conflicts);
  if (o.dry_run) return out;

  // Account first, then certificates, then the files that make acmed renew them.
  for (const Account* a : accounts_to_write) {
    const std::string ca = storage::ca_id(a->directory_url);
    auto url = store.load_account_url(ca);
    auto held = store.load_account(ca);
    if ((url && *url) || (held && *held))
      if (auto retired = store.retire_account(ca); !retired) return fail(retired.error());
    if (auto r = store.save_account_key(ca, a->key_pem); !r) return fail(r.error());
    if (auto r = store.save_account_url(ca, a->url); !r) return fail(r.error());
    if (auto r = store.save_account_thumbprint(ca, a->thumbprint); !r) return fail(r.error());
  }
  for (const Certificate* c : certs_to_store)
    for (const auto& v : c->versions)
      if (auto r = store.save_certificate(c->name, v.fullchain_pem, v.key_pem); !r)
        return fail(r.error().with_context("storing " + v.source));
  for (const auto& [path, secret] : credentials) {
    if (auto r = ensure_dir(std::filesystem::path(path).parent_path().string(), 0750); !r) return fail(r.error());
    if (auto r = write_config_file(path, secret->view(), 0600); !r) return fail(r.error());
  }
  if (auto r = ensure_dir(o.config_dir + "/certs.d", 0750); !r) return fail(r.error());
  for (const auto& [path, text] : configs)
    if (auto r = write_config_file(path, text, 0640); !r) return fail(r.error());
  if (!global_text.empty())
    if (auto r = write_config_file(global, global_text, 0640); !r) return fail(r.error());
  return out;
}

}  // namespace acmed::import
