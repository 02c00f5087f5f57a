// SPDX-License-Identifier: Apache-2.0
#include "app.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <unistd.h>

#include <filesystem>

#include "acmed/app/account.hpp"
#include "acmed/app/status.hpp"
#include "acmed/core/version.hpp"
#include "acmed/dns/ldns_resolver.hpp"
#include "acmed/core/base64.hpp"
#include "acmed/storage/file_store.hpp"
#include "acmed/storage/pg_store.hpp"
#include "acmed/transport/beast_client.hpp"
#include "acmed/transport/shared_client.hpp"
#include "builtin_solvers.hpp"

namespace acmed::cli {
namespace {

Result<std::unique_ptr<dns::Resolver>> make_resolver(const config::DnsConfig& cfg) {
  dns::ResolverOptions o;
  o.timeout = cfg.timeout;
  o.dnssec = cfg.dnssec == "on"    ? dns::DnssecMode::on
             : cfg.dnssec == "off" ? dns::DnssecMode::off
                                   : dns::DnssecMode::automatic;
  if (!cfg.trust_anchor.empty()) o.trust_anchor_file = cfg.trust_anchor;
  for (const auto& r : cfg.resolvers) {
    auto server = dns::parse_server(r);
    if (!server) return fail(server.error().with_context("dns.resolvers"));
    o.recursive.push_back(*server);
  }
  return dns::make_ldns_resolver(std::move(o));
}

/// The built-in solvers, registered once per process and shared by every session.
Result<const solver::SolverRegistry*> builtin_solvers() {
  static const Result<std::unique_ptr<solver::SolverRegistry>> made = []() -> Result<std::unique_ptr<solver::SolverRegistry>> {
    auto registry = std::make_unique<solver::SolverRegistry>();
    if (auto r = register_builtin_solvers(*registry); !r) return fail(r.error());
    return registry;
  }();
  if (!made) return fail(made.error());
  return made->get();
}

}  // namespace

namespace {

/// A secret from a file (0600) or a systemd credential ($CREDENTIALS_DIRECTORY/NAME).
Result<Secret> state_secret(const std::string& file, const std::string& credential, const std::string& what) {
  if (!credential.empty()) {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (!dir || !*dir)
      return fail(Errc::config, "state." + what + "_credential '" + credential +
                                    "' needs $CREDENTIALS_DIRECTORY (systemd LoadCredential=" + credential + ":PATH)");
    if (credential.find('/') != std::string::npos)
      return fail(Errc::config, "state." + what + "_credential must be a plain name");
    return read_secret_file(std::string(dir) + "/" + credential);
  }
  return read_secret_file(file);
}

}  // namespace

Result<std::unique_ptr<storage::StateStore>> make_store(const GlobalOptions& opts, const config::GlobalConfig& cfg) {
  if (cfg.state.backend != "postgresql") return std::unique_ptr<storage::StateStore>(new storage::FileStateStore(opts.state_dir));
  storage::PgOptions o;
  auto dsn = state_secret(cfg.state.dsn_file, cfg.state.dsn_credential, "dsn");
  if (!dsn) return fail(dsn.error().with_context("the PostgreSQL connection string"));
  o.dsn = std::move(*dsn);
  auto key = state_secret(cfg.state.key_file, cfg.state.key_credential, "key");
  if (!key) return fail(key.error().with_context("the state encryption key"));
  // Base64 text only: raw bytes could end in a newline, which credential reading trims.
  auto raw = base64_decode(key->view());
  if (!raw || raw->size() != 32)
    return fail(Errc::config, "the state encryption key must be 32 bytes in base64 (openssl rand -base64 32)");
  o.key = Secret(std::move(*raw));
  o.node = cfg.state.node;
  if (o.node.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0 || !*host) return fail(Errc::config, "set state.node: no host name");
    o.node = host;
  }
  o.local_root = opts.state_dir;
  auto store = storage::PgStateStore::open(std::move(o));
  if (!store) return fail(store.error());
  return std::unique_ptr<storage::StateStore>(std::move(*store));
}

std::unique_ptr<storage::StateStore> store_for_views(const GlobalOptions& opts) {
  auto cfg = load_config(opts);
  auto store = cfg ? make_store(opts, *cfg) : Result<std::unique_ptr<storage::StateStore>>(fail(cfg.error()));
  if (store) return std::move(*store);
  spdlog::error("{}; showing this node's state directory instead", store.error().describe());
  return std::make_unique<storage::FileStateStore>(opts.state_dir);
}

Result<config::GlobalConfig> load_config(const GlobalOptions& opts) {
  config::GlobalConfig cfg;
  std::string path = opts.config_dir + "/acmed.yaml";
  if (std::filesystem::exists(path)) {
    auto loaded = config::load_global(path);
    if (!loaded) return fail(loaded.error());
    cfg = std::move(*loaded);
  }
  return cfg;
}

std::vector<std::string> global_config_errors(const GlobalOptions& opts) {
  if (auto problem = app::config_dir_problem(opts.config_dir)) return {*problem};
  if (auto cfg = load_config(opts); !cfg) return {cfg.error().describe()};
  return {};
}

int exit_code_for(const Error& e) { return e.code == Errc::config ? exit_config : exit_failure; }

int report(const Error& e) {
  spdlog::error("{}", e.describe());
  return exit_code_for(e);
}

Result<std::unique_ptr<Session>> open_session(const GlobalOptions& opts) {
  const std::string path = opts.config_dir + "/acmed.yaml";
  auto loaded = load_config(opts);
  if (!loaded) return fail(loaded.error());
  config::GlobalConfig cfg = std::move(*loaded);
  if (!opts.server.empty()) {
    auto url = config::resolve_directory(opts.server);
    if (!url) return fail(url.error().with_context("--server"));
    cfg.ca.directory_url = *url;
  }
  if (!opts.ca_bundle.empty()) cfg.ca.trust_bundle = opts.ca_bundle;
  if (!opts.dns_resolvers.empty()) cfg.dns.resolvers = opts.dns_resolvers;
  if (opts.agree_tos) cfg.account.agree_tos = true;
  for (const auto& c : app::contact_uris(opts.contact)) cfg.account.contact.push_back(c);
  if (cfg.ca.directory_url.empty())
    return fail(Errc::config, "no CA configured: set 'ca.directory' in " + path + " or pass --server URL");

  transport::HttpClientOptions http_opts;
  http_opts.ca_bundle = cfg.ca.trust_bundle;
  http_opts.user_agent = std::string("acmed/") + version;
  auto first = transport::make_beast_client(http_opts);  // a bad CA bundle fails here, before any work
  if (!first) return fail(first.error());
  // One client for every worker of the run: ca.max_in_flight connections at most.
  auto http = std::make_unique<transport::SharedHttpClient>(std::move(*first), transport::make_beast_client, http_opts,
                                                            static_cast<std::size_t>(cfg.ca.max_in_flight));
  auto solvers = builtin_solvers();
  if (!solvers) return fail(solvers.error());

  auto store = make_store(opts, cfg);
  if (!store) return fail(store.error());
  app::SessionParts parts;
  parts.config = std::move(cfg);
  parts.config_dir = opts.config_dir;
  parts.work_dir = opts.state_dir + "/solvers";
  parts.http = std::move(http);
  parts.store = std::move(*store);
  parts.make_resolver = make_resolver;
  parts.solvers = *solvers;
  parts.dns_provider_settings = builtin_dns_provider_settings();
  return std::make_unique<Session>(std::move(parts));
}

}  // namespace acmed::cli
