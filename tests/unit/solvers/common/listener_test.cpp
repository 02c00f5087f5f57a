// SPDX-License-Identifier: Apache-2.0
// Tests for the standalone responders' listener: the `listen` setting, the accept loop
// and its connection cap, and sharing one listener per address between leases.
#include "acmed/solvers/listener.hpp"

#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <list>
#include <string>
#include <string_view>
#include <thread>

namespace acmed::solver {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

ConfigValue section_with_listen(const std::string& listen) {
  ConfigValue s = ConfigValue::make_map("certs.d/a.yaml:3:5");
  s.map["listen"] = ConfigValue::make_scalar(listen, "certs.d/a.yaml:4:13");
  return s;
}

unsigned short free_port() {
  net::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(net::ip::address_v4::loopback(), 0));
  return a.local_endpoint().port();
}

tcp::endpoint loopback(unsigned short port) { return tcp::endpoint(net::ip::address_v4::loopback(), port); }

/// Everything the server sends until it closes.
std::string read_all(tcp::socket& s) {
  std::string out;
  char buf[64];
  boost::system::error_code ec;
  while (!ec) {
    std::size_t n = s.read_some(net::buffer(buf), ec);
    out.append(buf, n);
  }
  return out;
}

/// Waits up to 5 s for `s` to have data or an end of stream. Asio's blocking reads ignore
/// SO_RCVTIMEO, so a test that waits needs its own bound.
bool readable(tcp::socket& s) {
  pollfd p{s.native_handle(), POLLIN, 0};
  return ::poll(&p, 1, 5000) == 1;
}

/// Connects, speaks first as HTTP and TLS clients do, and waits for the greeting of a
/// handler that then holds the connection open. Returns false when the listener closed
/// the connection instead, or said nothing for 5 s.
bool greeted(tcp::socket& s, unsigned short port) {
  s.connect(loopback(port));
  boost::system::error_code ec;
  net::write(s, net::buffer(std::string_view("x")), ec);
  char hi[2];
  return !ec && readable(s) && net::read(s, net::buffer(hi), ec) == sizeof hi;
}

/// CPU seconds (user + system) in `u`.
double cpu_seconds(const rusage& u) {
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/// `n` clients that connect and then say nothing.
std::list<tcp::socket> idle_clients(net::io_context& ioc, unsigned short port, int n) {
  std::list<tcp::socket> out;
  for (int i = 0; i < n; ++i) out.emplace_back(ioc).connect(loopback(port));
  return out;
}

bool port_open(unsigned short port) {
  net::io_context ioc;
  tcp::socket s(ioc);
  boost::system::error_code ec;
  s.connect(loopback(port), ec);
  return !ec;
}

/// Reads the client's first byte, says "hi" and closes.
net::awaitable<void> greet(tcp::socket sock) {
  boost::system::error_code ec;
  char first = 0;
  co_await sock.async_read_some(net::buffer(&first, 1), net::redirect_error(net::use_awaitable, ec));
  co_await net::async_write(sock, net::buffer(std::string_view("hi")), net::redirect_error(net::use_awaitable, ec));
}

/// Says "hi", then holds the connection until the client closes it.
net::awaitable<void> greet_and_hold(tcp::socket sock) {
  boost::system::error_code ec;
  co_await net::async_write(sock, net::buffer(std::string_view("hi")), net::redirect_error(net::use_awaitable, ec));
  char byte = 0;
  while (!ec) co_await sock.async_read_some(net::buffer(&byte, 1), net::redirect_error(net::use_awaitable, ec));
}

TEST_CASE("listen_endpoint reads the listen setting, or the fallback", "[listener]") {
  auto v4 = listen_endpoint(section_with_listen("127.0.0.1:8080"), "0.0.0.0:80", "t");
  REQUIRE(v4);
  CHECK(*v4 == tcp::endpoint(net::ip::make_address("127.0.0.1"), 8080));
  auto v6 = listen_endpoint(section_with_listen("[::1]:443"), "0.0.0.0:80", "t");
  REQUIRE(v6);
  CHECK(*v6 == tcp::endpoint(net::ip::make_address("::1"), 443));
  auto any = listen_endpoint(section_with_listen(":80"), "0.0.0.0:443", "t");
  REQUIRE(any);
  CHECK(*any == tcp::endpoint(net::ip::address_v4::any(), 80));
  auto fallback = listen_endpoint(ConfigValue::make_map("certs.d/a.yaml:3:5"), "0.0.0.0:443", "t");
  REQUIRE(fallback);
  CHECK(*fallback == tcp::endpoint(net::ip::address_v4::any(), 443));
}

TEST_CASE("listen_endpoint errors name where the setting is", "[listener]") {
  for (const char* bad : {"localhost:80", "127.0.0.1", "127.0.0.1:0", "[::1]80", "999.0.0.1:80"}) {
    INFO(bad);
    auto r = listen_endpoint(section_with_listen(bad), "0.0.0.0:80", "t");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::config);
    CHECK_THAT(r.error().message, Catch::StartsWith("certs.d/a.yaml:4:13: "));
  }
  ConfigValue s = ConfigValue::make_map("certs.d/a.yaml:3:5");
  s.map["listen"] = ConfigValue::make_map("certs.d/a.yaml:4:13");
  auto not_scalar = listen_endpoint(s, "0.0.0.0:80", "t");
  REQUIRE_FALSE(not_scalar);
  CHECK_THAT(not_scalar.error().message, Catch::StartsWith("certs.d/a.yaml:4:13"));
}

