// SPDX-License-Identifier: Apache-2.0
#include "acmed/config/config.hpp"

#include <catch2/catch.hpp>

#include <fstream>

#include "temp_dir.hpp"

namespace acmed::config {
namespace {

ConfigValue yaml(std::string_view text, const std::string& file) {
  auto v = parse_yaml(text, file);
  INFO(text);
  REQUIRE(v);
  return *v;
}

Result<GlobalConfig> global(std::string_view text) { return parse_global(yaml(text, "acmed.yaml"), "acmed.yaml"); }

Result<CertificateConfig> cert(std::string_view text, const std::string& name = "www") {
  return parse_certificate(yaml(text, "certs.d/" + name + ".yaml"), name, "certs.d/" + name + ".yaml");
}

template <class T>
std::string config_error(const Result<T>& r) {
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::config);
  return r.error().message;
}

// --- parse_yaml ----------------------------------------------------------------------

// yaml-cpp 0.7 locates a mapping value at its key, so value origins are checked by line;
// a list item has its own column.
TEST_CASE("parse_yaml records file:line:column for every value", "[config][yaml]") {
  auto v = yaml("a: 1\nlist:\n  - x\n  - y\nmap:\n  k: v\n", "f.yaml");
  REQUIRE(v.is_map());
  CHECK(v.find("a")->scalar == "1");
  CHECK_THAT(v.find("a")->origin, Catch::StartsWith("f.yaml:1:"));
  REQUIRE(v.find("list")->is_list());
  CHECK(v.find("list")->list.at(1).scalar == "y");
  CHECK(v.find("list")->list.at(1).origin == "f.yaml:4:5");
  CHECK_THAT(v.find("map")->find("k")->origin, Catch::StartsWith("f.yaml:6:"));
  CHECK(v.find("map")->find("k")->scalar == "v");
}

TEST_CASE("parse_yaml reports invalid YAML with a location", "[config][yaml]") {
  auto r = parse_yaml("names: [a.example.com, b.example.com\nsolvers: []\n", "certs.d/www.yaml");
  const std::string msg = config_error(r);
  CHECK_THAT(msg, Catch::Matches(R"(certs\.d/www\.yaml:\d+:\d+: invalid YAML.*)"));
}

TEST_CASE("parse_yaml rejects duplicate keys with the location of the second", "[config][yaml]") {
  auto r = parse_yaml("names: [a.example]\nkey_type: ec-p256\nnames: [b.example]\n", "certs.d/www.yaml");
  const std::string msg = config_error(r);
  CHECK_THAT(msg, Catch::StartsWith("certs.d/www.yaml:3:1: ") && Catch::Contains("duplicate key 'names'"));
}

TEST_CASE("parse_yaml refuses a key that is not a plain string, at the key", "[config][yaml]") {
  CHECK_THAT(config_error(parse_yaml("names: [a]\n? [x, y]\n: 1\n", "c.yaml")),
             Catch::StartsWith("c.yaml:2:3: ") && Catch::Contains("keys must be plain strings"));
  CHECK_THAT(config_error(parse_yaml("~: 1\n", "c.yaml")), Catch::Contains("keys must be plain strings"));
}

TEST_CASE("parse_yaml keeps kinds and points each map value at its key", "[config][yaml]") {
  auto r = parse_yaml("a:\n  - x\n  - ~\n  - {k: v}\nb: ''\nc:\n", "c.yaml");
  REQUIRE(r);
  REQUIRE(r->is_map());
  const ConfigValue* a = r->find("a");
  REQUIRE(a);
  CHECK(a->origin == "c.yaml:1:1");
  REQUIRE(a->list.size() == 3);
  CHECK(a->list[0].scalar == "x");
  CHECK(a->list[0].origin == "c.yaml:2:5");
  CHECK(a->list[1].kind == ConfigValue::Kind::null);
  CHECK(a->list[2].find("k")->scalar == "v");
  CHECK(r->find("b")->is_scalar());
  CHECK(r->find("b")->scalar.empty());
  CHECK(r->find("c")->kind == ConfigValue::Kind::null);
  auto empty = parse_yaml("", "e.yaml");
  REQUIRE(empty);
  CHECK(empty->kind == ConfigValue::Kind::null);
}

TEST_CASE("parse_yaml refuses anchors and aliases with their file:line", "[config][yaml][limits]") {
  // Six nested alias levels in 431 bytes took 14 s and 3.6 GB (four here, so the old code
  // finishes); acmed configs never need them.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'd'; ++c) {
    const char prev = static_cast<char>(c - 1);
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
  }
  const std::string msg = config_error(parse_yaml(bomb, "certs.d/bomb.yaml"));
  CHECK_THAT(msg, Catch::StartsWith("certs.d/bomb.yaml:1:") && Catch::Contains("anchor"));

