// SPDX-License-Identifier: Apache-2.0
#include "acmed/solvers/listener.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "acmed/solvers/settings.hpp"
#include "acmed_detail/listen.hpp"

namespace acmed::solver {

namespace net = boost::asio;
using tcp = net::ip::tcp;

Result<tcp::endpoint> listen_endpoint(const ConfigValue& section, const std::string& fallback,
                                      std::string_view solver) {
  auto text = get_string(section, "listen", fallback, solver);
  if (!text) return fail(text.error());
  auto parsed = parse_listen_address(*text);
  if (!parsed) return fail(parsed.error().with_context(setting_origin(section, "listen")));
  boost::system::error_code ec;
  auto address = net::ip::make_address(parsed->address, ec);
  if (ec)
    return fail(Error(Errc::config, "listen address '" + parsed->address + "' is not an IP address")
                    .with_context(setting_origin(section, "listen")));
  return tcp::endpoint(address, parsed->port);
}

/// One accepted connection. The listener owns its socket until the client speaks, then the
/// handler does; `fd` stays valid until serve() ends, which is when it leaves the list.
struct Listener::Connection {
  explicit Connection(tcp::socket s) : sock(std::move(s)), fd(sock.native_handle()) {}
  tcp::socket sock;
  int fd;
  bool spoke = false;    ///< the client sent its first bytes and the handler runs
  bool evicted = false;  ///< closed to make room; no longer counted in live_
  std::list<std::shared_ptr<Connection>>::iterator self;
};

namespace {

// After accept runs out of descriptors, the listener holds no more connections than it
// had then, for this long and at least this many.
constexpr auto fd_cap_hold = std::chrono::seconds(10);
constexpr std::size_t min_fd_cap = 8;


}  // namespace

Listener::Listener(ListenerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)), acceptor_(ioc_), backoff_(ioc_) {}

Result<std::unique_ptr<Listener>> Listener::start(const tcp::endpoint& endpoint, ListenerOptions options,
                                                  Handler handler) {
  std::unique_ptr<Listener> self(new Listener(std::move(options), std::move(handler)));
  if (auto r = detail::open_acceptor(self->acceptor_, endpoint); !r) return fail(r.error());
  boost::system::error_code ec;
  self->local_ = self->acceptor_.local_endpoint(ec);
  if (ec) self->local_ = endpoint;
  net::co_spawn(self->ioc_, self->accept_loop(), net::detached);
  self->thread_ = std::thread([l = self.get()] { l->ioc_.run(); });
  spdlog::info("{} on {}:{}", self->options_.name, self->local_.address().to_string(), self->local_.port());
  return self;
}

Listener::~Listener() {
  if (!thread_.joinable()) return;
  ioc_.stop();
  thread_.join();
}

net::awaitable<void> Listener::accept_loop() {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket sock = co_await acceptor_.async_accept(net::redirect_error(net::use_awaitable, ec));
    if (ec == net::error::operation_aborted) co_return;
    if (ec) {
      // EMFILE/ENFILE leave the connection queued, so accepting again at once fails the same
      // way and the loop spins. Free a descriptor, hold one connection fewer for a while so
      // the next ones evict instead of failing (but never fewer than a validator's few
      // parallel connections), and pause while the freed descriptors close.
      if (detail::out_of_descriptors(ec)) {
        fd_cap_ = std::max<std::size_t>(min_fd_cap, connections_.size() - (connections_.empty() ? 0 : 1));
        fd_cap_until_ = std::chrono::steady_clock::now() + fd_cap_hold;
        evict_oldest();
      }
      spdlog::debug("{}: accept failed: {}; pausing", options_.name, ec.message());
      backoff_.expires_after(options_.accept_backoff);
      co_await backoff_.async_wait(net::redirect_error(net::use_awaitable, ec));
      continue;
    }
    std::size_t cap = options_.max_connections;
    if (fd_cap_ != 0 && std::chrono::steady_clock::now() >= fd_cap_until_) fd_cap_ = 0;
    if (fd_cap_ != 0 && (cap == 0 || fd_cap_ < cap)) cap = fd_cap_;
    if (cap != 0 && live_ >= cap) evict_oldest();
    auto conn = std::make_shared<Connection>(std::move(sock));
    conn->self = connections_.insert(connections_.end(), conn);
    ++live_;  // serve() gives it back
    net::co_spawn(ioc_, serve(std::move(conn)), net::detached);
  }
}

void Listener::evict_oldest() {
  // The oldest silent connection first: it holds a slot without having asked for anything.
  auto pick = std::find_if(connections_.begin(), connections_.end(),
                           [](const auto& c) { return !c->evicted && !c->spoke; });
  if (pick == connections_.end())
    pick = std::find_if(connections_.begin(), connections_.end(), [](const auto& c) { return !c->evicted; });
  if (pick == connections_.end()) return;
  Connection& c = **pick;
  c.evicted = true;
  --live_;
  boost::system::error_code ec;
  if (!c.spoke)
    c.sock.close(ec);  // frees the descriptor now; serve() wakes with operation_aborted
  else
    ::shutdown(c.fd, SHUT_RDWR);  // the handler owns the socket: its pending read or write ends at once
}

net::awaitable<void> Listener::serve(std::shared_ptr<Connection> conn) {
  struct Release {
    Listener& l;
    std::shared_ptr<Connection>& c;
    ~Release() {
      if (!c->evicted) --l.live_;
      l.connections_.erase(c->self);
    }
  } release{*this, conn};

  // Until the client speaks, the connection is only a socket the listener may close: after
  // first_byte_timeout, or sooner when evicted. Nothing of the handler's runs for it.
  net::steady_timer deadline(ioc_);
  if (options_.first_byte_timeout.count() > 0) {
    deadline.expires_after(options_.first_byte_timeout);
    deadline.async_wait([conn](const boost::system::error_code& ec) {
      boost::system::error_code ignored;
      if (!ec && !conn->spoke) conn->sock.close(ignored);
    });
  }
  boost::system::error_code ec;
  co_await conn->sock.async_wait(tcp::socket::wait_read, net::redirect_error(net::use_awaitable, ec));
  if (ec || !conn->sock.is_open()) co_return;
  deadline.cancel();
  conn->spoke = true;
  co_await handler_(std::move(conn->sock));
}

}  // namespace acmed::solver