TEST_CASE("a listener hands every connection to its handler until it is destroyed", "[listener][network]") {
  auto l = Listener::start(loopback(0), {.name = "test listener"}, greet);
  REQUIRE(l);
  const unsigned short port = (*l)->local_endpoint().port();
  REQUIRE(port != 0);
  for (int i = 0; i < 3; ++i) {
    net::io_context ioc;
    tcp::socket s(ioc);
    s.connect(loopback(port));
    net::write(s, net::buffer(std::string_view("x")));
    CHECK(read_all(s) == "hi");
  }
  l->reset();
  CHECK_FALSE(port_open(port));
}

TEST_CASE("a listener reports an address it cannot bind", "[listener][network]") {
  net::io_context ioc;
  tcp::acceptor holder(ioc, loopback(0));
  const unsigned short port = holder.local_endpoint().port();
  auto l = Listener::start(loopback(port), {.name = "test listener"}, greet);
  REQUIRE_FALSE(l);
  CHECK(l.error().code == Errc::solver);
  CHECK_THAT(l.error().message, Catch::Contains("cannot listen on 127.0.0.1:" + std::to_string(port)));
}

TEST_CASE("a full listener closes its oldest connection to serve a new one", "[listener][network]") {
  // Silent clients are given an hour to speak: only closing the oldest can make room, and
  // a listener that waited for their deadline instead would not greet `fresh` at all.
  auto l = Listener::start(loopback(0),
                           {.name = "test listener", .max_connections = 4, .first_byte_timeout = std::chrono::hours(1)},
                           greet_and_hold);
  REQUIRE(l);
  const unsigned short port = (*l)->local_endpoint().port();
  net::io_context ioc;
  tcp::socket first(ioc);
  REQUIRE(greeted(first, port));
  // Ten times the cap of clients that connect and say nothing: they must not lock anyone out.
  auto idle = idle_clients(ioc, port, 40);

  rusage before{};
  ::getrusage(RUSAGE_SELF, &before);
  const auto started = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  tcp::socket fresh(ioc);
  CHECK(greeted(fresh, port));
  rusage after{};
  ::getrusage(RUSAGE_SELF, &after);
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - started;
  CHECK(cpu_seconds(after) - cpu_seconds(before) < 0.5 * wall.count());  // no busy loop
  // The oldest silent clients went to make room (their own deadline is an hour away);
  // `first` spoke, so it stays.
  REQUIRE(readable(idle.front()));
  CHECK(read_all(idle.front()).empty());
}

TEST_CASE("a listener closes a connection whose client says nothing before the first-byte deadline",
          "[listener][network]") {
  auto l = Listener::start(loopback(0), {.name = "test listener", .first_byte_timeout = std::chrono::milliseconds(200)},
                           greet_and_hold);
  REQUIRE(l);
  const unsigned short port = (*l)->local_endpoint().port();
  net::io_context ioc;
  tcp::socket silent(ioc);
  silent.connect(loopback(port));
  CHECK(read_all(silent).empty());  // closed without the handler running (which greets and holds)
  tcp::socket talker(ioc);
  CHECK(greeted(talker, port));
}

