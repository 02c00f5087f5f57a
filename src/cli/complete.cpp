// SPDX-License-Identifier: Apache-2.0
// acmed __complete CWORD WORD...: the candidates for word CWORD of the command line WORD...
// (WORD 0 is the program), one per line, for the bash and zsh completion scripts
// (completion/). Commands and options come from the same CLI11 tree that parses the
// command line, so they cannot drift; certificate names come from certs.d of the
// --config-dir given on the line (default /etc/acmed). "__files__" asks the shell for
// file names.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "commands.hpp"

namespace acmed::cli {
namespace {

CLI::App* subcommand(CLI::App* app, const std::string& name) {
  auto found = app->get_subcommands([&](CLI::App* s) { return s->get_name() == name && !s->get_group().empty(); });
  return found.empty() ? nullptr : found.front();
}

// Flags (-v, --json) expect no value; their type size is still 1.
bool takes_value(const CLI::Option* o) { return o && o->get_expected_max() > 0; }

/// The values an option's argument can take, when there is a fixed set.
std::vector<std::string> values_of(const CLI::Option* o, bool& files) {
  static const std::map<std::string, std::vector<std::string>> fixed = {
      {"to", {"dns-persist-01", "dns-01"}},
      {"key-type", {"ec-p256", "ec-p384", "rsa2048", "rsa3072", "rsa4096", "ed25519"}},
      {"format", {"zone", "json", "terraform", "octodns"}},
      {"reason", {"unspecified", "keyCompromise", "affiliationChanged", "superseded", "cessationOfOperation"}},
  };
  for (const auto& l : o->get_lnames()) {
    if (auto it = fixed.find(l); it != fixed.end()) return it->second;
    for (const char* part : {"dir", "bundle", "file", "webroot", "path"})
      if (l.find(part) != std::string::npos) files = true;
  }
  return {};
}

bool takes_certificate_names(CLI::App* app) {
  for (const CLI::Option* o : app->get_options())
    if (o->get_positional() && (o->get_name() == "name" || o->get_name() == "names")) return true;
  return false;
}

std::vector<std::string> certificate_names(const std::string& config_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(config_dir + "/certs.d", ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".yaml") out.push_back(it->path().stem().string());
  return out;
}

}  // namespace

/// The option `word` names in `app` or (fallthrough) one of its parents.
const CLI::Option* find_option(CLI::App* app, const std::string& word) {
  for (CLI::App* a = app; a; a = a->get_parent())
    for (const CLI::Option* o : a->get_options()) {
      for (const auto& l : o->get_lnames())
        if (word == "--" + l) return o;
      for (const auto& s : o->get_snames())
        if (word == "-" + s) return o;
    }
  return nullptr;
}

int run_completion(CLI::App& root, const std::vector<std::string>& args) {
  if (args.size() < 2) return exit_config;
  std::size_t cword = 0;
  try {
    cword = std::stoul(args[0]);
  } catch (const std::exception&) {
    return exit_config;
  }
  const std::vector<std::string> words(args.begin() + 1, args.end());
  const std::string cur = cword < words.size() ? words[cword] : "";
  CLI::App* app = &root;
  std::string config_dir = "/etc/acmed";
  const CLI::Option* pending = nullptr;  // the option whose value the current word is
  const std::size_t before = std::min(cword, words.size());  // the words before the current one
  for (std::size_t i = 1; i < before; ++i) {
    const std::string& w = words[i];
    pending = nullptr;
    if (w.rfind("--config-dir=", 0) == 0) config_dir = w.substr(13);
    if (w.rfind("-", 0) == 0) {
      const CLI::Option* o = find_option(app, w.substr(0, w.find('=')));
      if (takes_value(o) && w.find('=') == std::string::npos) {
        if (i + 1 < before) {
          if (w == "--config-dir") config_dir = words[i + 1];
          ++i;
        } else {
          pending = o;
        }
      }
      continue;
    }
    if (CLI::App* s = subcommand(app, w)) app = s;
  }
  std::set<std::string> out;
  auto offer = [&](const std::string& c) {
    if (c.rfind(cur, 0) == 0) out.insert(c);
  };
  if (pending) {
    bool files = false;
    for (const auto& v : values_of(pending, files)) offer(v);
    if (files) std::cout << "__files__\n";
  } else if (cur.rfind("-", 0) == 0) {
    for (CLI::App* a = app; a; a = a->get_parent())
      for (const CLI::Option* o : a->get_options()) {
        if (o->get_group().empty()) continue;  // hidden (--parse-only)
        for (const auto& l : o->get_lnames()) offer("--" + l);
      }
  } else {
    for (CLI::App* s : app->get_subcommands([](CLI::App* s) { return !s->get_group().empty(); }))
      offer(s->get_name());
    if (takes_certificate_names(app))
      for (const auto& n : certificate_names(config_dir)) offer(n);
  }
  for (const auto& c : out) std::cout << c << "\n";
  return exit_ok;
}

}  // namespace acmed::cli
