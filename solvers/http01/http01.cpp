#include "acmed/solvers/http01.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <mutex>
#include <thread>

#include "acmed/solvers/endpoint_share.hpp"
#include "acmed/solvers/settings.hpp"
#include "acmed/solvers/solver_base.hpp"
#include "acmed_detail/asio.hpp"
#include "acmed_detail/listen.hpp"

namespace acmed::solver {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
namespace fs = std::filesystem;

constexpr std::string_view challenge_prefix = "/.well-known/acme-challenge/";

Result<tcp::endpoint> parse_listen(const std::string& text) {
  auto l = parse_listen_address(text);
  if (!l) return fail(l.error());
  return tcp::endpoint(net::ip::make_address(l->address), l->port);
}

/// A minimal HTTP/1.1 responder for /.well-known/acme-challenge/<token>, on its own thread.
class Listener {
 public:
  explicit Listener(tcp::endpoint ep) : endpoint_(ep), acceptor_(ioc_) {}
  ~Listener() { stop(); }

  Result<void> start() {
    if (auto r = detail::open_acceptor(acceptor_, endpoint_); !r) return r;
    net::co_spawn(ioc_, accept_loop(), net::detached);
    thread_ = std::thread([this] { ioc_.run(); });
    spdlog::info("http-01 listener on {}:{}", endpoint_.address().to_string(), endpoint_.port());
    return {};
  }

  void stop() {
    if (!thread_.joinable()) return;
    ioc_.stop();
    thread_.join();
  }

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
  bool empty() const {
    std::lock_guard lock(mu_);
    return tokens_.empty();
  }

 private:
  net::awaitable<void> accept_loop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket sock = co_await acceptor_.async_accept(net::redirect_error(net::use_awaitable, ec));
      if (ec) {
        if (ec == net::error::operation_aborted) co_return;
        continue;
      }
      net::co_spawn(ioc_, serve(std::move(sock)), net::detached);
    }
  }

  net::awaitable<void> serve(tcp::socket sock) {
    beast::tcp_stream stream(std::move(sock));
    beast::flat_buffer buffer;
    beast::error_code ec;
    // Validation servers keep requests tiny; a slow or large client gets dropped.
    for (int i = 0; i < 8; ++i) {
      stream.expires_after(std::chrono::seconds(10));
      http::request_parser<http::empty_body> parser;
      parser.header_limit(8192);
      co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
      if (ec) break;
      auto req = parser.release();
      http::response<http::string_body> res;
      res.version(11);
      res.keep_alive(req.keep_alive());
      res.set(http::field::server, "acmed");
      std::string target(req.target());
      auto body = lookup(target);
      if (req.method() != http::verb::get && req.method() != http::verb::head) {
        res.result(http::status::method_not_allowed);
      } else if (body) {
        res.result(http::status::ok);
        res.set(http::field::content_type, "application/octet-stream");
        res.body() = *body;
      } else {
        res.result(http::status::not_found);
      }
      res.prepare_payload();
      co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
      if (ec || !res.keep_alive()) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  }

  std::optional<std::string> lookup(std::string_view target) const {
    if (target.rfind(challenge_prefix, 0) != 0) return std::nullopt;
    std::string token(target.substr(challenge_prefix.size()));
    std::lock_guard lock(mu_);
    auto it = tokens_.find(token);
    if (it == tokens_.end()) return std::nullopt;
    return it->second.first;
  }

  tcp::endpoint endpoint_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::map<std::string, std::pair<std::string, int>> tokens_;  ///< token -> (key authorization, users)
};

class StandaloneSolver final : public SolverBase {
 public:
  explicit StandaloneSolver(tcp::endpoint ep) : SolverBase("http-01"), endpoint_(ep) {}
  ~StandaloneSolver() override {
    if (listener_) EndpointShare<Listener>::release(key(), listener_);
  }

 protected:
  Result<void> do_present(const ChallengeContext& ctx) override {
    if (!is_safe_token(ctx.token)) return fail(Errc::bad_response, "challenge token is missing or not base64url");
    if (!listener_) {
      // Shared with every other http-01 solver of this process on the same address.
      auto l = EndpointShare<Listener>::acquire(key(), [&]() -> Result<std::shared_ptr<Listener>> {
        auto made = std::make_shared<Listener>(endpoint_);
        if (auto r = made->start(); !r) return fail(r.error());
        return made;
      });
      if (!l) return fail(l.error());
      listener_ = *l;
    }
    listener_->set(ctx.token, ctx.key_authorization);
    tokens_.insert(ctx.token);
    return {};
  }
  void do_cleanup(const ChallengeContext& ctx) override {
    if (!listener_ || tokens_.erase(ctx.token) == 0) return;
    listener_->erase(ctx.token);
    // Free the port as soon as nobody in this process serves anything on it.
    if (tokens_.empty()) EndpointShare<Listener>::release(key(), listener_);
  }

 private:
  std::string key() const { return endpoint_.address().to_string() + "|" + std::to_string(endpoint_.port()); }
  tcp::endpoint endpoint_;
  std::shared_ptr<Listener> listener_;
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
      auto listen = get_string(config.settings, "listen", "0.0.0.0:80", "http-01");
      if (!listen) return fail(listen.error());
      if (auto ep = parse_listen(*listen); !ep) return fail(ep.error().with_context(origin(config, "listen")));
      return {};
    }
    if (*mode == "webroot") {
      auto root = get_string(config.settings, "webroot", "", "http-01");
      if (!root) return fail(root.error());
      if (root->empty() || (*root)[0] != '/')
        return fail(Errc::config, origin(config, "webroot") + ": http-01 webroot mode needs an absolute 'webroot' path");
      return {};
    }
    return fail(Errc::config, origin(config, "mode") + ": http-01 mode must be 'standalone' or 'webroot', not '" + *mode + "'");
  }

  Result<std::unique_ptr<ChallengeSolver>> create(const SolverConfig& config, const SolverDeps&) const override {
    if (auto r = validate(config); !r) return fail(r.error());
    auto mode = get_string(config.settings, "mode", "standalone", "http-01");
    if (*mode == "webroot")
      return std::unique_ptr<ChallengeSolver>(
          std::make_unique<WebrootSolver>(*get_string(config.settings, "webroot", "", "http-01")));
    auto ep = parse_listen(*get_string(config.settings, "listen", "0.0.0.0:80", "http-01"));
    return std::unique_ptr<ChallengeSolver>(std::make_unique<StandaloneSolver>(*ep));
  }

 private:
  static std::string origin(const SolverConfig& c, const std::string& key) {
    const ConfigValue* v = c.settings.find(key);
    return v ? v->origin : c.settings.origin;
  }
};

}  // namespace

std::unique_ptr<SolverFactory> make_http01_factory() { return std::make_unique<Http01Factory>(); }

}  // namespace acmed::solver
