#include "acmed/solvers/listener.hpp"

#include <spdlog/spdlog.h>

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

Listener::Listener(ListenerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)), acceptor_(ioc_) {}

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
    if (ec) {
      if (ec == net::error::operation_aborted) co_return;
      continue;
    }
    if (options_.max_connections != 0 && connections_ >= options_.max_connections) continue;  // `sock` closes here
    ++connections_;  // serve() gives it back
    net::co_spawn(ioc_, serve(std::move(sock)), net::detached);
  }
}

net::awaitable<void> Listener::serve(tcp::socket sock) {
  struct Release {
    std::size_t& n;
    ~Release() { --n; }
  } release{connections_};
  co_await handler_(std::move(sock));
}

}  // namespace acmed::solver
