// SPDX-License-Identifier: Apache-2.0
#include "acmed/solvers/http01.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "acmed/solvers/listener.hpp"
#include "acmed/solvers/settings.hpp"
#include "acmed/solvers/solver_base.hpp"
#include "acmed_detail/asio.hpp"
#include "acmed_detail/http_bytes.hpp"

namespace acmed::solver {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
namespace fs = std::filesystem;

constexpr std::string_view challenge_prefix = "/.well-known/acme-challenge/";

// Validation servers keep requests tiny; a large one gets dropped.
constexpr detail::RequestLimits request_limits{.header_limit = 8192, .body_limit = 0};

/// The key authorization for a request target, from a token -> entry map.
template <class Map, class Value>
std::optional<std::string> find_key_authorization(const Map& tokens, std::string_view target, Value value) {
  if (target.rfind(challenge_prefix, 0) != 0) return std::nullopt;
  auto it = tokens.find(std::string(target.substr(challenge_prefix.size())));
  if (it == tokens.end()) return std::nullopt;
  return value(it->second);
}

/// One request's response: the key authorization for GET/HEAD of a known token, else 404/405.
template <class Lookup>
http::response<http::string_body> respond(const http::request<http::empty_body>& req, Lookup lookup) {
  http::response<http::string_body> res;
  res.version(11);
  res.keep_alive(req.keep_alive());
  res.set(http::field::server, "acmed");
  const auto target = req.target();
  auto body = lookup(std::string_view(target.data(), target.size()));
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    res.result(http::status::method_not_allowed);
  } else if (body) {
    res.result(http::status::ok);
    res.set(http::field::content_type, "application/octet-stream");
    if (req.method() != http::verb::head) res.body() = *body;
  } else {
    res.result(http::status::not_found);
  }
  res.prepare_payload();
  return res;
}

/// The tokens the http-01 listener answers for: a minimal HTTP/1.1 responder for
/// /.well-known/acme-challenge/<token>.
class TokenTable {
 public:
  Result<void> init() { return {}; }

  // Two certificates renewed in parallel can share one pending authorization, hence
  // one token: it is served until the last of them cleans up.
  void set(const std::string& token, const std::string& value) {
    std::lock_guard lock(mu_);
    auto& entry = tokens_[token];
    entry.first = value;
    ++entry.second;
  }
  void erase(const std::string& token) {
    std::lock_guard lock(mu_);
    auto it = tokens_.find(token);
    if (it != tokens_.end() && --it->second.second <= 0) tokens_.erase(it);
  }

  net::awaitable<void> serve(tcp::socket sock) {
    beast::tcp_stream stream(std::move(sock));
    beast::flat_buffer buffer;
    beast::error_code ec;
    // Validation servers keep requests tiny; a slow or large client gets dropped.
    for (int i = 0; i < 8; ++i) {
      stream.expires_after(std::chrono::seconds(10));
      http::request_parser<http::empty_body> parser;
      detail::apply_limits(parser, request_limits);
      co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
      if (ec) break;
      auto res = respond(parser.get(), [this](std::string_view target) { return lookup(target); });
      co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
      if (ec || !res.keep_alive()) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  }

 private:
  std::optional<std::string> lookup(std::string_view target) const {
    std::lock_guard lock(mu_);
    return find_key_authorization(tokens_, target, [](const auto& entry) { return entry.first; });
  }

  mutable std::mutex mu_;
  std::map<std::string, std::pair<std::string, int>> tokens_;  ///< token -> (key authorization, users)
};

class StandaloneSolver final : public SolverBase {
 public:
  explicit StandaloneSolver(tcp::endpoint ep) : SolverBase("http-01"), lease_({.name = "http-01 listener"}, ep) {}

 protected:
  Result<void> do_present(const ChallengeContext& ctx) override {
    if (!is_safe_token(ctx.token)) return fail(Errc::bad_response, "challenge token is missing or not base64url");
    // Shared with every other http-01 solver of this process on the same address.
    auto table = lease_.acquire();
    if (!table) return fail(table.error());
    (*table)->set(ctx.token, ctx.key_authorization);
    tokens_.insert(ctx.token);
    return {};
  }
  void do_cleanup(const ChallengeContext& ctx) override {
    TokenTable* table = lease_.get();
    if (!table || tokens_.erase(ctx.token) == 0) return;
    table->erase(ctx.token);
    // Free the port as soon as nobody in this process serves anything on it.
    if (tokens_.empty()) lease_.release();
  }

