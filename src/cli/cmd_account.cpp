#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <iostream>
#include <sstream>

#include "acmed/app/persist.hpp"
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

int with_session(const GlobalOptions& g, bool allow_register,
                 const std::function<Result<void>(Session&)>& action) {
  auto session = open_session(g);
  if (!session) return report(session.error());
  if (auto r = (*session)->ensure_account(allow_register); !r) return report(r.error());
  if (auto r = action(**session); !r) return report(r.error());
  return exit_ok;
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
        if (*reg_new) {
          auto session = open_session(g);
          if (!session) {
            rc = report(session.error());
            return;
          }
          Session& s = **session;
          {
            auto lock = s.store().lock_accounts();
            if (!lock) {
              rc = report(lock.error());
              return;
            }
            auto kept = s.store().retire_account(s.ca());
            if (!kept) {
              rc = report(kept.error());
              return;
            }
            if (!kept->empty()) spdlog::warn("the previous account (key and URL) is kept in {}", *kept);
            if (auto r = s.ensure_account(true); !r) {
              rc = report(r.error());
              return;
            }
          }
          std::cout << *s.client().account_url() << "\n";
          auto certs = app::persist_certificates(g.config_dir);
          if (!certs.empty()) {
            std::cout << "; NEW ACCOUNT: republish the _validation-persist records of " << joined(certs)
                      << "; records naming the old account no longer authorize this one.\n";
            print_records_to_publish(g, certs);
          }
          rc = exit_ok;
          return;
        }
        if (!reg_uri->empty()) {
          auto session = open_session(g);
          if (!session) {
            rc = report(session.error());
            return;
          }
          if (auto r = (*session)->register_token_account(*reg_uri); !r) {
            rc = report(r.error());
            return;
          }
          std::cout << *(*session)->client().account_url() << "\n";
          rc = exit_ok;
          return;
        }
        rc = with_session(g, true, [&g](Session& s) -> Result<void> {
          if (g.json) std::cout << nlohmann::json{{"url", *s.client().account_url()}}.dump() << "\n";
          else std::cout << *s.client().account_url() << "\n";
          return {};
        });
      });

  cmd->add_subcommand("show", "Show the account as the CA sees it")->callback([&g, &rc] {
    rc = with_session(g, false, [&g](Session& s) -> Result<void> {
      auto a = s.client().fetch_account();
      if (!a) return fail(a.error());
      const bool token = !s.key_uri().empty();
      const std::string key = token ? s.key_uri() : s.store().account_dir(s.ca()) + "/private_key.pem";
      // The account key is what a DNS-PERSIST-01 record trusts: say where it is, and
      // warn loudly if anyone but its owner can read it.
      struct stat st {};
      std::string warning;
      if (!token && ::stat(key.c_str(), &st) == 0 && (st.st_mode & 0077))
        warning = "account key " + key + " is readable by group or others; run: chmod 600 " + key;
      if (!warning.empty()) spdlog::warn("{}", warning);
      if (g.json) {
        std::cout << nlohmann::json{{"url", a->url}, {"status", a->status}, {"contact", a->contact}, {"key", key},
                                    {"key_storage", token ? "pkcs11" : "file"}, {"key_warning", warning}}
                         .dump(2)
                  << "\n";
        return {};
      }
      std::cout << "url: " << a->url << "\nstatus: " << a->status << "\nkey: " << key
                << (token ? " (PKCS#11 token: acmed never holds the private key)"
                          : warning.empty() ? " (file, mode 0600)" : " (file, READABLE BY OTHERS)")
                << "\n";
      for (const auto& c : a->contact) std::cout << "contact: " << c << "\n";
      return {};
    });
  });

  auto contacts = std::make_shared<std::vector<std::string>>();
  auto* update = cmd->add_subcommand("update", "Replace the account's contact addresses");
  update->add_option("--contact", *contacts, "e-mail address (repeatable; none clears)");
  update->callback([&g, &rc, contacts] {
    rc = with_session(g, false, [contacts](Session& s) -> Result<void> {
      std::vector<std::string> c;
      for (const auto& x : *contacts) c.push_back(x.find(':') == std::string::npos ? "mailto:" + x : x);
      auto a = s.client().update_contact(c);
      if (!a) return fail(a.error());
      spdlog::info("account contacts updated ({} address(es))", a->contact.size());
      return {};
    });
  });

  auto key_type = std::make_shared<std::string>();
  auto key_uri = std::make_shared<std::string>();
  auto* rollover = cmd->add_subcommand("rollover", "Replace the account key (RFC 8555 keyChange); the account URL stays");
  rollover->add_option("--key-type", *key_type, "type of a new file key (default: account.key_type)");
  rollover->add_option("--key-uri", *key_uri, "move the account key into a PKCS#11 token key (pkcs11:...)");
  rollover->callback([&g, &rc, key_type, key_uri] {
    rc = with_session(g, false, [&g, key_type, key_uri](Session& s) -> Result<void> {
      // Draft -02 records hash the account key: after the rollover they need republishing.
      auto after = [&g, &s]() -> Result<void> {
        auto dir = s.client().directory();
        auto certs = app::persist_certificates(g.config_dir);
        if (!dir || certs.empty()) return {};
        if (!dir->meta.account_hash_prefix) {
          spdlog::info("the CA speaks dns-persist-01 draft -01: records name the account URL, which a rollover "
                       "keeps, so nothing needs republishing");
          return {};
        }
        std::cout << "; The CA speaks dns-persist-01 draft -02: its records are hashes over the account key.\n"
                  << "; Hashed records made with the old key keep validating until the account is deactivated,\n"
                  << "; but republish these (certificates " << joined(certs) << "), then remove the old values\n"
                  << "; ('acmed persist check NAME' shows which records still need it):\n";
        print_records_to_publish(g, certs);
        return {};
      };
      if (!key_uri->empty()) {
        if (auto r = s.rollover_to_token(*key_uri); !r) return r;
        spdlog::info("account key rolled over to the token key {}; the previous file key is kept as "
                     "private_key.old.pem",
                     *key_uri);
        return after();
      }
      KeyType t = s.config().account.key_type;
      if (!key_type->empty()) {
        auto parsed = parse_key_type(*key_type);
        if (!parsed) return fail(Errc::config, parsed.error().message);
        t = *parsed;
      }
      if (auto r = s.rollover_account_key(t); !r) return r;
      spdlog::info("account key rolled over to a new {} key; the previous key is kept as private_key.old.pem",
                   to_string(t));
      return after();
    });
  });

  auto* deactivate = cmd->add_subcommand("deactivate", "Permanently deactivate the account (emergency stop)");
  auto confirm = std::make_shared<bool>(false);
  deactivate->add_flag("--yes-really", *confirm, "confirm: a deactivated account can never be used again");
  deactivate->callback([&g, &rc, confirm] {
    if (!*confirm) {
      rc = report(Error(Errc::config, "account deactivation is permanent; repeat with --yes-really"));
      return;
    }
    auto certs = app::persist_certificates(g.config_dir);
    if (!certs.empty())
      spdlog::warn("deactivating: every _validation-persist record naming this account stops validating at once "
                   "(certificates {}); they cannot renew until a new account is registered and its records are "
                   "published",
                   joined(certs));
    rc = with_session(g, false, [](Session& s) -> Result<void> {
      auto a = s.client().deactivate_account();
      if (!a) return fail(a.error());
      spdlog::warn("account {} is now {}", a->url, a->status);
      return {};
    });
  });
}

}  // namespace acmed::cli