/// How many file descriptors this process has open. A new descriptor takes the lowest free
/// number, so a limit of this plus N leaves room for about N more.
rlim_t open_fds() {
  rlim_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

TEST_CASE("a listener out of file descriptors backs off, frees the oldest and keeps serving", "[listener][network]") {
  // The listener runs in a child whose RLIMIT_NOFILE leaves it room for ~40 connections;
  // this process opens twice that many idle ones, then one that asks to be served.
  int port_pipe[2];
  int stop_pipe[2];
  REQUIRE(::pipe(port_pipe) == 0);
  REQUIRE(::pipe(stop_pipe) == 0);
  rusage children_before{};
  ::getrusage(RUSAGE_CHILDREN, &children_before);
  const auto forked = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) try {
    ::close(port_pipe[0]);
    ::close(stop_pipe[1]);
    const rlim_t limit = open_fds() + 40;
    const rlimit lim{limit, limit};
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) ::_exit(2);
    auto child = Listener::start(loopback(0), {.name = "fd-starved listener", .max_connections = 0}, greet_and_hold);
    if (!child) ::_exit(3);
    const unsigned short p = (*child)->local_endpoint().port();
    if (::write(port_pipe[1], &p, sizeof p) != sizeof p) ::_exit(4);
    char byte = 0;
    [[maybe_unused]] auto n = ::read(stop_pipe[0], &byte, 1);  // until the parent closes its end
    ::_exit(0);
  } catch (...) {
    ::_exit(9);  // never back into the test runner from the child
  }
  ::close(port_pipe[1]);
  ::close(stop_pipe[0]);
  unsigned short port = 0;
  REQUIRE(::read(port_pipe[0], &port, sizeof port) == sizeof port);
  ::close(port_pipe[0]);

  net::io_context ioc;
  auto idle = idle_clients(ioc, port, 80);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  tcp::socket fresh(ioc);
  CHECK(greeted(fresh, port));

  ::close(stop_pipe[1]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  rusage children_after{};
  ::getrusage(RUSAGE_CHILDREN, &children_after);
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - forked;
  const double cpu = cpu_seconds(children_after) - cpu_seconds(children_before);
  INFO("child CPU " << cpu << " s over " << wall.count() << " s");
  CHECK(cpu < 0.25 * wall.count());  // an accept loop spinning on EMFILE burns about one CPU-second per second
}

TEST_CASE("destroying a listener does not wait for a stalled connection", "[listener][network]") {
  auto l = Listener::start(loopback(0), {.name = "test listener"}, greet_and_hold);
  REQUIRE(l);
  const unsigned short port = (*l)->local_endpoint().port();
  net::io_context ioc;
  tcp::socket stalled(ioc);
  REQUIRE(greeted(stalled, port));

  // The handler holds the connection until the client closes it, which this one never
  // does: a reset() that waited for it would not return (the suite's timeout fails it).
  l->reset();
  CHECK(read_all(stalled).empty());  // closed from the listener's side
}

std::atomic<int> greeter_inits{0};

struct Greeter {
  Result<void> init() {
    ++greeter_inits;
    return {};
  }
  net::awaitable<void> serve(tcp::socket sock) { return greet(std::move(sock)); }
};

struct BrokenService {
  Result<void> init() { return fail(Errc::crypto, "no TLS context"); }
  net::awaitable<void> serve(tcp::socket sock) { return greet(std::move(sock)); }
};

TEST_CASE("leases of one address share one service and listener; the last release frees the port",
          "[listener][network]") {
  const unsigned short port = free_port();
  greeter_inits = 0;
  ListenerLease<Greeter> a({.name = "test listener"}, loopback(port));
  ListenerLease<Greeter> b({.name = "test listener"}, loopback(port));
  CHECK(a.get() == nullptr);
  auto sa = a.acquire();
  auto sb = b.acquire();  // no EADDRINUSE
  REQUIRE(sa);
  REQUIRE(sb);
  CHECK(*sa == *sb);
  CHECK(a.acquire().value() == *sa);  // repeated acquire: same service, no second start
  CHECK(greeter_inits == 1);
  CHECK(a.get() == *sa);

  a.release();
  CHECK(a.get() == nullptr);
  CHECK(port_open(port));  // b still holds it
  b.release();
  CHECK_FALSE(port_open(port));

  // A new round starts afresh on the same port.
  REQUIRE(a.acquire());
  CHECK(greeter_inits == 2);
  CHECK(port_open(port));
}

TEST_CASE("a service that cannot initialise opens no port", "[listener][network]") {
  const unsigned short port = free_port();
  ListenerLease<BrokenService> lease({.name = "test listener"}, loopback(port));
  auto r = lease.acquire();
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::crypto);
  CHECK(lease.get() == nullptr);
  CHECK_FALSE(port_open(port));
}

}  // namespace
}  // namespace acmed::solver