  // An alias without its anchor is yaml-cpp's own error, at the alias.
  const std::string alias = config_error(parse_yaml("names: [a.example]\nsolvers:\n  - type: http-01\nextra: *x\n", "w.yaml"));
  CHECK_THAT(alias, Catch::StartsWith("w.yaml:4:") && Catch::Contains("anchor"));
  const std::string merge =
      config_error(parse_yaml("base: &b {type: http-01}\nsolvers:\n  - <<: *b\n", "certs.d/m.yaml"));
  CHECK_THAT(merge, Catch::StartsWith("certs.d/m.yaml:1:") && Catch::Contains("anchor"));
  // '&' and '*' inside a value are plain text.
  auto plain = parse_yaml("detail: \"a &b *c\"\nx: a&b\n", "p.yaml");
  REQUIRE(plain);
  CHECK(plain->find("detail")->scalar == "a &b *c");
}

TEST_CASE("parse_yaml refuses nesting deeper than 64 levels with a config error", "[config][yaml][limits]") {
  const std::string flow = std::string(100000, '[') + std::string(100000, ']') + "\n";
  const std::string msg = config_error(parse_yaml(flow, "certs.d/deep.yaml"));
  CHECK_THAT(msg, Catch::StartsWith("certs.d/deep.yaml:1:") && Catch::Contains("nested deeper than 64"));

  std::string block;
  for (int i = 0; i < 1500; ++i) block += std::string(static_cast<std::size_t>(i) * 2, ' ') + "k:\n";
  const std::string block_msg = config_error(parse_yaml(block, "acmed.yaml"));
  CHECK_THAT(block_msg, Catch::StartsWith("acmed.yaml:") && Catch::Contains("nested deeper than 64"));

  std::string ok;
  for (int i = 0; i < 60; ++i) ok += std::string(static_cast<std::size_t>(i) * 2, ' ') + "k:\n";
  CHECK(parse_yaml(ok, "acmed.yaml"));
}

// --- Global configuration ------------------------------------------------------------

TEST_CASE("parse_global reads a complete acmed.yaml", "[config][global]") {
  auto g = global(R"(ca:
  directory: https://acme.example.net/directory
  trust_bundle: /etc/acmed/roots.pem
account:
  key_type: ec-p384
  contact: [admin@example.com, "mailto:ops@example.com"]
  agree_tos: true
  eab:
    kid: kid-123
    hmac_key_file: /etc/acmed/eab.key
    algorithm: HS512
)");
  REQUIRE(g);
  CHECK(g->source == "acmed.yaml");
  CHECK(g->ca.directory_url == "https://acme.example.net/directory");
  CHECK(g->ca.trust_bundle == "/etc/acmed/roots.pem");
  CHECK(g->account.key_type == KeyType::ec_p384);
  CHECK(g->account.contact == std::vector<std::string>{"mailto:admin@example.com", "mailto:ops@example.com"});
  CHECK(g->account.agree_tos);
  REQUIRE(g->account.eab);
  CHECK(g->account.eab->key_id == "kid-123");
  CHECK(g->account.eab->hmac_key_file == "/etc/acmed/eab.key");
  CHECK(g->account.eab->algorithm == "HS512");
}

