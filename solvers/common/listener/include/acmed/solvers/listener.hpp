// SPDX-License-Identifier: Apache-2.0
// File: acmed/solvers/listener.hpp
//
// The TCP side of the standalone responders (http-01, tls-alpn-01): the `listen`
// setting, a listening socket served on its own thread, and one listener per solver
// kind and address for the whole process. A solver brings only its protocol, as a
// Service that answers one connection at a time:
//
//   ListenerLease<TokenTable> lease_{{.name = "http-01 listener"}, *listen_endpoint(section, "0.0.0.0:80", "http-01")};
//   auto tokens = lease_.acquire();  // starts the listener, or joins the one running
//   ... lease_.release();            // the last lease of the address frees the port
//
// This header exposes Asio, so it is on the include path of acmed::solver_listener's
// users only (linked PRIVATE by the two solvers), not on solver_common's.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "acmed/config/value.hpp"
#include "acmed/core/result.hpp"
#include "acmed/solvers/endpoint_share.hpp"
#include "acmed_detail/asio.hpp"

namespace acmed::solver {

/// The `listen` setting of a solver section ("HOST:PORT", ":PORT", "[V6]:PORT"; HOST an IP
/// literal), `fallback` when absent. A bad address fails with Errc::config, prefixed with
/// the origin (file:line:col) of the setting.
[[nodiscard]] Result<boost::asio::ip::tcp::endpoint> listen_endpoint(const ConfigValue& section,
                                                                     const std::string& fallback,
                                                                     std::string_view solver);

struct ListenerOptions {
  std::string name;  ///< for the log: "http-01 listener" logs "http-01 listener on 0.0.0.0:80"
  /// Connections held at once, 0 for no limit. When full, the oldest connection is closed
  /// to make room for the new one (first the oldest that has not spoken yet): validators
  /// connect, speak and finish within milliseconds, so the oldest are the idle ones, and a
  /// flood of idle connections cannot lock a validator out.
  std::size_t max_connections = 256;
  /// A client that has sent nothing by then is closed without its handler running; until
  /// its first bytes arrive it holds no more than a socket.
  std::chrono::milliseconds first_byte_timeout{5000};
  /// Pause after accept fails (out of file descriptors: EMFILE, ENFILE), so it never spins.
  std::chrono::milliseconds accept_backoff{50};
};

/// Accepts connections on one address, on its own thread, and runs `handler` for each as
/// its own coroutine once the client has sent its first bytes (HTTP and TLS clients speak
/// first). Destruction stops that thread at once: open connections are closed where they
/// stand, none is waited for.
class Listener {
 public:
  using Handler = std::function<boost::asio::awaitable<void>(boost::asio::ip::tcp::socket)>;

  /// Binds and listens (the error names the address, and CAP_NET_BIND_SERVICE for EACCES),
  /// then starts the thread.
  [[nodiscard]] static Result<std::unique_ptr<Listener>> start(const boost::asio::ip::tcp::endpoint& endpoint,
                                                               ListenerOptions options, Handler handler);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  /// The bound address; its port is the one the system chose when port 0 was asked for.
  boost::asio::ip::tcp::endpoint local_endpoint() const { return local_; }

 private:
  struct Connection;

  Listener(ListenerOptions options, Handler handler);
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(std::shared_ptr<Connection> conn);
  void evict_oldest();

  // Declaration order matters for destruction: the io_context, and with it every
  // in-flight connection, goes before the handler and the bookkeeping they refer to.
  ListenerOptions options_;
  Handler handler_;
  // Touched on the listener thread only.
  std::list<std::shared_ptr<Connection>> connections_;  ///< oldest first, evicted ones until they end
  std::size_t live_ = 0;                                ///< connections_ not evicted
  std::size_t fd_cap_ = 0;  ///< connections that fit when accept last ran out of descriptors, 0 if never
  std::chrono::steady_clock::time_point fd_cap_until_;  ///< fd_cap_ holds until then
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  boost::asio::ip::tcp::endpoint local_;
  std::thread thread_;
};

/// What a solver serves on its listener. `init()` runs once, before the port opens;
/// `serve()` runs on the listener thread, once per accepted connection, so the state it
/// reads needs its own lock.
template <class S>
concept ConnectionService = std::default_initializable<S> && requires(S& s, boost::asio::ip::tcp::socket sock) {
  { s.init() } -> std::same_as<Result<void>>;
  { s.serve(std::move(sock)) } -> std::same_as<boost::asio::awaitable<void>>;
};

/// One solver's hold on the Service and Listener its kind runs on one address. `acmed
/// renew -j 4` runs several solvers at once that must all answer on the one port the CA
/// validates on: every lease of the same Service type and address in the process shares
/// them (tokens are unique per challenge, so sharing is safe). Solvers of different kinds
/// never share, because their Service types differ.
template <ConnectionService Service>
class ListenerLease {
 public:
  ListenerLease(ListenerOptions options, boost::asio::ip::tcp::endpoint endpoint)
      : options_(std::move(options)), endpoint_(std::move(endpoint)) {}
  ~ListenerLease() { release(); }
  ListenerLease(const ListenerLease&) = delete;
  ListenerLease& operator=(const ListenerLease&) = delete;

  /// The shared Service, started by the first lease of the address that asks. Repeated
  /// calls return the same one until release().
  [[nodiscard]] Result<Service*> acquire() {
    if (!running_) {
      auto r = EndpointShare<Running>::acquire(key(), [this] { return start(); });
      if (!r) return fail(r.error());
      running_ = std::move(*r);
    }
    return &running_->service;
  }

  /// The Service while this lease holds it, else nullptr.
  Service* get() const { return running_ ? &running_->service : nullptr; }

  /// Lets go of the Service. The last lease of the address stops the listener and frees
  /// the port before this returns, so a new acquire() can bind it again at once.
  void release() {
    if (running_) EndpointShare<Running>::release(key(), running_);
  }

 private:
  struct Running {
    Service service;
    std::unique_ptr<Listener> listener;  ///< declared last: it stops before `service` goes
  };

  Result<std::shared_ptr<Running>> start() const {
    auto running = std::make_shared<Running>();
    if (auto r = running->service.init(); !r) return fail(r.error());
    Service* service = &running->service;
    auto listener = Listener::start(endpoint_, options_, [service](boost::asio::ip::tcp::socket sock) {
      return service->serve(std::move(sock));
    });
    if (!listener) return fail(listener.error());
    running->listener = std::move(*listener);
    return running;
  }

  std::string key() const { return endpoint_.address().to_string() + "|" + std::to_string(endpoint_.port()); }

  ListenerOptions options_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::shared_ptr<Running> running_;
};

}  // namespace acmed::solver
