// SPDX-License-Identifier: Apache-2.0
// acmed import: the parsers of certbot's and lego's files, the mapping of certbot
// renewal settings to certs.d, and apply()'s rules (dry run, no overwrite, retire).
// The real certbot and lego trees are covered by tests/e2e/import.sh.
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "acmed/core/base64.hpp"
#include "acmed/core/files.hpp"
#include "acmed/import/import.hpp"
#include "acmed/storage/file_store.hpp"
#include "test_certs.hpp"
#include "temp_dir.hpp"

using namespace acmed;
namespace fs = std::filesystem;

namespace {

std::string bn_member(EVP_PKEY* k, const char* name) {
  BIGNUM* bn = nullptr;
  REQUIRE(EVP_PKEY_get_bn_param(k, name, &bn) == 1);
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_clear_free(bn);
  return base64url_encode(out);
}

/// The private JWK certbot writes (josepy's JWKRSA / JWKEC member names).
nlohmann::json private_jwk(const PrivateKey& key) {
  auto* k = static_cast<EVP_PKEY*>(key.native_handle_for_internal_use());
  nlohmann::json j;
  if (key.type() == KeyType::rsa2048) {
    j = {{"kty", "RSA"},
         {"n", bn_member(k, OSSL_PKEY_PARAM_RSA_N)},
         {"e", bn_member(k, OSSL_PKEY_PARAM_RSA_E)},
         {"d", bn_member(k, OSSL_PKEY_PARAM_RSA_D)},
         {"p", bn_member(k, OSSL_PKEY_PARAM_RSA_FACTOR1)},
         {"q", bn_member(k, OSSL_PKEY_PARAM_RSA_FACTOR2)},
         {"dp", bn_member(k, OSSL_PKEY_PARAM_RSA_EXPONENT1)},
         {"dq", bn_member(k, OSSL_PKEY_PARAM_RSA_EXPONENT2)},
         {"qi", bn_member(k, OSSL_PKEY_PARAM_RSA_COEFFICIENT1)}};
  } else if (key.type() == KeyType::ed25519) {
    j = {{"kty", "OKP"}, {"crv", "Ed25519"}};
    for (const auto& [name, value] : key.jwk_members())
      if (name == "x") j[name] = value;
    std::string raw(32, '\0');
    std::size_t len = raw.size();
    REQUIRE(EVP_PKEY_get_raw_private_key(k, reinterpret_cast<unsigned char*>(raw.data()), &len) == 1);
    j["d"] = base64url_encode(raw);
  } else {
    const int width = key.type() == KeyType::ec_p384 ? 48 : 32;
    j = {{"kty", "EC"}, {"crv", width == 48 ? "P-384" : "P-256"}};
    for (const auto& [name, value] : key.jwk_members())
      if (name == "x" || name == "y") j[name] = value;
    BIGNUM* d = nullptr;
    REQUIRE(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1);
    std::string raw(static_cast<std::size_t>(width), '\0');
    BN_bn2binpad(d, reinterpret_cast<unsigned char*>(raw.data()), width);
    BN_clear_free(d);
    j["d"] = base64url_encode(raw);
  }
  return j;
}

void put(const std::string& path, const std::string& text, unsigned mode = 0644) {
  REQUIRE(ensure_dir(fs::path(path).parent_path().string(), 0755));
  REQUIRE(write_file_atomic(path, text, mode));
}

/// A certbot tree with one lineage NAME (versions 1 and 2, live at 2) on `ca`.
struct CertbotTree {
  test::TempDir dir;
  std::string ca = "https://ca.example/directory";
  std::string account_id = "0123abcd";
  std::string account_url = "https://ca.example/acct/17";
  PrivateKey account_key = *PrivateKey::generate(KeyType::rsa2048);

