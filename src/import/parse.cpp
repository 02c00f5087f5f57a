// SPDX-License-Identifier: Apache-2.0
// The parsers of certbot's and lego's files: certbot's configobj renewal files, its
// account JSON (private JWK, registration) and lego's account.json. Every input is
// outside input: sizes and counts are bounded and text in messages is escaped.
#include <nlohmann/json.hpp>

#include <cctype>

#include "acmed/core/crypto.hpp"
#include "acmed/core/text.hpp"
#include "acmed/import/import.hpp"

namespace acmed::import {
namespace {

constexpr std::size_t max_conf_bytes = 1 << 20;
constexpr std::size_t max_conf_entries = 4096;
constexpr std::size_t max_json_bytes = 256 * 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string at_line(int line) { return "line " + std::to_string(line) + ": "; }

Result<nlohmann::json> parse_json(std::string_view text, const char* what) {
  if (text.size() > max_json_bytes) return fail(Errc::bad_response, std::string(what) + " is larger than 256 KiB");
  // Bounded depth: nothing these files hold nests deeper than a few levels.
  int depth = 0;
  bool too_deep = false;
  auto j = nlohmann::json::parse(
      text,
      [&](int d, nlohmann::json::parse_event_t, nlohmann::json&) {
        depth = std::max(depth, d);
        if (d > 16) too_deep = true;
        return !too_deep;
      },
      false);
  if (too_deep) return fail(Errc::bad_response, std::string(what) + " nests deeper than 16 levels");
  if (j.is_discarded()) return fail(Errc::bad_response, std::string(what) + " is not JSON");
  if (!j.is_object()) return fail(Errc::bad_response, std::string(what) + " is not a JSON object");
  return j;
}

Result<std::string> https_uri(const nlohmann::json& j, const char* what) {
  if (!j.is_object() || !j.contains("uri") || !j["uri"].is_string())
    return fail(Errc::bad_response, std::string(what) + " has no account URL (\"uri\")");
  std::string uri = j["uri"].get<std::string>();
  if (uri.rfind("https://", 0) != 0 || uri.size() > 2048 ||
      std::any_of(uri.begin(), uri.end(), [](unsigned char c) { return c <= 0x20 || c >= 0x7f; }))
    return fail(Errc::bad_response, std::string(what) + ": the account URL '" + escape_untrusted(uri, 200) +
                                        "' is not an https URL");
  return uri;
}

}  // namespace

Result<std::vector<ConfEntry>> parse_certbot_conf(std::string_view text) {
  if (text.size() > max_conf_bytes) return fail(Errc::config, "larger than 1 MiB");
  std::vector<ConfEntry> out;
  std::vector<std::string> sections;  // sections[d] = name at nesting depth d+1
  int line_no = 0;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[') {
      std::size_t depth = 0;
      while (depth < line.size() && line[depth] == '[') ++depth;
      auto close = line.find(']', depth);
      if (close == std::string_view::npos || close == depth)
        return fail(Errc::config, at_line(line_no) + "malformed section header");
      for (std::size_t i = close; i < close + depth; ++i)
        if (i >= line.size() || line[i] != ']')
          return fail(Errc::config, at_line(line_no) + "unbalanced brackets in a section header");
      std::string_view rest = trim(line.substr(close + depth));
      if (!rest.empty() && rest.front() != '#')
        return fail(Errc::config, at_line(line_no) + "text after the section header");
      if (depth > sections.size() + 1 || depth > 8)
        return fail(Errc::config, at_line(line_no) + "section nested without its parent");
      sections.resize(depth - 1);
      sections.emplace_back(trim(line.substr(depth, close - depth)));
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string_view::npos)
      // The line itself is not quoted: a file that is not a renewal file at all (a
      // mistaken path) must not have its content printed.
      return fail(Errc::config, at_line(line_no) + "expected 'key = value'");
    std::string_view key = trim(line.substr(0, eq));
    std::string_view value = trim(line.substr(eq + 1));
    if (key.empty()) return fail(Errc::config, at_line(line_no) + "a value without a key");
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    } else if (auto hash = value.find(" #"); hash != std::string_view::npos) {
      value = trim(value.substr(0, hash));  // an inline comment after an unquoted value
    }
    if (out.size() >= max_conf_entries) return fail(Errc::config, "more than 4096 entries");
    ConfEntry e;
    for (const auto& s : sections) e.section += (e.section.empty() ? "" : "/") + s;
    e.key = std::string(key);
    e.value = std::string(value);
    e.line = line_no;
    out.push_back(std::move(e));
  }
  return out;
}

Result<Secret> certbot_account_key(std::string_view json) {
  auto j = parse_json(json, "private_key.json");
  if (!j) return fail(j.error());
  std::map<std::string, std::string> members;
  for (auto& [k, v] : j->items()) {
    // Moved out of the tree, so no copy of the key material outlives this function
    // unwiped: each string ends in a Secret, which wipes it.
    if (v.is_string()) members[k] = std::move(v.get_ref<std::string&>());
  }
  auto key = PrivateKey::from_jwk(members);
  for (auto& [k, v] : members) {
    [[maybe_unused]] Secret wiped(std::move(v));
  }
  if (!key) return fail(key.error().with_context("private_key.json"));
  return key->to_pem();
}

Result<std::string> certbot_account_url(std::string_view json) {
  auto j = parse_json(json, "regr.json");
  if (!j) return fail(j.error());
  return https_uri(*j, "regr.json");
}

Result<std::string> lego_account_url(std::string_view json) {
  auto j = parse_json(json, "account.json");
  if (!j) return fail(j.error());
  if (!j->contains("registration")) return fail(Errc::bad_response, "account.json has no \"registration\"");
  return https_uri((*j)["registration"], "account.json");
}

Result<std::string> certbot_interval(std::string_view text) {
  std::string_view t = trim(text);
  std::size_t i = 0;
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
  if (i == 0 || i > 6) return fail(Errc::config, "'" + escape_untrusted(t, 40) + "' is not 'N days'");
  std::string n(t.substr(0, i));
  std::string_view unit = trim(t.substr(i));
  if (unit == "day" || unit == "days" || unit == "d") return n + "d";
  if (unit == "week" || unit == "weeks" || unit == "w") return std::to_string(std::stol(n) * 7) + "d";
  if (unit == "hour" || unit == "hours" || unit == "h") return n + "h";
  if (unit == "minute" || unit == "minutes" || unit == "m") return n + "m";
  if (unit.empty()) return n + "d";  // certbot reads a bare number as days
  if (unit == "second" || unit == "seconds" || unit == "s") return n + "s";
  return fail(Errc::config, "'" + escape_untrusted(t, 40) + "': acmed takes days, hours, minutes or seconds");
}

Result<SolverChoice> parse_solver_choice(const std::string& text) {
  SolverChoice c;
  if (text.empty()) return c;
  if (text == "dns-persist-01") {
    c.type = text;
  } else if (text == "http-01" || text.rfind("http-01:", 0) == 0) {
    c.type = "http-01";
    c.listen = text.size() > 8 ? text.substr(8) : "0.0.0.0:80";
  } else if (text.rfind("webroot:", 0) == 0 && text.size() > 8 && text[8] == '/') {
    c.type = "webroot";
    c.webroot = text.substr(8);
  } else {
    return fail(Errc::config, "--solver: '" + escape_untrusted(text, 80) +
                                  "' is not dns-persist-01, http-01[:HOST:PORT] or webroot:/ABSOLUTE/PATH");
  }
  return c;
}

}  // namespace acmed::import
