// Tests for the standalone responders' listener: the `listen` setting, the accept loop
// and its connection cap, and sharing one listener per address between leases.
#include "acmed/solvers/listener.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
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

/// Connects and waits for the greeting of a handler that then holds the connection open.
/// Returns false when the listener closed the connection instead.
bool greeted(tcp::socket& s, unsigned short port) {
  s.connect(loopback(port));
  char hi[2];
  boost::system::error_code ec;
  return net::read(s, net::buffer(hi), ec) == sizeof hi;
}

bool port_open(unsigned short port) {
  net::io_context ioc;
  tcp::socket s(ioc);
  boost::system::error_code ec;
  s.connect(loopback(port), ec);
  return !ec;
}

/// Says "hi" and closes.
net::awaitable<void> greet(tcp::socket sock) {
  boost::system::error_code ec;
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

TEST_CASE("a listener closes connections beyond its cap at once", "[listener][network]") {
  auto l = Listener::start(loopback(0), {.name = "test listener", .max_connections = 1}, greet_and_hold);
  REQUIRE(l);
  const unsigned short port = (*l)->local_endpoint().port();
  net::io_context ioc;
  tcp::socket first(ioc);
  REQUIRE(greeted(first, port));
  tcp::socket second(ioc);
  second.connect(loopback(port));
  CHECK(read_all(second).empty());  // over the cap: closed without a word

  first.close();  // frees the slot once the handler sees the close
  bool served = false;
  for (int i = 0; i < 100 && !served; ++i) {
    tcp::socket next(ioc);
    served = greeted(next, port);
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(served);
}

TEST_CASE("destroying a listener does not wait for a stalled connection", "[listener][network]") {
  auto l = Listener::start(loopback(0), {.name = "test listener"}, greet_and_hold);
  REQUIRE(l);
  const unsigned short port = (*l)->local_endpoint().port();
  net::io_context ioc;
  tcp::socket stalled(ioc);
  REQUIRE(greeted(stalled, port));

  auto started = std::chrono::steady_clock::now();
  l->reset();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
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
