// SPDX-License-Identifier: Apache-2.0
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "acmed/config/config.hpp"

namespace acmed::config {
namespace {

std::string where(const std::string& source, const YAML::Mark& m) {
  return source + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

// Anchors and aliases let a few hundred bytes expand into gigabytes once the tree is
// walked ("billion laughs"), and acmed configurations never need them; deep nesting
// would recurse ConfigValue's destructor. Both are refused, at their file:line, while
// the tree is built from the parser's events: one pass over the text, no YAML::Node.
constexpr int max_yaml_depth = 64;

struct Refused {
  YAML::Mark mark;
  std::string why;
};

class TreeBuilder final : public YAML::EventHandler {
 public:
  explicit TreeBuilder(const std::string& source) : source_(source) {}
  /// The document's root (null when the document is empty).
  ConfigValue take_root() {
    if (!root_) return null_at(YAML::Mark::null_mark());
    return std::move(*root_);
  }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    no_anchor(mark, anchor);
    add(null_at(mark), mark);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { refuse(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string& value) override {
    no_anchor(mark, anchor);
    add(ConfigValue::make_scalar(value, where(source_, mark)), mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    ConfigValue v;
    v.kind = ConfigValue::Kind::list;
    v.origin = where(source_, mark);
    enter(std::move(v), mark, anchor);
  }
  void OnSequenceEnd() override { open_.pop_back(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    enter(ConfigValue::make_map(where(source_, mark)), mark, anchor);
  }
  void OnMapEnd() override { open_.pop_back(); }
  void OnAnchor(const YAML::Mark& mark, const std::string&) override { refuse(mark); }

 private:
  /// An open list or map, and for a map the key read and waiting for its value.
  struct Open {
    ConfigValue* node;
    std::optional<std::string> key;
    YAML::Mark key_mark;
  };

  ConfigValue null_at(const YAML::Mark& mark) const {
    ConfigValue v;
    v.origin = where(source_, mark);
    return v;
  }
  [[noreturn]] static void refuse(const YAML::Mark& mark) {
    throw Refused{mark, "YAML anchors (&name) and aliases (*name) are not supported in acmed configuration; "
                        "write the value out"};
  }
  static void no_anchor(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) refuse(mark);
  }
  void enter(ConfigValue v, const YAML::Mark& mark, YAML::anchor_t anchor) {
    no_anchor(mark, anchor);
    if (open_.size() + 1 > static_cast<std::size_t>(max_yaml_depth))
      throw Refused{mark, "values are nested deeper than " + std::to_string(max_yaml_depth) + " levels"};
    open_.push_back({add(std::move(v), mark), std::nullopt, {}});
  }
  /// Places `v` in the open list or map (or as the root); returns where it now lives.
  /// (A parent's children only move when the parent grows, never while one is open.)
  ConfigValue* add(ConfigValue v, const YAML::Mark& mark) {
    if (open_.empty()) {
      root_ = std::move(v);
      return &*root_;
    }
    Open& top = open_.back();
    if (top.node->is_list()) {
      top.node->list.push_back(std::move(v));
      return &top.node->list.back();
    }
    if (!top.key) {
      if (!v.is_scalar()) throw Refused{mark, "keys must be plain strings"};
      if (top.node->map.count(v.scalar)) throw Refused{mark, "duplicate key '" + v.scalar + "'"};
      top.key = std::move(v.scalar);
      top.key_mark = mark;
      return nullptr;  // keys are scalars: never entered
    }
    // Messages point at the key, where the operator looks first.
    v.origin = where(source_, top.key_mark);
    auto it = top.node->map.emplace(std::move(*top.key), std::move(v)).first;
    top.key.reset();
    return &it->second;
  }

  const std::string& source_;
  std::optional<ConfigValue> root_;
  std::vector<Open> open_;
};

Result<void> only_keys(const ConfigValue& m, std::initializer_list<std::string_view> allowed, std::string_view section) {
  if (!m.is_map()) return fail(Errc::config, m.origin + ": " + std::string(section) + " must be a mapping");
  for (const auto& [k, v] : m.map) {
    if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    return fail(Errc::config, v.origin + ": unknown key '" + k + "' in " + std::string(section) + " (expected one of: " + list + ")");
  }
  return {};
}

Result<std::optional<std::string>> scalar(const ConfigValue& m, const std::string& key) {
  const ConfigValue* v = m.find(key);
  if (!v || v->kind == ConfigValue::Kind::null) return std::optional<std::string>{};
  if (!v->is_scalar()) return fail(Errc::config, v->origin + ": '" + key + "' must be a string");
  return std::optional<std::string>(v->scalar);
}

Result<bool> boolean(const ConfigValue& m, const std::string& key, bool fallback) {
  const ConfigValue* v = m.find(key);
  if (!v) return fallback;
  if (v->is_scalar()) {
    std::string b = v->scalar;
    std::transform(b.begin(), b.end(), b.begin(), [](unsigned char c) { return std::tolower(c); });
    if (b == "true" || b == "yes") return true;
    if (b == "false" || b == "no") return false;
  }
  return fail(Errc::config, v->origin + ": '" + key + "' must be true or false");
}

Result<std::vector<std::string>> string_list(const ConfigValue& m, const std::string& key) {
  std::vector<std::string> out;
  const ConfigValue* v = m.find(key);
  if (!v || v->kind == ConfigValue::Kind::null) return out;
  if (v->is_scalar()) return std::vector<std::string>{v->scalar};
  if (!v->is_list()) return fail(Errc::config, v->origin + ": '" + key + "' must be a list of strings");
  for (const auto& item : v->list) {
    if (!item.is_scalar()) return fail(Errc::config, item.origin + ": '" + key + "' entries must be strings");
    out.push_back(item.scalar);
  }
  return out;
}

Result<KeyType> key_type(const ConfigValue& m, const std::string& key) {
  auto s = scalar(m, key);
  if (!s) return fail(s.error());
  if (!*s) return KeyType::ec_p256;
  auto t = parse_key_type(**s);
  if (!t) return fail(Errc::config, m.find(key)->origin + ": " + t.error().message);
  return t;
}

Result<ConfigValue> load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(Errc::config, "cannot read " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_yaml(ss.str(), path);
}

}  // namespace

const std::vector<DirectoryShortcut>& directory_shortcuts() {
  static const std::vector<DirectoryShortcut> all = {
      {"letsencrypt", "https://acme-v02.api.letsencrypt.org/directory"},
      {"letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory"},
  };
  return all;
}

Result<std::string> resolve_directory(const std::string& text) {
  std::string names;
  for (const auto& s : directory_shortcuts()) {
    if (text == s.name) return s.url;
    names += (names.empty() ? "" : ", ") + s.name;
  }
  if (text.rfind("https://", 0) == 0) return text;
  return fail(Errc::config, "CA directory '" + text + "' is neither an https:// URL nor a known name (" + names + ")");
}

Result<std::chrono::seconds> parse_duration(const std::string& text) {
  std::size_t used = 0;
  long long n = -1;
  try {
    n = std::stoll(text, &used);
  } catch (const std::exception&) {
  }
  std::string unit = n < 0 ? std::string("?") : text.substr(used);
  long long mult = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : -1;
  if (n < 0 || mult < 0) return fail(Errc::config, "'" + text + "' is not a duration (like 30d, 12h, 90m or 45s)");
  // Bounded before multiplying (no overflow), and far enough from the clock's limits that
  // now + duration stays representable.
  constexpr long long max_seconds = 1000LL * 365 * 86400;
  if (n > max_seconds / mult) return fail(Errc::config, "'" + text + "' is longer than 1000 years");
  return std::chrono::seconds(n * mult);
}

static Result<std::vector<Hook>> hook_list(const ConfigValue& m, const std::string& key) {
  std::vector<Hook> out;
  const ConfigValue* v = m.find(key);
  if (!v || v->kind == ConfigValue::Kind::null) return out;
  if (!v->is_scalar() && !v->is_list()) return fail(Errc::config, v->origin + ": '" + key + "' must be a list of strings");
  const std::vector<ConfigValue> one = v->is_scalar() ? std::vector<ConfigValue>{*v} : std::vector<ConfigValue>{};
  for (const auto& item : v->is_scalar() ? one : v->list) {
    if (!item.is_scalar()) return fail(Errc::config, item.origin + ": '" + key + "' entries must be strings");
    if (item.scalar.empty() || item.scalar[0] != '/')
      return fail(Errc::config, item.origin + ": hook '" + item.scalar + "' must be an absolute path to a program");
    out.push_back({item.scalar, item.origin});
  }
  return out;
}

Result<ConfigValue> parse_yaml(std::string_view text, const std::string& source_name) {
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser events(in);
    TreeBuilder tree(source_name);
    events.HandleNextDocument(tree);
    return tree.take_root();
  } catch (const Refused& r) {
    return fail(Errc::config, where(source_name, r.mark) + ": " + r.why);
  } catch (const YAML::Exception& e) {
    return fail(Errc::config, where(source_name, e.mark) + ": invalid YAML: " + e.msg);
  }
}

Result<GlobalConfig> parse_global(const ConfigValue& root, const std::string& source) {
  GlobalConfig g;
  g.source = source;
  if (root.kind == ConfigValue::Kind::null) return g;
  if (auto r = only_keys(root, {"ca", "account", "dns", "hooks", "state"}, "acmed.yaml"); !r) return fail(r.error());
  if (const ConfigValue* state = root.find("state")) {
    if (auto r = only_keys(*state, {"backend", "dsn_file", "dsn_credential", "key_file", "key_credential", "node"},
                           "'state'");
        !r)
      return fail(r.error());
    std::map<std::string, std::string*> fields = {
        {"backend", &g.state.backend},   {"dsn_file", &g.state.dsn_file}, {"dsn_credential", &g.state.dsn_credential},
        {"key_file", &g.state.key_file}, {"key_credential", &g.state.key_credential}, {"node", &g.state.node}};
    for (auto& [key, field] : fields) {
      auto v = scalar(*state, key);
      if (!v) return fail(v.error());
      if (*v) *field = **v;
    }
    const std::string& at = state->origin;
    if (g.state.backend != "file" && g.state.backend != "postgresql")
      return fail(Errc::config, state->find("backend")->origin + ": 'backend' must be file or postgresql");
    if (g.state.backend == "postgresql") {
      if (g.state.dsn_file.empty() == g.state.dsn_credential.empty())
        return fail(Errc::config, at + ": state.backend postgresql needs exactly one of 'dsn_file' or 'dsn_credential'");
      if (g.state.key_file.empty() == g.state.key_credential.empty())
        return fail(Errc::config, at + ": state.backend postgresql needs exactly one of 'key_file' or 'key_credential' "
                                       "(the key that seals private keys in the database)");
      for (const std::string* f : {&g.state.dsn_file, &g.state.key_file})
        if (!f->empty() && (*f)[0] != '/') return fail(Errc::config, at + ": '" + *f + "' must be an absolute path");
    } else if (state->map.size() > 1 || (state->map.size() == 1 && !state->find("backend"))) {
      return fail(Errc::config, at + ": the file backend takes no other 'state' settings");
    }
    if (!g.state.node.empty() && (g.state.node.size() > 64 || std::any_of(g.state.node.begin(), g.state.node.end(), [](unsigned char c) {
          return !(std::isalnum(c) || c == '-' || c == '.' || c == '_');
        })))
      return fail(Errc::config, state->find("node")->origin + ": 'node' must be up to 64 letters, digits, '-', '.', '_'");
  }
  if (const ConfigValue* hooks = root.find("hooks")) {
    if (auto r = only_keys(*hooks, {"deploy", "mode"}, "'hooks'"); !r) return fail(r.error());
    auto deploy = hook_list(*hooks, "deploy");
    if (!deploy) return fail(deploy.error());
    g.deploy_hooks = *deploy;
    auto mode = scalar(*hooks, "mode");
    if (!mode) return fail(mode.error());
    if (*mode) {
      if (**mode != "inline" && **mode != "queue")
        return fail(Errc::config, hooks->find("mode")->origin + ": 'mode' must be inline or queue");
      g.queue_deploy_hooks = **mode == "queue";
    }
  }
  if (const ConfigValue* dns = root.find("dns")) {
    if (auto r = only_keys(*dns, {"resolvers", "timeout_ms", "dnssec", "trust_anchor"}, "'dns'"); !r)
      return fail(r.error());
    auto dnssec = scalar(*dns, "dnssec");
    if (!dnssec) return fail(dnssec.error());
    if (*dnssec) {
      if (**dnssec != "off" && **dnssec != "auto" && **dnssec != "on")
        return fail(Errc::config, dns->find("dnssec")->origin + ": 'dnssec' must be off, auto or on");
      g.dns.dnssec = **dnssec;
    }
    auto anchor = scalar(*dns, "trust_anchor");
    if (!anchor) return fail(anchor.error());
    g.dns.trust_anchor = anchor->value_or("");
    auto resolvers = string_list(*dns, "resolvers");
    if (!resolvers) return fail(resolvers.error());
    g.dns.resolvers = *resolvers;
    auto t = scalar(*dns, "timeout_ms");
    if (!t) return fail(t.error());
    if (*t) {
      char* end = nullptr;
      long ms = std::strtol((*t)->c_str(), &end, 10);
      if (*end != '\0' || ms <= 0 || ms > 60000)
        return fail(Errc::config, dns->find("timeout_ms")->origin + ": 'timeout_ms' must be 1..60000");
      g.dns.timeout = std::chrono::milliseconds(ms);
    }
  }
  if (const ConfigValue* ca = root.find("ca")) {
    if (auto r = only_keys(*ca, {"directory", "trust_bundle", "dry_run_directory", "max_in_flight"}, "'ca'"); !r)
      return fail(r.error());
    auto in_flight = scalar(*ca, "max_in_flight");
    if (!in_flight) return fail(in_flight.error());
    if (*in_flight) {
      const std::string& v = **in_flight;
      const bool digits = !v.empty() && v.size() <= 3 && std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); });
      const int n = digits ? std::stoi(v) : 0;
      if (n < 1 || n > 64)
        return fail(Errc::config, ca->find("max_in_flight")->origin + ": 'max_in_flight' must be a whole number 1..64, not '" +
                                      v + "'");
      g.ca.max_in_flight = n;
    }
    auto dry = scalar(*ca, "dry_run_directory");
    if (!dry) return fail(dry.error());
    if (*dry) {
      auto url = resolve_directory(**dry);
      if (!url) return fail(Errc::config, ca->find("dry_run_directory")->origin + ": " + url.error().message);
      g.ca.dry_run_directory = *url;
    }
    auto dir = scalar(*ca, "directory");
    if (!dir) return fail(dir.error());
    if (*dir) {
      auto url = resolve_directory(**dir);
      if (!url) return fail(Errc::config, ca->find("directory")->origin + ": " + url.error().message);
      g.ca.directory_url = *url;
    }
    auto tb = scalar(*ca, "trust_bundle");
    if (!tb) return fail(tb.error());
    g.ca.trust_bundle = tb->value_or("");
  }
  if (const ConfigValue* acct = root.find("account")) {
    if (auto r = only_keys(*acct, {"key_type", "contact", "agree_tos", "eab", "pkcs11"}, "'account'"); !r)
      return fail(r.error());
    if (const ConfigValue* p11 = acct->find("pkcs11")) {
      if (auto r = only_keys(*p11, {"module", "pin_file"}, "'account.pkcs11'"); !r) return fail(r.error());
      auto module = scalar(*p11, "module");
      auto pin = scalar(*p11, "pin_file");
      if (!module) return fail(module.error());
      if (!pin) return fail(pin.error());
      if (*module) g.account.pkcs11_module = **module;
      g.account.pkcs11_pin_file = pin->value_or("");
    }
    auto kt = key_type(*acct, "key_type");
    if (!kt) return fail(kt.error());
    g.account.key_type = *kt;
    auto contact = string_list(*acct, "contact");
    if (!contact) return fail(contact.error());
    for (auto& c : *contact) {
      if (c.find(':') == std::string::npos) c = "mailto:" + c;
      if (c.rfind("mailto:", 0) != 0)
        return fail(Errc::config, acct->find("contact")->origin + ": contact '" + c + "' must be an e-mail address or mailto: URI");
    }
    g.account.contact = *contact;
    auto tos = boolean(*acct, "agree_tos", false);
    if (!tos) return fail(tos.error());
    g.account.agree_tos = *tos;
    if (const ConfigValue* eab = acct->find("eab")) {
      if (auto r = only_keys(*eab, {"kid", "hmac_key_file", "algorithm"}, "'account.eab'"); !r) return fail(r.error());
      EabConfig e;
      auto kid = scalar(*eab, "kid");
      auto file = scalar(*eab, "hmac_key_file");
      auto alg = scalar(*eab, "algorithm");
      if (!kid || !*kid) return fail(Errc::config, eab->origin + ": 'account.eab' needs 'kid'");
      if (!file || !*file) return fail(Errc::config, eab->origin + ": 'account.eab' needs 'hmac_key_file'");
      if (!alg) return fail(alg.error());
      e.key_id = **kid;
      e.hmac_key_file = **file;
      e.algorithm = alg->value_or("HS256");
      if (e.algorithm != "HS256" && e.algorithm != "HS384" && e.algorithm != "HS512")
        return fail(Errc::config, eab->find("algorithm")->origin + ": EAB algorithm must be HS256, HS384 or HS512");
      g.account.eab = e;
    }
  }
  return g;
}