TEST_CASE("parse_duration reads s, m, h and d, and refuses what would overflow", "[config][duration]") {
  CHECK(*parse_duration("45") == std::chrono::seconds(45));
  CHECK(*parse_duration("90m") == std::chrono::seconds(5400));
  CHECK(*parse_duration("30d") == std::chrono::seconds(30 * 86400));
  CHECK(*parse_duration("365000d") == std::chrono::seconds(365000LL * 86400));
  // The fuzzer's find: 4444444444444444 * 86400 overflowed a long long (UB) before the bound.
  for (const char* big : {"4444444444444444d", "9223372036854775807s", "365001d", "99999999999999999999"}) {
    INFO(big);
    auto r = parse_duration(big);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::config);
  }
  CHECK_FALSE(parse_duration("-5d"));
  CHECK_FALSE(parse_duration("5y"));
}

TEST_CASE("ca.max_in_flight is a whole number 1..64", "[config][global]") {
  auto g = global("ca: {max_in_flight: 16}\n");
  REQUIRE(g);
  CHECK(g->ca.max_in_flight == 16);
  for (const char* bad : {"0", "65", "-1", "4.5", "many", "''", "99999999999"}) {
    INFO(bad);
    CHECK_THAT(config_error(global(std::string("ca: {max_in_flight: ") + bad + "}\n")),
               Catch::Contains("'max_in_flight' must be a whole number 1..64"));
  }
}

TEST_CASE("parse_global of an empty file gives the defaults", "[config][global]") {
  auto g = global("");
  REQUIRE(g);
  CHECK(g->ca.max_in_flight == 4);
  CHECK(g->account.key_type == KeyType::ec_p256);
  CHECK_FALSE(g->account.agree_tos);
  CHECK_FALSE(g->account.eab);
  CHECK(g->account.contact.empty());
}

TEST_CASE("parse_global resolves the letsencrypt shortcuts", "[config][global]") {
  auto prod = global("ca:\n  directory: letsencrypt\n");
  REQUIRE(prod);
  CHECK(prod->ca.directory_url == "https://acme-v02.api.letsencrypt.org/directory");
  auto staging = global("ca:\n  directory: letsencrypt-staging\n");
  REQUIRE(staging);
  CHECK(staging->ca.directory_url == "https://acme-staging-v02.api.letsencrypt.org/directory");
  CHECK(resolve_directory("https://ca.test/dir") == std::string("https://ca.test/dir"));
}

TEST_CASE("parse_global rejects a plain-http directory with its location", "[config][global]") {
  const std::string msg = config_error(global("ca:\n  directory: http://acme.example.net/directory\n"));
  CHECK_THAT(msg, Catch::StartsWith("acmed.yaml:2:") && Catch::Contains("https://"));
  CHECK_FALSE(resolve_directory("letsencrypt-prod"));
}

TEST_CASE("An unknown key names the key's own file:line:column and the expected keys", "[config][global]") {
  // "contacts" starts at line 3, column 3.
  const std::string msg = config_error(global("account:\n  key_type: ec-p256\n  contacts: [a@example.com]\n"));
  CHECK_THAT(msg, Catch::StartsWith("acmed.yaml:3:3: ") && Catch::Contains("unknown key 'contacts'") &&
                      Catch::Contains("key_type, contact, agree_tos, eab"));
}

TEST_CASE("An unknown key with a nested value is located at the key, not the value", "[config][global]") {
  // "cas" is on line 1; its value starts on line 2.
  const std::string msg = config_error(global("cas:\n  directory: letsencrypt\n"));
  CHECK_THAT(msg, Catch::StartsWith("acmed.yaml:1:1: ") && Catch::Contains("unknown key 'cas'") &&
                      Catch::Contains("ca, account"));
}