 private:
  ListenerLease<TokenTable> lease_;
  std::set<std::string> tokens_;  ///< served by this solver (the listener may serve others' too)
};

class WebrootSolver final : public SolverBase {
 public:
  explicit WebrootSolver(fs::path root) : SolverBase("http-01"), root_(std::move(root)) {}

 protected:
  Result<void> do_present(const ChallengeContext& ctx) override {
    if (!is_safe_token(ctx.token)) return fail(Errc::bad_response, "challenge token is missing or not base64url");
    fs::path dir = root_ / ".well-known" / "acme-challenge";
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return fail(Errc::solver, "cannot create " + dir.string() + ": " + ec.message());
    // Web servers must be able to read it: 0755 directories, 0644 file.
    for (fs::path p : {root_ / ".well-known", dir})
      fs::permissions(p, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec, ec);
    fs::path file = dir / ctx.token;
    fs::path tmp = dir / ("." + ctx.token + ".tmp");
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << ctx.key_authorization;
      if (!out.flush()) return fail(Errc::solver, "cannot write " + tmp.string());
    }
    ::chmod(tmp.c_str(), 0644);
    fs::rename(tmp, file, ec);
    if (ec) return fail(Errc::solver, "cannot create " + file.string() + ": " + ec.message());
    return {};
  }
  void do_cleanup(const ChallengeContext& ctx) override {
    if (!is_safe_token(ctx.token)) return;
    std::error_code ec;
    fs::remove(root_ / ".well-known" / "acme-challenge" / ctx.token, ec);
  }

 private:
  fs::path root_;
};

class Http01Factory final : public SolverFactory {
 public:
  std::string_view name() const override { return "http-01"; }
  std::string_view challenge_type() const override { return "http-01"; }
  Capabilities capabilities() const override {
    return {.wildcard = false, .ip_identifiers = true, .needs_inbound_port = true, .writes_dns = false};
  }

  Result<void> validate(const SolverConfig& config) const override {
    if (auto r = check_keys(config.settings, {"mode", "listen", "webroot"}, "http-01"); !r) return r;
    auto mode = get_string(config.settings, "mode", "standalone", "http-01");
    if (!mode) return fail(mode.error());
    if (*mode == "standalone") {
      if (auto ep = listen_endpoint(config.settings, "0.0.0.0:80", "http-01"); !ep) return fail(ep.error());
      return {};
    }
    if (*mode == "webroot") {
      auto root = get_string(config.settings, "webroot", "", "http-01");
      if (!root) return fail(root.error());
      if (root->empty() || (*root)[0] != '/')
        return fail(Errc::config,
                    setting_origin(config.settings, "webroot") + ": http-01 webroot mode needs an absolute 'webroot' path");
      return {};
    }
    return fail(Errc::config, setting_origin(config.settings, "mode") +
                                  ": http-01 mode must be 'standalone' or 'webroot', not '" + *mode + "'");
  }

  Result<std::unique_ptr<ChallengeSolver>> create(const SolverConfig& config, const SolverDeps&) const override {
    if (auto r = validate(config); !r) return fail(r.error());
    auto mode = get_string(config.settings, "mode", "standalone", "http-01");
    if (*mode == "webroot")
      return std::unique_ptr<ChallengeSolver>(
          std::make_unique<WebrootSolver>(*get_string(config.settings, "webroot", "", "http-01")));
    auto ep = listen_endpoint(config.settings, "0.0.0.0:80", "http-01");
    return std::unique_ptr<ChallengeSolver>(std::make_unique<StandaloneSolver>(*ep));
  }
};

}  // namespace

std::optional<std::string> http01_answer_bytes(std::string_view raw, const std::map<std::string, std::string>& tokens) {
  auto parsed = detail::parse_request_bytes<http::empty_body>(raw, request_limits);
  if (!parsed.request) return std::nullopt;
  auto res = respond(*parsed.request, [&](std::string_view target) {
    return find_key_authorization(tokens, target, [](const std::string& v) { return v; });
  });
  return detail::response_bytes(res);
}

std::unique_ptr<SolverFactory> make_http01_factory() { return std::make_unique<Http01Factory>(); }

}  // namespace acmed::solver
