// SPDX-License-Identifier: Apache-2.0
// acmed::status::HttpServer over real loopback sockets: the bearer token check
// (RFC 7235 §2.1: the auth scheme is case-insensitive) and idle clients at the cap.
#include "acmed/status/http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace acmed::status {
namespace {

/// A server on 127.0.0.1 with an ephemeral port, run on its own thread until destroyed.
class Running {
 public:
  explicit Running(ServerOptions o) {
    o.address = "127.0.0.1";
    o.port = 0;
    auto s = HttpServer::start(std::move(o),
                               [](const Request& r) { return Response{200, "text/plain", "ok " + r.path}; });
    REQUIRE(s);
    server_ = std::move(*s);
    thread_ = std::thread([this] { server_->run(); });
  }
  ~Running() {
    server_->stop();
    thread_.join();
  }
  unsigned short port() const { return server_->port(); }

 private:
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

/// A connected client socket, closed on destruction; reads give up after 5 s.
class Client {
 public:
  explicit Client(unsigned short port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0);
    const timeval patience{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Sends `request` and returns everything received until the server closes.
  std::string exchange(const std::string& request) {
    REQUIRE(::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
    std::string out;
    char buf[512];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  int fd_;
};

std::string get_with_authorization(unsigned short port, const std::string& authorization) {
  Client c(port);
  return c.exchange("GET /api/v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                    (authorization.empty() ? std::string() : "Authorization: " + authorization + "\r\n") + "\r\n");
}

TEST_CASE("status server: the Bearer scheme matches in any case, the token exactly", "[status][network]") {
  Running srv({.bearer_token = "s3cret-Token"});
  // RFC 6750 §2.1 allows 1*SP between the scheme and the token.
  for (const char* good : {"Bearer s3cret-Token", "bearer s3cret-Token", "BEARER s3cret-Token", "bEaReR s3cret-Token",
                           "Bearer  s3cret-Token"}) {
    INFO(good);
    CHECK_THAT(get_with_authorization(srv.port(), good), Catch::StartsWith("HTTP/1.1 200"));
  }
  for (const char* bad : {"", "Bearer", "Bearer ", "Bearer s3cret-token", "Bearer s3cret-Token2", "Bearer s3cret-Toke",
                          "Bearer s3cret-Token extra", "Bearer s3cret-Token s3cret-Token", "Bearers3cret-Token",
                          "Basic s3cret-Token", "Bearer\ts3cret-Token", "Bear s3cret-Token"}) {
    INFO("'" << bad << "'");
    CHECK_THAT(get_with_authorization(srv.port(), bad), Catch::StartsWith("HTTP/1.1 401"));
  }
}

TEST_CASE("status server: idle clients at the cap are closed oldest first, a new request is served",
          "[status][network]") {
  // The idle clients never time out here (an hour): only closing the oldest can make room,
  // and a server that waited instead would hang this test (the suite's timeout fails it).
  Running srv({.max_connections = 2, .io_timeout = std::chrono::hours(1)});
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 10; ++i) idle.push_back(std::make_unique<Client>(srv.port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK_THAT(get_with_authorization(srv.port(), ""), Catch::StartsWith("HTTP/1.1 200"));
  CHECK(idle.front()->exchange("").empty());  // the oldest was closed to make room
}

TEST_CASE("status server: out of file descriptors it backs off instead of spinning, and keeps serving",
          "[status][network]") {
  // The server runs in a child whose RLIMIT_NOFILE leaves room for ~30 connections, with a
  // cap above that; this process holds twice as many idle connections, then asks for a page.
  int port_pipe[2];
  int stop_pipe[2];
  REQUIRE(::pipe(port_pipe) == 0);
  REQUIRE(::pipe(stop_pipe) == 0);
  rusage before{};
  ::getrusage(RUSAGE_CHILDREN, &before);
  const auto forked = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) try {
    ::close(port_pipe[0]);
    ::close(stop_pipe[1]);
    // A new descriptor takes the lowest free number: the open ones plus 32 leave room for ~30.
    rlim_t limit = 32;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++limit;
    const rlimit lim{limit, limit};
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) ::_exit(2);
    Running srv({.max_connections = 1000});
    const unsigned short p = srv.port();
    if (::write(port_pipe[1], &p, sizeof p) != sizeof p) ::_exit(3);
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

  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 64; ++i) idle.push_back(std::make_unique<Client>(port));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK_THAT(get_with_authorization(port, ""), Catch::StartsWith("HTTP/1.1 200"));

  ::close(stop_pipe[1]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  rusage after{};
  ::getrusage(RUSAGE_CHILDREN, &after);
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - forked;
  const double cpu = static_cast<double>(after.ru_utime.tv_sec - before.ru_utime.tv_sec + after.ru_stime.tv_sec -
                                         before.ru_stime.tv_sec) +
                     static_cast<double>(after.ru_utime.tv_usec - before.ru_utime.tv_usec + after.ru_stime.tv_usec -
                                         before.ru_stime.tv_usec) / 1e6;
  INFO("child CPU " << cpu << " s over " << wall.count() << " s");
  CHECK(cpu < 0.25 * wall.count());
}

}  // namespace
}  // namespace acmed::status