TEST_CASE("parse_global rejects values of the wrong type", "[config][global]") {
  CHECK_THAT(config_error(global("account:\n  agree_tos: maybe\n")),
             Catch::StartsWith("acmed.yaml:2:") && Catch::Contains("'agree_tos' must be true or false"));
  CHECK_THAT(config_error(global("ca: letsencrypt\n")), Catch::StartsWith("acmed.yaml:1:") && Catch::Contains("mapping"));
  CHECK_THAT(config_error(global("account:\n  contact: {a: b}\n")), Catch::Contains("'contact'"));
  CHECK_THAT(config_error(global("account:\n  contact: [\"https://example.com\"]\n")), Catch::Contains("mailto"));
  CHECK_THAT(config_error(global("account:\n  key_type: rsa1024\n")),
             Catch::StartsWith("acmed.yaml:2:") && Catch::Contains("rsa1024"));
}

TEST_CASE("parse_global accepts every YAML 1.2 spelling of a boolean", "[config][global]") {
  // YAML 1.2 core schema: true|True|TRUE and false|False|FALSE.
  for (const char* t : {"true", "True", "TRUE"}) {
    INFO(t);
    auto g = global(std::string("account:\n  agree_tos: ") + t + "\n");
    REQUIRE(g);
    CHECK(g->account.agree_tos);
  }
  for (const char* f : {"false", "False", "FALSE"}) {
    INFO(f);
    auto g = global(std::string("account:\n  agree_tos: ") + f + "\n");
    REQUIRE(g);
    CHECK_FALSE(g->account.agree_tos);
  }
}

TEST_CASE("parse_global checks the EAB section", "[config][global]") {
  CHECK_THAT(config_error(global("account:\n  eab:\n    hmac_key_file: /k\n")), Catch::Contains("'kid'"));
  CHECK_THAT(config_error(global("account:\n  eab:\n    kid: k\n")), Catch::Contains("'hmac_key_file'"));
  CHECK_THAT(config_error(global("account:\n  eab:\n    kid: k\n    hmac_key_file: /k\n    algorithm: HS1\n")),
             Catch::StartsWith("acmed.yaml:5:") && Catch::Contains("HS256"));
}

TEST_CASE("load_global reads a file and names it in errors", "[config][global]") {
  test::TempDir dir;
  const std::string path = dir.path() + "/acmed.yaml";
  {
    std::ofstream out(path);
    out << "ca:\n  directory: letsencrypt-staging\naccount:\n  agree_tos: yes\n";
  }
  auto g = load_global(path);
  REQUIRE(g);
  CHECK(g->source == path);
  CHECK(g->account.agree_tos);
  auto missing = load_global(dir.path() + "/nope.yaml");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::config);
  CHECK_THAT(missing.error().message, Catch::Contains(dir.path() + "/nope.yaml"));
}

// --- Certificate configuration -------------------------------------------------------

constexpr const char* full_certificate = R"(names:
  - www.Example.com
  - "*.example.com"
  - 192.0.2.10
key_type: rsa3072
profile: shortlived
preferred_chain: ISRG Root X1
solvers:
  - type: http-01
    domains: [www.example.com]
    mode: webroot
    webroot: /var/www
  - type: dns-01
    domains: ["*.Example.com"]
  - type: http-01
)";

TEST_CASE("parse_certificate reads names, key type, options and solvers in order", "[config][cert]") {
  auto c = cert(full_certificate);
  REQUIRE(c);
  CHECK(c->name == "www");
  CHECK(c->source == "certs.d/www.yaml");
  REQUIRE(c->identifiers.size() == 3);
  CHECK(c->identifiers[0].value == "www.example.com");
  CHECK(c->identifiers[1].value == "*.example.com");
  CHECK(c->identifiers[2].type == Identifier::Type::ip);
  CHECK(c->key_type == KeyType::rsa3072);
  CHECK(c->profile == "shortlived");
  CHECK(c->preferred_chain == "ISRG Root X1");
  REQUIRE(c->solvers.size() == 3);
  CHECK(c->solvers[0].type == "http-01");
  CHECK(c->solvers[0].domains == std::vector<std::string>{"www.example.com"});
  REQUIRE(c->solvers[0].settings.find("webroot"));
  CHECK(c->solvers[0].settings.find("webroot")->scalar == "/var/www");
  CHECK_THAT(c->solvers[0].settings.find("webroot")->origin, Catch::StartsWith("certs.d/www.yaml:12:"));
  CHECK(c->solvers[1].type == "dns-01");
  CHECK(c->solvers[1].domains == std::vector<std::string>{"example.com"});  // lowercased, "*." dropped
  CHECK(c->solvers[2].domains.empty());
}