Result<GlobalConfig> load_global(const std::string& path) {
  auto root = load_file(path);
  if (!root) return fail(root.error());
  return parse_global(*root, path);
}

Result<CertificateConfig> parse_certificate(const ConfigValue& root, const std::string& name, const std::string& source) {
  CertificateConfig c;
  c.name = name;
  c.source = source;
  if (name.empty() || name.find('/') != std::string::npos || name[0] == '.')
    return fail(Errc::config, source + ": certificate name '" + name + "' must be a plain file name");
  if (!root.is_map()) return fail(Errc::config, root.origin + ": a certificate file must be a mapping with 'names' and 'solvers'");
  if (auto r = only_keys(root, {"names", "key_type", "solvers", "profile", "preferred_chain", "renew_before",
                                 "deploy_hooks"},
                         "certificate");
      !r)
    return fail(r.error());
  auto hooks = hook_list(root, "deploy_hooks");
  if (!hooks) return fail(hooks.error());
  c.deploy_hooks = *hooks;
  auto before = scalar(root, "renew_before");
  if (!before) return fail(before.error());
  if (*before) {
    auto d = parse_duration(**before);
    if (!d) return fail(Errc::config, root.find("renew_before")->origin + ": renew_before: " + d.error().message);
    c.renew_before = *d;
  }
  auto names = string_list(root, "names");
  if (!names) return fail(names.error());
  if (names->empty()) return fail(Errc::config, root.origin + ": certificate needs at least one entry in 'names'");
  for (const auto& n : *names) {
    auto id = Identifier::parse(n);
    if (!id) return fail(Errc::config, root.find("names")->origin + ": " + id.error().message);
    if (std::find(c.identifiers.begin(), c.identifiers.end(), *id) != c.identifiers.end())
      return fail(Errc::config, root.find("names")->origin + ": name '" + id->value + "' is listed twice");
    c.identifiers.push_back(*id);
  }
  auto kt = key_type(root, "key_type");
  if (!kt) return fail(kt.error());
  c.key_type = *kt;
  for (auto [field, key] : {std::pair{&c.profile, "profile"}, {&c.preferred_chain, "preferred_chain"}}) {
    auto v = scalar(root, key);
    if (!v) return fail(v.error());
    *field = *v;
  }
  const ConfigValue* solvers = root.find("solvers");
  if (!solvers || !solvers->is_list() || solvers->list.empty())
    return fail(Errc::config, (solvers ? solvers->origin : root.origin) +
                                  ": certificate needs a non-empty 'solvers' list (e.g. - type: http-01)");
  for (const auto& s : solvers->list) {
    if (!s.is_map()) return fail(Errc::config, s.origin + ": each solver must be a mapping with a 'type'");
    SolverEntry e;
    auto type = scalar(s, "type");
    if (!type) return fail(type.error());
    if (!*type) return fail(Errc::config, s.origin + ": solver entry needs 'type' (http-01, tls-alpn-01, dns-01, dns-persist-01)");
    e.type = **type;
    auto domains = string_list(s, "domains");
    if (!domains) return fail(domains.error());
    for (auto& d : *domains) {
      std::transform(d.begin(), d.end(), d.begin(), [](unsigned char ch) { return std::tolower(ch); });
      if (d.rfind("*.", 0) == 0) d = d.substr(2);
    }
    e.domains = *domains;
    e.settings = s;
    c.solvers.push_back(std::move(e));
  }
  // Every identifier must be covered by at least one solver entry.
  for (const auto& id : c.identifiers) {
    std::string base = id.authorization_name();
    bool covered = std::any_of(c.solvers.begin(), c.solvers.end(), [&](const SolverEntry& e) {
      if (e.domains.empty()) return true;
      return std::any_of(e.domains.begin(), e.domains.end(),
                         [&](const std::string& d) { return name_in_domain(base, d); });
    });
    if (!covered) return fail(Errc::config, solvers->origin + ": no solver entry covers '" + id.value + "'");
  }
  return c;
}