  CertbotTree() {
    const std::string acct = dir.path() + "/accounts/ca.example/directory/" + account_id;
    put(acct + "/private_key.json", private_jwk(account_key).dump(), 0400);
    put(acct + "/regr.json", nlohmann::json{{"body", nlohmann::json::object()}, {"uri", account_url}}.dump());
  }
  void lineage(const std::string& name, const std::string& renewalparams, int live = 2) {
    for (int v = 1; v <= 2; ++v) {
      auto key = *PrivateKey::generate(KeyType::ec_p256);
      test::CertSpec leaf{.subject_cn = name, .dns_names = {name, "www." + name}};
      leaf.serial_hex = "0" + std::to_string(v);
      put(dir.path() + "/archive/" + name + "/fullchain" + std::to_string(v) + ".pem",
          test::make_chain_pem_for_key(leaf, key.public_key_der()));
      put(dir.path() + "/archive/" + name + "/privkey" + std::to_string(v) + ".pem", std::string(key.to_pem().view()), 0600);
    }
    REQUIRE(ensure_dir(dir.path() + "/live/" + name, 0755));
    fs::create_symlink("../../archive/" + name + "/fullchain" + std::to_string(live) + ".pem",
                       dir.path() + "/live/" + name + "/fullchain.pem");
    put(dir.path() + "/renewal/" + name + ".conf",
        "# renew_before_expiry = 30 days\nversion = 2.1.0\narchive_dir = /nowhere\n\n[renewalparams]\naccount = " +
            account_id + "\nserver = " + ca + "\n" + renewalparams);
  }
};

const ConfigValue& solver0(const import::Certificate& c) { return c.config.find("solvers")->list.at(0); }

bool has_finding(const import::Plan& p, const std::string& where, const std::string& what) {
  for (const auto& f : p.findings)
    if (f.where == where && f.what.find(what) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("certbot configobj: sections, nesting, comments, quotes and line numbers") {
  auto e = import::parse_certbot_conf(
      "# comment\nversion = 2.1.0\n\n[renewalparams]\nauthenticator = webroot  # inline\nwebroot_path = /var/www,\n"
      "q = \"a # b\"\n[[webroot_map]]\nexample.com = /var/www\n[other]\nk=v\n");
  REQUIRE(e);
  REQUIRE(e->size() == 6);
  CHECK((*e)[0].section.empty());
  CHECK((*e)[0].line == 2);
  CHECK((*e)[1].section == "renewalparams");
  CHECK((*e)[1].value == "webroot");
  CHECK((*e)[3].value == "a # b");
  CHECK((*e)[4].section == "renewalparams/webroot_map");
  CHECK((*e)[4].key == "example.com");
  CHECK((*e)[4].line == 9);
  CHECK((*e)[5].section == "other");
}

TEST_CASE("certbot configobj: malformed input is refused with its line") {
  for (const char* bad : {"[renewalparams\n", "a = 1\nno equals here\n", "[[orphan]]\n", "[x]]\n", " = v\n", "[]\n"}) {
    auto e = import::parse_certbot_conf(bad);
    REQUIRE_FALSE(e);
    CHECK(e.error().message.rfind("line ", 0) == 0);
  }
  CHECK_FALSE(import::parse_certbot_conf(std::string(2 << 20, 'a')));
}

TEST_CASE("certbot private_key.json: RSA, EC and Ed25519 JWKs become the same key") {
  for (KeyType t : {KeyType::rsa2048, KeyType::ec_p256, KeyType::ec_p384, KeyType::ed25519}) {
    auto key = *PrivateKey::generate(t);
    auto pem = import::certbot_account_key(private_jwk(key).dump());
    REQUIRE(pem);
    auto back = PrivateKey::from_pem(pem->view());
    REQUIRE(back);
    CHECK(back->thumbprint() == key.thumbprint());
  }
}

TEST_CASE("certbot private_key.json: broken JWKs are refused clearly") {
  auto key = *PrivateKey::generate(KeyType::rsa2048);
  auto other = *PrivateKey::generate(KeyType::rsa2048);
  auto j = private_jwk(key);
  auto mixed = j;
  mixed["d"] = private_jwk(other)["d"];
  auto r = import::certbot_account_key(mixed.dump());
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("one key pair") != std::string::npos);
  // An EC JWK whose public point belongs to another key.
  auto ec = private_jwk(*PrivateKey::generate(KeyType::ec_p256));
  auto ec_other = private_jwk(*PrivateKey::generate(KeyType::ec_p256));
  ec["x"] = ec_other["x"];
  ec["y"] = ec_other["y"];
  CHECK_FALSE(import::certbot_account_key(ec.dump()));
  auto missing = j;
  missing.erase("qi");
  CHECK(import::certbot_account_key(missing.dump()).error().message.find("'qi'") != std::string::npos);
  auto garbage = j;
  garbage["n"] = "!!not base64!!";
  CHECK(import::certbot_account_key(garbage.dump()).error().message.find("not base64url") != std::string::npos);
  CHECK(import::certbot_account_key(R"({"kty":"oct","k":"AAAA"})").error().message.find("unsupported JWK key type") !=
        std::string::npos);
  CHECK(import::certbot_account_key(R"({"kty":"EC","crv":"P-521","x":"AA","y":"AA","d":"AA"})")
            .error().message.find("unsupported JWK curve") != std::string::npos);
  CHECK_FALSE(import::certbot_account_key("[1,2]"));
  CHECK_FALSE(import::certbot_account_key(std::string(100, '[') + std::string(100, ']')));
  auto huge = j;
  huge["n"] = std::string(4000, 'A');
  CHECK(import::certbot_account_key(huge.dump()).error().message.find("too long") != std::string::npos);
}

TEST_CASE("account URLs from regr.json and lego's account.json must be https") {
  CHECK(*import::certbot_account_url(R"({"body":{},"uri":"https://ca.example/acct/1"})") == "https://ca.example/acct/1");
  CHECK(*import::lego_account_url(R"({"email":"a@b","registration":{"body":{},"uri":"https://ca.example/acct/2"}})") ==
        "https://ca.example/acct/2");
  CHECK_FALSE(import::certbot_account_url(R"({"uri":"http://ca.example/acct/1"})"));
  CHECK_FALSE(import::certbot_account_url(R"({"uri":"https://ca.example/a b"})"));
  CHECK_FALSE(import::certbot_account_url(R"({"body":{}})"));
  CHECK_FALSE(import::lego_account_url(R"({"email":"a@b"})"));
  CHECK_FALSE(import::certbot_account_url("not json"));
}

TEST_CASE("certbot intervals and --solver choices") {
  CHECK(*import::certbot_interval("30 days") == "30d");
  CHECK(*import::certbot_interval("2 weeks") == "14d");
  CHECK(*import::certbot_interval(" 12 hours ") == "12h");
  CHECK(*import::certbot_interval("30") == "30d");  // certbot: a bare number is days
  CHECK_FALSE(import::certbot_interval("a month"));
  CHECK_FALSE(import::certbot_interval("3 fortnights"));
  CHECK(import::parse_solver_choice("webroot:/srv/www")->webroot == "/srv/www");
  CHECK(import::parse_solver_choice("http-01:127.0.0.1:8080")->listen == "127.0.0.1:8080");
  CHECK(import::parse_solver_choice("dns-persist-01")->type == "dns-persist-01");
  CHECK_FALSE(import::parse_solver_choice("webroot:relative"));
  CHECK_FALSE(import::parse_solver_choice("nginx"));
}

TEST_CASE("read_certbot maps webroot maps, hooks and intervals, and reports what it cannot carry") {
  CertbotTree t;
  t.lineage("site.example",
            "authenticator = webroot\ninstaller = nginx\nrenew_hook = systemctl reload nginx\n"
            "preferred_chain = ISRG Root X1\nfancy_option = 1\n[[webroot_map]]\nsite.example = /srv/a\n"
            "www.site.example = /srv/b\n");
  // renew_before_expiry is a top-level setting: put it before [renewalparams].
  {
    auto conf = *read_file(t.dir.path() + "/renewal/site.example.conf");
    conf.insert(0, "renew_before_expiry = 20 days\n");
    put(t.dir.path() + "/renewal/site.example.conf", conf);
  }
  t.lineage("shop.example", "authenticator = nginx\n", 1);
  import::CertbotOptions o;
  auto plan = import::read_certbot(t.dir.path(), o);
  REQUIRE(plan);
  CHECK(plan->directory_url == t.ca);
  REQUIRE(plan->accounts.size() == 1);
  CHECK(plan->accounts[0].url == t.account_url);
  CHECK(plan->accounts[0].thumbprint == t.account_key.thumbprint());
  REQUIRE(plan->certificates.size() == 2);

  const auto& shop = plan->certificates[0];
  CHECK(shop.name == "shop.example");
  CHECK(shop.config.kind == ConfigValue::Kind::null);
  CHECK(has_finding(*plan, "renewal/shop.example.conf:8", "authenticator = nginx: acmed has no such solver"));
  // live/ points at version 1: it is imported last, as the current one.
  REQUIRE(shop.versions.size() == 2);
  CHECK(shop.versions.back().source.find("fullchain1.pem") != std::string::npos);

  const auto& site = plan->certificates[1];
  REQUIRE(site.config.is_map());
  CHECK(site.config.find("names")->list.size() == 2);
  CHECK(site.config.find("renew_before")->scalar == "20d");
  CHECK(site.config.find("preferred_chain")->scalar == "ISRG Root X1");
  const auto& solvers = site.config.find("solvers")->list;
  REQUIRE(solvers.size() == 2);
  CHECK(solvers[0].find("webroot")->scalar == "/srv/a");
  CHECK(solvers[0].find("domains")->list.at(0).scalar == "site.example");
  CHECK(solvers[1].find("webroot")->scalar == "/srv/b");
  CHECK(has_finding(*plan, "renewal/site.example.conf:10", "installer = nginx"));
  CHECK(has_finding(*plan, "renewal/site.example.conf:11", "not carried over: acmed runs executable files"));
  CHECK(has_finding(*plan, "renewal/site.example.conf:13", "fancy_option = 1 ignored"));

  o.fallback = *import::parse_solver_choice("dns-persist-01");
  auto with_fallback = import::read_certbot(t.dir.path(), o);
  REQUIRE(with_fallback);
  CHECK(solver0(with_fallback->certificates[0]).find("type")->scalar == "dns-persist-01");
}

TEST_CASE("read_certbot refuses a tree it cannot read as one CA and one account") {
  CertbotTree t;
  t.lineage("a.example", "authenticator = standalone\n");
  put(t.dir.path() + "/renewal/b.example.conf", "[renewalparams]\nserver = https://other.example/dir\naccount = x\n");
  auto plan = import::read_certbot(t.dir.path(), {});
  REQUIRE_FALSE(plan);
  CHECK(plan.error().message.find("several CAs") != std::string::npos);
  import::CertbotOptions o;
  o.directory_url = t.ca;
  plan = import::read_certbot(t.dir.path(), o);
  REQUIRE(plan);
  CHECK(plan->certificates.size() == 1);
  CHECK(has_finding(*plan, "renewal/b.example.conf", "left out: its CA is https://other.example/dir"));
  CHECK(import::read_certbot(t.dir.path() + "/nothing", o).error().message.find("not a certbot tree") != std::string::npos);
  o.only = {"zzz"};
  CHECK(import::read_certbot(t.dir.path(), o).error().message.find("no certbot lineage 'zzz'") != std::string::npos);
}

TEST_CASE("read_certbot leaves out versions whose key does not match, and fails a broken current one") {
  CertbotTree t;
  t.lineage("a.example", "authenticator = standalone\nhttp01_port = 8080\n");
  auto stranger = *PrivateKey::generate(KeyType::ec_p256);
  put(t.dir.path() + "/archive/a.example/privkey1.pem", std::string(stranger.to_pem().view()), 0600);
  auto plan = import::read_certbot(t.dir.path(), {});
  REQUIRE(plan);
  REQUIRE(plan->certificates.size() == 1);
  CHECK(plan->certificates[0].versions.size() == 1);
  CHECK(has_finding(*plan, "archive/a.example/fullchain1.pem", "is not the key of"));
  CHECK(solver0(plan->certificates[0]).find("listen")->scalar == "0.0.0.0:8080");
  put(t.dir.path() + "/archive/a.example/privkey2.pem", std::string(stranger.to_pem().view()), 0600);
  plan = import::read_certbot(t.dir.path(), {});
  REQUIRE(plan);
  CHECK(plan->certificates.empty());
  CHECK(has_finding(*plan, "renewal/a.example.conf", "left out:"));
}

TEST_CASE("apply: dry run writes nothing, a second run changes nothing, conflicts need --force") {
  CertbotTree t;
  t.lineage("a.example", "authenticator = standalone\n");
  test::TempDir out;
  const std::string config_dir = out.path() + "/etc", state = out.path() + "/state";
  storage::FileStateStore store(state);
  auto plan = import::read_certbot(t.dir.path(), {});
  REQUIRE(plan);

  import::ApplyOptions o{.config_dir = config_dir, .dry_run = true};
  auto dry = import::apply(*plan, store, o);
  REQUIRE(dry);
  CHECK(dry->size() == 4);  // acmed.yaml, account, certificate, certs.d file
  CHECK_FALSE(fs::exists(config_dir));
  CHECK_FALSE(fs::exists(state + "/accounts"));

  o.dry_run = false;
  REQUIRE(import::apply(*plan, store, o));
  const std::string ca = storage::ca_id(t.ca);
  CHECK(**store.load_account_url(ca) == t.account_url);
  CHECK(test::file_mode(state + "/accounts/" + ca + "/private_key.pem") == 0600);
  CHECK(test::file_mode(state + "/archive/a.example/privkey2.pem") == 0600);
  CHECK(fs::exists(config_dir + "/certs.d/a.example.yaml"));
  CHECK(read_file(config_dir + "/acmed.yaml")->find("directory: " + t.ca) != std::string::npos);

  auto again = import::apply(*plan, store, o);
  REQUIRE(again);
  REQUIRE(again->size() == 3);  // account, certificate, certs.d file (acmed.yaml exists now)
  for (const auto& a : *again) CHECK(a.what == "unchanged");

  // Another account stored for this CA: refused, nothing written; --force retires it.
  REQUIRE(store.save_account_url(ca, "https://ca.example/acct/99"));
  put(config_dir + "/certs.d/a.example.yaml", "names: [a.example]\nsolvers: [{type: dns-persist-01}]\n");
  auto refused = import::apply(*plan, store, o);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("acct/99") != std::string::npos);
  CHECK(refused.error().message.find("a.example.yaml") != std::string::npos);
  CHECK(**store.load_account_url(ca) == "https://ca.example/acct/99");
  CHECK(read_file(config_dir + "/certs.d/a.example.yaml")->find("dns-persist-01") != std::string::npos);
  o.force = true;
  REQUIRE(import::apply(*plan, store, o));
  CHECK(**store.load_account_url(ca) == t.account_url);
  std::string retired_url;
  for (const auto& e : fs::directory_iterator(state + "/accounts/" + ca))
    if (e.path().filename().string().rfind("retired-", 0) == 0) retired_url = *read_file(e.path().string() + "/account_url");
  CHECK(retired_url.find("https://ca.example/acct/99") == 0);

  // An acmed.yaml on another CA: refused before anything.
  put(config_dir + "/acmed.yaml", "ca: {directory: \"https://elsewhere.example/dir\"}\n");
  auto other_ca = import::apply(*plan, store, o);
  REQUIRE_FALSE(other_ca);
  CHECK(other_ca.error().message.find("elsewhere.example") != std::string::npos);
}

TEST_CASE("read_certbot refuses symlinks and FIFOs in the tree without following or blocking") {
  CertbotTree t;
  t.lineage("a.example", "authenticator = standalone\n");
  t.lineage("b.example", "authenticator = standalone\n");
  // A renewal file that links elsewhere (e.g. /etc/shadow) is not read, and no line of
  // it is printed.
  test::TempDir other;
  put(other.path() + "/secret", "root:$y$j9T$SECRETHASH:19000:0:99999:7:::\n");
  fs::remove(t.dir.path() + "/renewal/b.example.conf");
  fs::create_symlink(other.path() + "/secret", t.dir.path() + "/renewal/b.example.conf");
  // A FIFO in place of an older version: reported, and the import does not hang.
  fs::remove(t.dir.path() + "/archive/a.example/privkey1.pem");
  REQUIRE(::mkfifo((t.dir.path() + "/archive/a.example/privkey1.pem").c_str(), 0600) == 0);
  auto plan = import::read_certbot(t.dir.path(), {});
  REQUIRE(plan);
  REQUIRE(plan->certificates.size() == 1);
  CHECK(plan->certificates[0].versions.size() == 1);
  CHECK(has_finding(*plan, "renewal/b.example.conf", "symbolic link"));
  CHECK(has_finding(*plan, "archive/a.example/fullchain1.pem", "not a regular file"));
  for (const auto& f : plan->findings) CHECK(f.what.find("SECRETHASH") == std::string::npos);
}

TEST_CASE("read_certbot carries a dns-rfc2136 lineage's TSIG key into a secret file of its own") {
  CertbotTree t;
  test::TempDir creds;
  const std::string ini = creds.path() + "/rfc2136.ini";
  put(ini, "dns_rfc2136_server = 192.0.2.53\ndns_rfc2136_port = 5353\ndns_rfc2136_name = acme-key\n"
           "dns_rfc2136_secret = c2VjcmV0IHNlY3JldCBzZWNyZXQ=\ndns_rfc2136_algorithm = HMAC-SHA512\n", 0600);
  put(creds.path() + "/md5.ini", "dns_rfc2136_server = 192.0.2.53\ndns_rfc2136_name = k\ndns_rfc2136_secret = c2VjcmV0\n",
      0600);
  t.lineage("a.example", "authenticator = dns-rfc2136\ndns_rfc2136_credentials = " + ini +
                             "\ndns_rfc2136_propagation_seconds = 30\n");
  t.lineage("b.example", "authenticator = dns-rfc2136\ndns_rfc2136_credentials = " + creds.path() + "/md5.ini\n");
  import::CertbotOptions o;
  o.config_dir = "/etc/acmed";
  auto plan = import::read_certbot(t.dir.path(), o);
  REQUIRE(plan);
  REQUIRE(plan->certificates.size() == 2);
  const auto& a = plan->certificates[0];
  const auto& s = solver0(a);
  CHECK(s.find("type")->scalar == "dns-01");
  const auto* rfc = s.find("rfc2136");
  REQUIRE(rfc);
  CHECK(rfc->find("server")->scalar == "192.0.2.53:5353");
  CHECK(rfc->find("algorithm")->scalar == "hmac-sha512");
  CHECK(rfc->find("key_name")->scalar == "acme-key");
  const std::string file = rfc->find("secret_file")->scalar;
  CHECK(file.rfind("/etc/acmed/certbot-rfc2136-", 0) == 0);  // plus a hash of the ini's path
  REQUIRE(a.credentials.count(file) == 1);
  CHECK(a.credentials.at(file).view() == "c2VjcmV0IHNlY3JldCBzZWNyZXQ=");
  // certbot's default algorithm is HMAC-MD5, which acmed does not sign with.
  CHECK(plan->certificates[1].config.kind == ConfigValue::Kind::null);
  CHECK(has_finding(*plan, "renewal/b.example.conf:8", "hmac-md5"));
  for (const auto& f : plan->findings) CHECK(f.what.find("c2VjcmV0") == std::string::npos);
}

TEST_CASE("read_lego: the account, certificates with their issuer, and the solver the operator names") {
  test::TempDir t;
  const std::string acct = t.path() + "/accounts/ca.example_8443/ops@example.com";
  auto account_key = *PrivateKey::generate(KeyType::ec_p256);
  put(acct + "/account.json",
      R"({"email":"ops@example.com","registration":{"body":{"status":"valid"},"uri":"https://ca.example:8443/acct/5"}})");
  put(acct + "/keys/ops@example.com.key", std::string(account_key.to_pem().view()), 0600);
  auto key = *PrivateKey::generate(KeyType::ec_p384);
  test::CertSpec leaf{.subject_cn = "a.example", .dns_names = {"a.example", "b.example"}};
  const std::string bundle = test::make_chain_pem_for_key(leaf, key.public_key_der());
  const auto split = bundle.find("-----BEGIN CERTIFICATE-----", 10);
  put(t.path() + "/certificates/a.example.crt", bundle.substr(0, split));  // --no-bundle: the leaf alone
  put(t.path() + "/certificates/a.example.issuer.crt", bundle.substr(split));
  put(t.path() + "/certificates/a.example.key", std::string(key.to_pem().view()), 0600);
  put(t.path() + "/certificates/a.example.json", R"({"domain":"a.example"})");

  import::LegoOptions o;
  CHECK(import::read_lego(t.path(), o).error().message.find("--server") != std::string::npos);
  o.directory_url = "https://ca.example:8443/dir";
  auto plan = import::read_lego(t.path(), o);
  REQUIRE(plan);
  REQUIRE(plan->accounts.size() == 1);
  CHECK(plan->accounts[0].url == "https://ca.example:8443/acct/5");
  CHECK(plan->accounts[0].thumbprint == account_key.thumbprint());
  REQUIRE(plan->certificates.size() == 1);
  const auto& c = plan->certificates[0];
  CHECK(c.versions.at(0).fullchain_pem.find("-----BEGIN CERTIFICATE-----", 10) != std::string::npos);  // issuer appended
  CHECK(c.config.kind == ConfigValue::Kind::null);
  CHECK(has_finding(*plan, "certificates/a.example.crt", "re-run with --solver"));

  o.solver = *import::parse_solver_choice("webroot:/srv/www");
  plan = import::read_lego(t.path(), o);
  REQUIRE(plan);
  const auto& cfg = plan->certificates.at(0).config;
  CHECK(cfg.find("key_type")->scalar == "ec-p384");
  CHECK(cfg.find("names")->list.size() == 2);
  CHECK(solver0(plan->certificates[0]).find("webroot")->scalar == "/srv/www");

  put(t.path() + "/accounts/ca.example_8443/second@example.com/account.json", "{}");
  auto two = import::read_lego(t.path(), o);
  REQUIRE_FALSE(two);
  CHECK(two.error().message.find("--account EMAIL") != std::string::npos);
  o.email = "ops@example.com";
  CHECK(import::read_lego(t.path(), o));
}