TEST_CASE("parse_certificate accepts a single name as a scalar", "[config][cert]") {
  auto c = cert("names: a.example.com\nsolvers:\n  - type: http-01\n");
  REQUIRE(c);
  REQUIRE(c->identifiers.size() == 1);
  CHECK(c->identifiers[0].value == "a.example.com");
  CHECK(c->key_type == KeyType::ec_p256);
  CHECK_FALSE(c->profile);
}

TEST_CASE("parse_certificate rejects names given as a map", "[config][cert]") {
  const std::string msg = config_error(cert("names:\n  www.example.com: yes\nsolvers:\n  - type: http-01\n"));
  // The key is on line 1, the offending map on line 2: either is a useful location.
  CHECK_THAT(msg, Catch::Matches(R"(certs\.d/www\.yaml:[12]:\d+: .*'names'.*)"));
}

TEST_CASE("parse_certificate needs at least one name", "[config][cert]") {
  CHECK_THAT(config_error(cert("solvers:\n  - type: http-01\n")), Catch::Contains("'names'"));
  CHECK_THAT(config_error(cert("names: []\nsolvers:\n  - type: http-01\n")), Catch::Contains("'names'"));
}

TEST_CASE("parse_certificate rejects a name listed twice", "[config][cert]") {
  const std::string msg =
      config_error(cert("names: [a.example.com, b.example.com, A.Example.COM]\nsolvers:\n  - type: http-01\n"));
  CHECK_THAT(msg, Catch::StartsWith("certs.d/www.yaml:1:") && Catch::Contains("'a.example.com' is listed twice"));
}

TEST_CASE("parse_certificate rejects an invalid name", "[config][cert]") {
  const std::string msg = config_error(cert("names: [a.*.example.com]\nsolvers:\n  - type: http-01\n"));
  CHECK_THAT(msg, Catch::StartsWith("certs.d/www.yaml:1:") && Catch::Contains("wildcard"));
}

