// SPDX-License-Identifier: Apache-2.0
// Usage mistakes that CLI11 would only answer with "A subcommand is required" or "not
// expected": an unknown command word (with the nearest command, or what acmed calls the
// certbot or lego word), and options other ACME clients spell differently (--email).
#include <algorithm>
#include <map>

#include "commands.hpp"

namespace acmed::cli {
namespace {

/// certbot's and lego's command words: the acmed command (or ""), and a note.
struct Foreign {
  std::string command;
  std::string note;
};
const std::map<std::string, Foreign>& foreign_commands() {
  static const std::map<std::string, Foreign> words = {
      {"certonly", {"issue", "certbot's certonly is 'acmed issue NAME -d DOMAIN'"}},
      {"run", {"issue", "lego's and certbot's run is 'acmed issue NAME -d DOMAIN', then 'acmed deploy NAME'"}},
      {"certificates", {"list", ""}},
      {"delete",
       {"", "to stop renewing a certificate, remove certs.d/NAME.yaml from the configuration directory "
            "(and run 'acmed revoke NAME' first if its key is compromised)"}},
      {"register", {"account register", ""}},
      {"unregister", {"account deactivate", ""}},
      {"update_account", {"account update", ""}},
      {"show_account", {"account show", ""}},
      {"install", {"deploy", ""}},
      {"validate", {"config check", ""}},
      {"help", {"", "run 'acmed --help' or 'acmed COMMAND --help'"}},
      {"version", {"", "run 'acmed --version'"}},
  };
  return words;
}

/// Options of other clients: what acmed spells instead.
const std::map<std::string, std::string>& foreign_options() {
  static const std::map<std::string, std::string> options = {
      {"--email", "use --contact EMAIL (repeatable)"},
      {"-m", "use --contact EMAIL (repeatable) for the account's e-mail"},
      {"--accept-tos", "use --agree-tos"},
      {"--domains", "use -d/--domain DOMAIN (repeatable) with 'acmed issue'"},
      {"--cert-name", "the certificate's name is the first argument: 'acmed issue NAME -d DOMAIN'"},
      {"--staging", "use --server letsencrypt-staging"},
      {"--test-cert", "use --server letsencrypt-staging"},
      {"--non-interactive", "acmed never prompts: leave it out"},
      {"-w", "use --webroot DIR with 'acmed issue'"},
      {"--webroot-path", "use --webroot DIR with 'acmed issue'"},
      {"--eab-kid", "put the external account binding in acmed.yaml (account.eab)"},
  };
  return options;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::vector<CLI::App*> visible_subcommands(CLI::App* app) {
  return app->get_subcommands([](CLI::App* s) { return !s->get_group().empty(); });
}

/// The nearest visible subcommand of `app` to `word`, or "".
std::string nearest(CLI::App* app, const std::string& word) {
  std::string best;
  std::size_t best_distance = word.size() <= 3 ? 2 : 3;  // at most 1 edit for short words, else 2
  for (CLI::App* s : visible_subcommands(app)) {
    const std::string& name = s->get_name();
    std::size_t d = edit_distance(word, name);
    if (word.size() >= 3 && name.rfind(word, 0) == 0) d = std::min<std::size_t>(d, 1);  // a prefix: "acc"
    if (d < best_distance) best_distance = d, best = name;
  }
  return best;
}

}  // namespace

std::optional<std::string> usage_hint(CLI::App& root, const std::vector<std::string>& args) {
  CLI::App* app = &root;
  std::string path;  // the command words so far, each followed by a space
  bool positionals = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    if (arg == "-h" || arg == "--help" || arg == "--version") return std::nullopt;  // CLI11 answers these
    if (arg.size() > 1 && arg[0] == '-') {
      const std::string name = arg.substr(0, arg.find('='));
      if (const CLI::Option* o = find_option(app, name)) {
        if (o->get_expected_max() > 0 && name == arg) ++i;  // its value is the next word (flags expect 0)
        continue;
      }
      if (auto it = foreign_options().find(name); it != foreign_options().end())
        return "unknown option '" + name + "': " + it->second;
      continue;  // CLI11 names it
    }
    if (positionals) continue;
    const auto subs = visible_subcommands(app);
    if (subs.empty()) {  // positional arguments from here on; foreign options are still looked for
      positionals = true;
      continue;
    }
    auto it = std::find_if(subs.begin(), subs.end(), [&](CLI::App* s) { return s->check_name(arg); });
    if (it != subs.end()) {
      app = *it;
      path += arg + " ";
      continue;
    }
    // A word where a command is expected; commands that also take positionals decide themselves.
    if (app != &root && !app->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty()) {
      positionals = true;
      continue;
    }
    Foreign hint{"", ""};
    if (auto f = foreign_commands().find(arg); app == &root && f != foreign_commands().end()) hint = f->second;
    else if (auto near = nearest(app, arg); !near.empty()) hint.command = path + near;
    std::string message = "unknown command '" + path + arg + "'";
    if (!hint.command.empty()) message += " (did you mean '" + hint.command + "'?)";
    if (!hint.note.empty()) message += ": " + hint.note;
    return message + "\n'acmed " + path + "--help' lists the commands";
  }
  // No command at all (CLI11 would say only "A subcommand is required").
  if (!positionals && app->get_require_subcommand_min() > 0) {
    std::string names;
    for (CLI::App* s : visible_subcommands(app)) names += (names.empty() ? "" : ", ") + s->get_name();
    const std::string command = path.empty() ? "acmed" : "acmed " + path.substr(0, path.size() - 1);
    return "'" + command + "' needs a command: " + names +
           "\n'acmed " + path + "--help' describes them";
  }
  return std::nullopt;
}

}  // namespace acmed::cli
