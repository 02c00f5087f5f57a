#include "app.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <filesystem>

#include "acmed/core/version.hpp"
#include "acmed/dns/ldns_resolver.hpp"
#include "acmed/transport/beast_client.hpp"

namespace acmed::cli {

int exit_code_for(const Error& e) { return e.code == Errc::config ? exit_config : exit_failure; }

int report(const Error& e) {
  spdlog::error("{}", e.describe());
  return exit_code_for(e);
}

Result<std::unique_ptr<Session>> Session::open(const GlobalOptions& opts) {
  config::GlobalConfig cfg;
  std::string path = opts.config_dir + "/acmed.yaml";
  if (std::filesystem::exists(path)) {
    auto loaded = config::load_global(path);
    if (!loaded) return fail(loaded.error());
    cfg = std::move(*loaded);
  }
  if (!opts.server.empty()) {
    auto url = config::resolve_directory(opts.server);
    if (!url) return fail(url.error().with_context("--server"));
    cfg.ca.directory_url = *url;
  }
  if (!opts.ca_bundle.empty()) cfg.ca.trust_bundle = opts.ca_bundle;
  if (!opts.dns_resolvers.empty()) cfg.dns.resolvers = opts.dns_resolvers;
  if (opts.agree_tos) cfg.account.agree_tos = true;
  for (const auto& c : opts.contact) cfg.account.contact.push_back(c.find(':') == std::string::npos ? "mailto:" + c : c);
  if (cfg.ca.directory_url.empty())
    return fail(Errc::config, "no CA configured: set 'ca.directory' in " + path + " or pass --server URL");

  std::unique_ptr<Session> s(new Session(std::move(cfg), opts.state_dir));
  s->ca_id_ = storage::ca_id(s->config_.ca.directory_url);
  transport::HttpClientOptions http_opts;
  http_opts.ca_bundle = s->config_.ca.trust_bundle;
  http_opts.user_agent = std::string("acmed/") + version;
  auto http = transport::make_beast_client(http_opts);
  if (!http) return fail(http.error());
  s->http_ = std::move(*http);
  s->client_ = std::make_unique<acme::Client>(*s->http_, acme::ClientOptions{s->config_.ca.directory_url});
  return s;
}

Result<dns::Resolver*> Session::resolver() {
  if (resolver_) return resolver_.get();
  dns::ResolverOptions o;
  o.timeout = config_.dns.timeout;
  o.dnssec = config_.dns.dnssec == "on"    ? dns::DnssecMode::on
             : config_.dns.dnssec == "off" ? dns::DnssecMode::off
                                           : dns::DnssecMode::automatic;
  if (!config_.dns.trust_anchor.empty()) o.trust_anchor_file = config_.dns.trust_anchor;
  for (const auto& r : config_.dns.resolvers) {
    auto server = dns::parse_server(r);
    if (!server) return fail(server.error().with_context("dns.resolvers"));
    o.recursive.push_back(*server);
  }
  auto made = dns::make_ldns_resolver(std::move(o));
  if (!made) return fail(made.error());
  resolver_ = std::move(*made);
  return resolver_.get();
}

Result<void> Session::ensure_account(bool allow_register) {
  if (account_key_ && client_->account_url()) return {};
  auto stored = store_.load_account(ca_id_);
  if (!stored) return fail(stored.error());
  if (store_.has_pending_account_key(ca_id_))
    spdlog::warn("{}/private_key.next.pem exists: an earlier key rollover was interrupted; if the CA rejects "
                 "the current key, move that file to private_key.pem",
                 store_.account_dir(ca_id_));
  if (*stored) {
    auto key = (*stored)->key_uri ? load_token_key(*(*stored)->key_uri) : PrivateKey::from_pem((*stored)->key_pem.view());
    if (!key) return fail(key.error().with_context("account key in " + store_.account_dir(ca_id_)));
    account_key_.emplace(std::move(*key));
    if ((*stored)->url) {
      client_->set_account(&*account_key_, (*stored)->url);
      note_thumbprint();
      return {};
    }
    // A key without a URL: an earlier registration was interrupted. Ask the CA.
    client_->set_account(&*account_key_, std::nullopt);
    auto found = client_->find_account();
    if (found) return store_.save_account_url(ca_id_, found->url);
    if (!found.error().is_acme("accountDoesNotExist")) return fail(found.error());
  } else {
    if (!allow_register) return fail(Errc::not_found, "no account for " + config_.ca.directory_url + " yet; run 'acmed account register'");
    auto key = PrivateKey::generate(config_.account.key_type);
    if (!key) return fail(key.error());
    // Persist the key before the CA knows it, so a crash can never lose a registered key.
    if (auto r = store_.save_account_key(ca_id_, key->to_pem()); !r) return r;
    account_key_.emplace(std::move(*key));
    fresh_key_ = true;
    client_->set_account(&*account_key_, std::nullopt);
  }
  if (!allow_register) return fail(Errc::not_found, "the CA has no account for the stored key");
  return register_account();
}

Result<void> Session::register_account() {
  auto dir = client_->directory();
  if (!dir) return fail(dir.error());
  if (dir->meta.terms_of_service && !config_.account.agree_tos)
    return fail(Errc::config, "the CA requires agreeing to its terms of service (" + *dir->meta.terms_of_service +
                                  "); set 'account.agree_tos: true' in acmed.yaml or pass --agree-tos");
  acme::NewAccountOptions opts;
  opts.contact = config_.account.contact;
  opts.terms_of_service_agreed = config_.account.agree_tos;
  if (config_.account.eab) {
    auto hmac_key = read_secret_file(config_.account.eab->hmac_key_file);
    if (!hmac_key) return fail(hmac_key.error().with_context("EAB HMAC key"));
    opts.eab = acme::ExternalAccountBinding{config_.account.eab->key_id, std::string(hmac_key->view()),
                                            config_.account.eab->algorithm};
  }
  auto acct = client_->new_account(opts);
  if (!acct) {
    Error e = acct.error();
    if (e.is_acme("badPublicKey") || e.is_acme("badSignatureAlgorithm")) {
      // The CA refuses this kind of key. It was never registered, so it can go; the
      // next run generates a key of the configured type instead of reusing this one.
      if (fresh_key_) (void)store_.discard_unregistered_account_key(ca_id_);
      e = e.with_context("the CA does not accept " + to_string(account_key_->type()) +
                         " account keys; set 'account.key_type' to ec-p256 (the default)");
    }
    return fail(std::move(e));
  }
  spdlog::info("account registered: {}", acct->url);
  if (auto r = store_.save_account_url(ca_id_, acct->url); !r) return r;
  note_thumbprint();
  return {};
}

void Session::note_thumbprint() {
  if (!account_key_) return;
  const std::string tp = account_key_->thumbprint();
  auto stored = store_.load_account_thumbprint(ca_id_);
  if (stored && *stored == tp) return;
  if (auto r = store_.save_account_thumbprint(ca_id_, tp); !r)
    spdlog::warn("cannot record the account key's thumbprint ({}); acmed serve will load the key to show "
                 "draft -02 records",
                 r.error().describe());
}

Result<PrivateKey> Session::load_token_key(const std::string& uri) const {
  Secret pin;
  if (!config_.account.pkcs11_pin_file.empty()) {
    auto p = read_secret_file(config_.account.pkcs11_pin_file);
    if (!p) return fail(p.error().with_context("account.pkcs11.pin_file"));
    pin = std::move(*p);
  }
  return PrivateKey::from_pkcs11(uri, config_.account.pkcs11_module, pin);
}

Result<void> Session::register_token_account(const std::string& uri) {
  auto stored = store_.load_account(ca_id_);
  if (!stored) return fail(stored.error());
  if (*stored) return fail(Errc::config, "an account for this CA already exists in " + store_.account_dir(ca_id_) +
                                             "; move it to a token with 'acmed account rollover --key-uri'");
  auto key = load_token_key(uri);
  if (!key) return fail(key.error());
  // Record where the key lives before the CA hears of it.
  if (auto r = store_.commit_token_key(ca_id_, uri); !r) return r;
  account_key_.emplace(std::move(*key));
  client_->set_account(&*account_key_, std::nullopt);
  return register_account();
}

Result<void> Session::rollover_to_token(const std::string& uri) {
  auto next = load_token_key(uri);
  if (!next) return fail(next.error());
  // Draft -02 CAs keep accepting records hashed with the old key: remember it first.
  if (auto r = store_.add_earlier_thumbprint(ca_id_, account_key_->thumbprint()); !r) return r;
  if (auto r = client_->rollover_key(*next); !r) return fail(r.error());
  previous_key_.emplace(std::move(*account_key_));
  account_key_.emplace(std::move(*next));
  client_->set_account(&*account_key_, client_->account_url());
  if (auto c = store_.commit_token_key(ca_id_, uri); !c)
    return fail(c.error().with_context("the CA switched to the token key " + uri + "; record it in key_uri by hand"));
  note_thumbprint();
  return {};
}

Result<void> Session::rollover_account_key(KeyType type) {
  auto next = PrivateKey::generate(type);
  if (!next) return fail(next.error());
  if (auto r = store_.save_pending_account_key(ca_id_, next->to_pem()); !r) return r;
  // Draft -02 CAs keep accepting records hashed with the old key: remember it first.
  if (auto r = store_.add_earlier_thumbprint(ca_id_, account_key_->thumbprint()); !r) return r;
  auto r = client_->rollover_key(*next);
  if (!r) {
    (void)store_.discard_pending_account_key(ca_id_);
    return fail(r.error());
  }
  // The CA now knows only the new key; the client signs with it from here on.
  previous_key_.emplace(std::move(*account_key_));
  account_key_.emplace(std::move(*next));
  client_->set_account(&*account_key_, client_->account_url());
  if (auto c = store_.commit_pending_account_key(ca_id_); !c)
    return fail(c.error().with_context("the CA switched to the new key, which is in private_key.next.pem"));
  note_thumbprint();
  return {};
}

Result<void> Session::recover_account() {
  spdlog::warn("the CA does not know the stored account URL; registering the stored key again");
  if (auto r = store_.forget_account_url(ca_id_); !r) return r;
  client_->set_account(&*account_key_, std::nullopt);
  return register_account();
}

}  // namespace acmed::cli