Result<CertificateConfig> load_certificate(const std::string& path) {
  auto root = load_file(path);
  if (!root) return fail(root.error());
  std::string name = std::filesystem::path(path).stem().string();
  return parse_certificate(*root, name, path);
}

namespace {

void emit(YAML::Emitter& out, const ConfigValue& v) {
  switch (v.kind) {
    case ConfigValue::Kind::null: out << YAML::Null; break;
    case ConfigValue::Kind::scalar: out << v.scalar; break;
    case ConfigValue::Kind::list:
      out << YAML::BeginSeq;
      for (const auto& item : v.list) emit(out, item);
      out << YAML::EndSeq;
      break;
    case ConfigValue::Kind::map:
      out << YAML::BeginMap;
      for (const auto& [key, item] : v.map) {
        out << YAML::Key << key << YAML::Value;
        emit(out, item);
      }
      out << YAML::EndMap;
      break;
  }
}

}  // namespace

namespace {

/// Line and column (1-based) of a "source:line:column" origin; none when it has no such tail.
std::optional<std::pair<std::size_t, std::size_t>> line_column(const std::string& origin) {
  const auto c = origin.rfind(':');
  if (c == std::string::npos || c == 0) return std::nullopt;
  const auto l = origin.rfind(':', c - 1);
  if (l == std::string::npos) return std::nullopt;
  try {
    return std::pair{static_cast<std::size_t>(std::stoul(origin.substr(l + 1, c - l - 1))),
                     static_cast<std::size_t>(std::stoul(origin.substr(c + 1)))};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

/// The tree, origins aside.
bool same_value(const ConfigValue& a, const ConfigValue& b) {
  if (a.kind != b.kind || a.scalar != b.scalar || a.list.size() != b.list.size() || a.map.size() != b.map.size())
    return false;
  for (std::size_t i = 0; i < a.list.size(); ++i)
    if (!same_value(a.list[i], b.list[i])) return false;
  for (const auto& [k, v] : a.map)
    if (const ConfigValue* o = b.find(k); !o || !same_value(v, *o)) return false;
  return true;
}

}  // namespace

Result<std::string> add_settings(std::string_view text, const std::string& source, const std::string& section,
                                 const std::vector<std::pair<std::string, ConfigValue>>& settings) {
  auto root = parse_yaml(text, source);
  if (!root) return fail(root.error());
  if (settings.empty()) return std::string(text);
  std::vector<std::string> lines;
  for (const auto& [key, value] : settings) {
    YAML::Emitter inline_value;
    inline_value << YAML::Flow;
    emit(inline_value, value);
    lines.push_back(key + ": " + inline_value.c_str() + "\n");
  }
  const std::string key = settings.front().first;  // for messages
  std::string out(text);
  const ConfigValue* existing = root->is_map() ? root->find(section) : nullptr;
  if (root->kind != ConfigValue::Kind::null && !root->is_map())
    return fail(Errc::config, source + " is not a mapping of sections");
  if (!existing) {
    if (!out.empty() && out.back() != '\n') out += "\n";
    out += section + ":\n";
    for (const auto& l : lines) out += "  " + l;
  } else {
    const std::string where = source + ": cannot add '" + section + "." + key + "' ";
    if (!existing->is_map() || existing->map.empty())
      return fail(Errc::config, where + "to a '" + section + "' section that is not a mapping of keys");
    for (const auto& [k, v] : settings)
      if (existing->find(k))
        return fail(Errc::config, source + ": cannot add '" + section + "." + k + "' (it is already set)");
    auto at = line_column(existing->origin);
    std::optional<std::pair<std::size_t, std::size_t>> first;
    for (const auto& [k, v] : existing->map)
      if (auto lc = line_column(v.origin); lc && (!first || lc->first < first->first)) first = lc;
    if (!at || !first || first->first <= at->first || first->second < 2)
      return fail(Errc::config, where + "to its '" + section + "' section written in flow style ({...})");
    // The start of the first key's line, which must be indentation only.
    std::size_t pos = 0;
    for (std::size_t n = 1; n < first->first; ++n) {
      pos = out.find('\n', pos);
      if (pos == std::string::npos) return fail(Errc::config, where + "(its layout is not understood)");
      ++pos;
    }
    const std::size_t indent = first->second - 1;
    if (out.size() < pos + indent || out.compare(pos, indent, std::string(indent, ' ')) != 0)
      return fail(Errc::config, where + "(its layout is not understood)");
    std::string block;
    for (const auto& l : lines) block += std::string(indent, ' ') + l;
    out.insert(pos, block);
  }
  // What was written must read back as the file with exactly these settings added.
  auto again = parse_yaml(out, source);
  const ConfigValue* sec = again && again->is_map() ? again->find(section) : nullptr;
  bool same = sec && sec->is_map() &&
              again->map.size() == (root->is_map() ? root->map.size() : 0) + (existing ? 0 : 1) &&
              sec->map.size() == (existing ? existing->map.size() : 0) + settings.size();
  for (const auto& [k, v] : settings) {
    const ConfigValue* got = same ? sec->find(k) : nullptr;
    same = got && same_value(*got, v);
  }
  if (!same) return fail(Errc::config, source + ": adding to '" + section + "' would not read back as intended");
  return out;
}

std::string to_yaml(const ConfigValue& root, const std::vector<std::string>& header) {
  YAML::Emitter out;
  emit(out, root);
  std::string text;
  for (const auto& line : header) text += "# " + line + "\n";
  return text + out.c_str() + "\n";
}

}  // namespace acmed::config