TEST_CASE("parse_certificate needs a solver for every name", "[config][cert]") {
  const std::string msg = config_error(cert(R"(names: [www.example.com, shop.example.org]
solvers:
  - type: http-01
    domains: [example.com]
)"));
  CHECK_THAT(msg, Catch::Matches(R"(certs\.d/www\.yaml:[23]:\d+: no solver entry covers 'shop\.example\.org'.*)"));
  CHECK_THAT(config_error(cert("names: [a.example.com]\n")), Catch::Contains("'solvers'"));
  CHECK_THAT(config_error(cert("names: [a.example.com]\nsolvers: []\n")), Catch::Contains("'solvers'"));
  CHECK_THAT(config_error(cert("names: [a.example.com]\nsolvers:\n  - mode: webroot\n")), Catch::Contains("'type'"));
  CHECK_THAT(config_error(cert("names: [a.example.com]\nsolvers:\n  - http-01\n")),
             Catch::StartsWith("certs.d/www.yaml:3:5: "));
}

TEST_CASE("parse_certificate rejects an unknown key_type with its location", "[config][cert]") {
  const std::string msg = config_error(cert("names: [a.example.com]\nkey_type: dsa\nsolvers:\n  - type: http-01\n"));
  CHECK_THAT(msg, Catch::StartsWith("certs.d/www.yaml:2:") && Catch::Contains("'dsa'") &&
                      Catch::Contains("ec-p256"));
}

TEST_CASE("parse_certificate names an unknown top-level key at its location", "[config][cert]") {
  const std::string msg = config_error(cert("names: [a.example.com]\nsolver:\n  - type: http-01\n"));
  CHECK_THAT(msg, Catch::StartsWith("certs.d/www.yaml:2:1: ") && Catch::Contains("unknown key 'solver'") &&
                      Catch::Contains("names, key_type, solvers, profile, preferred_chain"));
}

TEST_CASE("parse_certificate refuses names that are not plain file names", "[config][cert]") {
  for (const char* bad : {"", "../etc", ".hidden", "a/b"}) {
    INFO("name '" << bad << "'");
    auto root = yaml("names: [a.example.com]\nsolvers:\n  - type: http-01\n", "x.yaml");
    CHECK_FALSE(parse_certificate(root, bad, "x.yaml"));
  }
}

TEST_CASE("parse_certificate rejects a file that is not a mapping", "[config][cert]") {
  CHECK_THAT(config_error(cert("- a.example.com\n")), Catch::Contains("certs.d/www.yaml:1:1"));
  CHECK_FALSE(cert(""));
}

TEST_CASE("load_certificate takes the certificate name from the file name", "[config][cert]") {
  test::TempDir dir;
  const std::string path = dir.path() + "/shop.yaml";
  {
    std::ofstream out(path);
    out << "names: [shop.example.com]\nsolvers:\n  - type: http-01\n";
  }
  auto c = load_certificate(path);
  REQUIRE(c);
  CHECK(c->name == "shop");
  CHECK(c->source == path);
}

TEST_CASE("add_settings: a new section at the end, a new key first in a block section, comments kept",
          "[config][yaml][edit]") {
  const std::string text =
      "# the operator's notes\naccount:\n    agree_tos: true   # yes\ndns:\n  dnssec: off\n";
  auto a = add_settings(text, "acmed.yaml", "ca",
                        {{"directory", ConfigValue::make_scalar("https://ca.example/dir")},
                         {"trust_bundle", ConfigValue::make_scalar("/etc/ssl/ca.pem")}});
  REQUIRE(a);
  CHECK(*a == text + "ca:\n  directory: https://ca.example/dir\n  trust_bundle: /etc/ssl/ca.pem\n");
  ConfigValue contact;
  contact.kind = ConfigValue::Kind::list;
  contact.list = {ConfigValue::make_scalar("admin@example.com"), ConfigValue::make_scalar("#ops@example.com")};
  auto b = add_settings(*a, "acmed.yaml", "account", {{"contact", contact}});
  REQUIRE(b);
  CHECK_THAT(*b, Catch::StartsWith("# the operator's notes\naccount:\n    contact: [admin@example.com, \"#ops@example.com\"]\n"
                                   "    agree_tos: true   # yes\n"));
  auto g = parse_yaml(*b, "acmed.yaml");
  REQUIRE(g);
  auto cfg = parse_global(*g, "acmed.yaml");
  REQUIRE(cfg);
  CHECK(cfg->ca.directory_url == "https://ca.example/dir");
  CHECK(cfg->account.agree_tos);
  CHECK(cfg->account.contact == std::vector<std::string>{"mailto:admin@example.com", "mailto:#ops@example.com"});
  // An empty file gets the section.
  auto e = add_settings("", "acmed.yaml", "ca", {{"trust_bundle", ConfigValue::make_scalar("/etc/ssl/ca.pem")}});
  REQUIRE(e);
  CHECK(*e == "ca:\n  trust_bundle: /etc/ssl/ca.pem\n");
}

TEST_CASE("add_settings refuses what it cannot edit in place: flow style, a key already set", "[config][yaml][edit]") {
  auto flow = add_settings("ca: {directory: https://x.example/dir}\n", "acmed.yaml", "ca",
                           {{"trust_bundle", ConfigValue::make_scalar("/x.pem")}});
  REQUIRE_FALSE(flow);
  CHECK_THAT(flow.error().message, Catch::Contains("flow style"));
  auto set = add_settings("ca:\n  directory: https://x.example/dir\n", "acmed.yaml", "ca",
                          {{"directory", ConfigValue::make_scalar("https://y.example/dir")}});
  REQUIRE_FALSE(set);
  CHECK_THAT(set.error().message, Catch::Contains("already set"));
}

}  // namespace
}  // namespace acmed::config
