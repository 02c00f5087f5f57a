// SPDX-License-Identifier: Apache-2.0
// acmed account register|show|update|rollover|deactivate: prints what acmed::app's
// account operations (app/account.hpp) return.
#include <spdlog/spdlog.h>

#include <iostream>
#include <sstream>

#include "acmed/app/account.hpp"
#include "commands.hpp"
#include "persist_view.hpp"

namespace acmed::cli {
namespace {

/// After the account changed (new key or new account): the records every
/// dns-persist-01 certificate must publish now, in zone-file form.
void print_records_to_publish(const GlobalOptions& g, const std::vector<std::string>& certs) {
  for (const auto& name : certs) {
    std::ostringstream out;
    if (persist_records_text(g, name, "zone", out) == exit_ok) std::cout << out.str();
    else std::cout << "; " << name << ": the records could not be generated (see the error above)\n";
  }
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

/// Opens the session, loads (or registers) the account and runs `action`; returns the exit code.
int with_session(const GlobalOptions& g, bool load_account, bool allow_register,
                 const std::function<Result<void>(Session&)>& action) {
  auto session = open_session(g);
  if (!session) return report(session.error());
  if (load_account)
    if (auto r = (*session)->ensure_account(allow_register); !r) return report(r.error());
  if (auto r = action(**session); !r) return report(r.error());
  return exit_ok;
}

Result<void> show(const GlobalOptions& g, Session& s) {
  auto a = app::describe_account(s);
  if (!a) return fail(a.error());
  if (!a->key_warning.empty()) spdlog::warn("{}", a->key_warning);
  if (g.json) {
    std::cout << nlohmann::json{{"url", a->account.url},       {"status", a->account.status},
                                {"contact", a->account.contact}, {"key", a->key},
                                {"key_storage", a->in_token ? "pkcs11" : "file"}, {"key_warning", a->key_warning}}
                     .dump(2)
              << "\n";
    return {};
  }
  std::cout << "url: " << a->account.url << "\nstatus: " << a->account.status << "\nkey: " << a->key
            << (a->in_token ? " (PKCS#11 token: acmed never holds the private key)"
                : a->key_warning.empty() ? " (file, mode 0600)"
                                         : " (file, READABLE BY OTHERS)")
            << "\n";
  for (const auto& c : a->account.contact) std::cout << "contact: " << c << "\n";
  return {};
}

Result<void> rollover(const GlobalOptions& g, Session& s, const std::string& key_type, const std::string& key_uri) {
  app::RolloverRequest req{std::nullopt, key_uri};
  if (!key_type.empty()) {
    auto parsed = parse_key_type(key_type);
    if (!parsed) return fail(Errc::config, parsed.error().message);
    req.type = *parsed;
  }
  auto rolled = app::roll_account_key(s, req);
  if (!rolled) return fail(rolled.error());
  if (key_uri.empty())
    spdlog::info("account key rolled over to a new {} key; the previous key is kept as private_key.old.pem", rolled->key);
  else
    spdlog::info("account key rolled over to the token key {}; the previous file key is kept as private_key.old.pem",
                 rolled->key);
  if (rolled->certificates.empty()) return {};
  if (!rolled->republish) {
    spdlog::info("the CA speaks dns-persist-01 draft -01: records name the account URL, which a rollover "
                 "keeps, so nothing needs republishing");
    return {};
  }
  std::cout << "; The CA speaks dns-persist-01 draft -02: its records are hashes over the account key.\n"
            << "; Hashed records made with the old key keep validating until the account is deactivated,\n"
            << "; but republish these (certificates " << joined(rolled->certificates) << "), then remove the old values\n"
            << "; ('acmed persist check NAME' shows which records still need it):\n";
  print_records_to_publish(g, rolled->certificates);
  return {};
}

}  // namespace

void add_account_command(CLI::App& app, GlobalOptions& g, int& rc) {
  auto* cmd = app.add_subcommand("account", "Account lifecycle at the configured CA");
  cmd->require_subcommand(1);

  auto reg_uri = std::make_shared<std::string>();
  auto reg_new = std::make_shared<bool>(false);
  auto* reg = cmd->add_subcommand("register", "Create the account (or find the existing one for the stored key)");
  reg->add_option("--key-uri", *reg_uri, "keep the account key in a PKCS#11 token (pkcs11:token=...;object=...)");
  reg->add_flag("--new", *reg_new,
                "register a NEW account even though one is stored (the old one is kept aside); every "
                "DNS-PERSIST-01 record must then be republished, and the records are printed");
  reg->callback([&g, &rc, reg_uri, reg_new] {
    rc = with_session(g, !*reg_new && reg_uri->empty(), true, [&g, reg_uri, reg_new](Session& s) -> Result<void> {
      if (*reg_new) {
        auto made = app::register_new_account(s);
        if (!made) return fail(made.error());
        std::cout << made->url << "\n";
        if (!made->republish.empty()) {
          std::cout << "; NEW ACCOUNT: republish the _validation-persist records of " << joined(made->republish)
                    << "; records naming the old account no longer authorize this one.\n";
          print_records_to_publish(g, made->republish);
        }
        return {};
      }
      if (!reg_uri->empty())
        if (auto r = s.register_token_account(*reg_uri); !r) return r;
      if (g.json && reg_uri->empty()) std::cout << nlohmann::json{{"url", *s.client().account_url()}}.dump() << "\n";
      else std::cout << *s.client().account_url() << "\n";
      return {};
    });
  });

  cmd->add_subcommand("show", "Show the account as the CA sees it")->callback([&g, &rc] {
    rc = with_session(g, true, false, [&g](Session& s) { return show(g, s); });
  });

  auto contacts = std::make_shared<std::vector<std::string>>();
  auto* update = cmd->add_subcommand("update", "Replace the account's contact addresses");
  update->add_option("--contact", *contacts, "e-mail address (repeatable; none clears)");
  update->callback([&g, &rc, contacts] {
    rc = with_session(g, true, false, [contacts](Session& s) -> Result<void> {
      auto a = s.client().update_contact(app::contact_uris(*contacts));
      if (!a) return fail(a.error());
      spdlog::info("account contacts updated ({} address(es))", a->contact.size());
      return {};
    });
  });

  auto key_type = std::make_shared<std::string>();
  auto key_uri = std::make_shared<std::string>();
  auto* roll = cmd->add_subcommand("rollover", "Replace the account key (RFC 8555 keyChange); the account URL stays");
  roll->add_option("--key-type", *key_type, "type of a new file key (default: account.key_type)");
  roll->add_option("--key-uri", *key_uri, "move the account key into a PKCS#11 token key (pkcs11:...)");
  roll->callback([&g, &rc, key_type, key_uri] {
    rc = with_session(g, true, false, [&](Session& s) { return rollover(g, s, *key_type, *key_uri); });
  });

  auto* deactivate = cmd->add_subcommand("deactivate", "Permanently deactivate the account (emergency stop)");
  auto confirm = std::make_shared<bool>(false);
  deactivate->add_flag("--yes-really", *confirm, "confirm: a deactivated account can never be used again");
  deactivate->callback([&g, &rc, confirm] {
    if (!*confirm) {
      rc = report(Error(Errc::config, "account deactivation is permanent; repeat with --yes-really"));
      return;
    }
    if (auto certs = app::persist_certificates(g.config_dir); !certs.empty())
      spdlog::warn("deactivating: every _validation-persist record naming this account stops validating at once "
                   "(certificates {}); they cannot renew until a new account is registered and its records are "
                   "published",
                   joined(certs));
    rc = with_session(g, true, false, [](Session& s) -> Result<void> {
      auto a = s.client().deactivate_account();
      if (!a) return fail(a.error());
      spdlog::warn("account {} is now {}", a->url, a->status);
      return {};
    });
  });
}

}  // namespace acmed::cli
