// SPDX-License-Identifier: Apache-2.0
// Tests for the tls-alpn-01 solver: settings validation, and real TLS handshakes on
// 127.0.0.1 against the responder, made by an independent Asio/OpenSSL client.
#include "acmed/solvers/tls_alpn01.hpp"

#include <poll.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "acmed_detail/asio.hpp"

namespace acmed::solver {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using Asn1ObjectPtr = std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, decltype(&GENERAL_NAMES_free)>;

constexpr const char* origin_file = "certs.d/alpn.yaml";

SolverConfig config_with(std::vector<std::pair<std::string, ConfigValue>> entries) {
  SolverConfig c;
  c.type = "tls-alpn-01";
  c.settings = ConfigValue::make_map(std::string(origin_file) + ":4:5");
  c.settings.map["type"] = ConfigValue::make_scalar("tls-alpn-01", std::string(origin_file) + ":4:11");
  for (auto& [k, v] : entries) c.settings.map[k] = std::move(v);
  return c;
}

SolverConfig listen_config(const std::string& listen) {
  return config_with({{"listen", ConfigValue::make_scalar(listen, std::string(origin_file) + ":5:13")}});
}

unsigned short free_port() {
  net::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(net::ip::address_v4::loopback(), 0));
  return a.local_endpoint().port();
}

ChallengeContext challenge(std::string_view name, std::string url, std::string key_authorization) {
  ChallengeContext c;
  auto id = Identifier::parse(name);
  REQUIRE(id);
  c.identifier = *id;
  c.challenge_type = "tls-alpn-01";
  c.challenge_url = std::move(url);
  c.token = "tok";
  c.key_authorization = std::move(key_authorization);
  return c;
}

std::unique_ptr<ChallengeSolver> make_solver(unsigned short port) {
  auto factory = make_tls_alpn01_factory();
  REQUIRE(factory);
  auto s = factory->create(listen_config("127.0.0.1:" + std::to_string(port)), SolverDeps{});
  REQUIRE(s);
  return std::move(*s);
}

struct Handshake {
  bool ok = false;
  std::string error;
  std::string alpn;
  X509Ptr peer{nullptr, &X509_free};
};

net::awaitable<void> run_client(beast::ssl_stream<beast::tcp_stream>& stream, tcp::endpoint ep, Handshake& out) {
  beast::error_code ec;
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
  co_await beast::get_lowest_layer(stream).async_connect(ep, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    out.error = "connect: " + ec.message();
    co_return;
  }
  co_await stream.async_handshake(ssl::stream_base::client, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    out.error = ec.message();
    co_return;
  }
  out.ok = true;
  const unsigned char* p = nullptr;
  unsigned int n = 0;
  SSL_get0_alpn_selected(stream.native_handle(), &p, &n);
  if (n) out.alpn.assign(reinterpret_cast<const char*>(p), n);
  out.peer.reset(SSL_get1_peer_certificate(stream.native_handle()));
  // RFC 8737 §4: a validator sends nothing after the handshake and closes; do the same.
  co_await stream.async_shutdown(net::redirect_error(net::use_awaitable, ec));
}

/// A TLS 1.2+ handshake with 127.0.0.1:port sending `sni` (none when empty) and offering `protocols`.
Handshake handshake(unsigned short port, const std::string& sni, const std::vector<std::string>& protocols,
                    int max_version = 0) {
  net::io_context ioc;
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_none);  // the validation certificate is self-signed by design
  if (max_version) SSL_CTX_set_max_proto_version(ctx.native_handle(), max_version);
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  // SSL_set_tlsext_host_name() spelled out: the macro's cast trips -Wold-style-cast.
  if (!sni.empty())
    REQUIRE(SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                     const_cast<char*>(sni.c_str())) == 1);
  if (!protocols.empty()) {
    std::string wire;
    for (const auto& p : protocols) wire += static_cast<char>(p.size()) + p;
    // SSL_set_alpn_protos returns 0 on success.
    REQUIRE(SSL_set_alpn_protos(stream.native_handle(), reinterpret_cast<const unsigned char*>(wire.data()),
                                static_cast<unsigned>(wire.size())) == 0);
  }
  Handshake out;
  net::co_spawn(ioc, run_client(stream, tcp::endpoint(net::ip::address_v4::loopback(), port), out), net::detached);
  ioc.run();
  return out;
}

std::string sha256(std::string_view data) {
  std::array<unsigned char, 32> d{};
  unsigned int n = 0;
  REQUIRE(EVP_Digest(data.data(), data.size(), d.data(), &n, EVP_sha256(), nullptr) == 1);
  return std::string(reinterpret_cast<const char*>(d.data()), n);
}

/// The certificate is self-signed, names exactly `san` (type GEN_DNS or GEN_IPADD, raw bytes),
/// and carries exactly one critical acmeIdentifier whose extnValue is DER OCTET STRING(SHA-256(ka)).
void check_validation_cert(X509* cert, int san_type, const std::string& san, const std::string& key_authorization) {
  REQUIRE(cert);
  CHECK(X509_verify(cert, X509_get0_pubkey(cert)) == 1);

  int critical = -1;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, &critical, nullptr)),
                        &GENERAL_NAMES_free);
  REQUIRE(names);
  REQUIRE(sk_GENERAL_NAME_num(names.get()) == 1);
  const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), 0);
  int type = -1;
  auto* value = static_cast<ASN1_STRING*>(GENERAL_NAME_get0_value(gn, &type));
  CHECK(type == san_type);
  CHECK(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                    static_cast<std::size_t>(ASN1_STRING_length(value))) == san);

  Asn1ObjectPtr oid(OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1), &ASN1_OBJECT_free);
  REQUIRE(oid);
  int idx = X509_get_ext_by_OBJ(cert, oid.get(), -1);
  REQUIRE(idx >= 0);
  CHECK(X509_get_ext_by_OBJ(cert, oid.get(), idx) == -1);
  X509_EXTENSION* ext = X509_get_ext(cert, idx);
  CHECK(X509_EXTENSION_get_critical(ext) == 1);
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
  std::string der(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                  static_cast<std::size_t>(ASN1_STRING_length(data)));
  // OCTET STRING tag, length 32, then the digest: RFC 8737 §3 `Authorization ::= OCTET STRING (SIZE (32))`.
  CHECK(der == std::string("\x04\x20", 2) + sha256(key_authorization));
}

bool port_open(unsigned short port) {
  net::io_context ioc;
  tcp::socket s(ioc);
  beast::error_code ec;
  s.connect(tcp::endpoint(net::ip::address_v4::loopback(), port), ec);
  return !ec;
}

TEST_CASE("tls-alpn-01 factory describes itself", "[tls_alpn01]") {
  auto f = make_tls_alpn01_factory();
  REQUIRE(f);
  CHECK(f->name() == "tls-alpn-01");
  CHECK(f->challenge_type() == "tls-alpn-01");
  auto caps = f->capabilities();
  CHECK(caps.ip_identifiers);
  CHECK_FALSE(caps.wildcard);
  CHECK(caps.needs_inbound_port);
  CHECK_FALSE(caps.writes_dns);
}

TEST_CASE("tls-alpn-01 validate accepts the default and explicit listen addresses", "[tls_alpn01]") {
  auto f = make_tls_alpn01_factory();
  CHECK(f->validate(config_with({})));
  CHECK(f->validate(listen_config("0.0.0.0:443")));
  CHECK(f->validate(listen_config("[::]:443")));
  CHECK(f->validate(listen_config("127.0.0.1:5001")));
  CHECK(f->validate(listen_config(":443")));
  ConfigValue domains;
  domains.kind = ConfigValue::Kind::list;
  CHECK(f->validate(config_with({{"domains", domains}})));  // a common key, consumed by the config layer
}

TEST_CASE("tls-alpn-01 validate rejects unknown keys and bad addresses, naming the origin", "[tls_alpn01]") {
  auto f = make_tls_alpn01_factory();

  auto unknown = f->validate(config_with({{"mode", ConfigValue::make_scalar("standalone", "certs.d/alpn.yaml:6:9")}}));
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == Errc::config);
  CHECK_THAT(unknown.error().message, Catch::StartsWith("certs.d/alpn.yaml:6:9") && Catch::Contains("'mode'"));

  for (const char* bad : {"443", "localhost:443", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:44x", "[::1]443",
                          "[::1:443", "127.0.0.1:"}) {
    INFO(bad);
    auto r = f->validate(listen_config(bad));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::config);
    CHECK_THAT(r.error().message, Catch::StartsWith("certs.d/alpn.yaml:5:13"));
  }

  auto not_scalar = f->validate(config_with({{"listen", ConfigValue::make_map("certs.d/alpn.yaml:5:13")}}));
  REQUIRE_FALSE(not_scalar);
  CHECK_THAT(not_scalar.error().message, Catch::StartsWith("certs.d/alpn.yaml:5:13"));

  auto created = f->create(listen_config("nowhere:443"), SolverDeps{});
  REQUIRE_FALSE(created);
  CHECK(created.error().code == Errc::config);
}

TEST_CASE("tls-alpn-01 serves the validation certificate for a DNS name", "[tls_alpn01][network]") {
  const unsigned short port = free_port();
  auto solver = make_solver(port);
  const std::string ka = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI";
  auto ctx = challenge("a.test.example", "https://ca/chall/1", ka);
  REQUIRE(solver->present(ctx));

  SECTION("the SNI of the name gets acme-tls/1 and the exact certificate") {
    auto h = handshake(port, "a.test.example", {"acme-tls/1"});
    REQUIRE(h.ok);
    CHECK(h.alpn == "acme-tls/1");
    check_validation_cert(h.peer.get(), GEN_DNS, "a.test.example", ka);
  }
  SECTION("SNI matching ignores case and a trailing dot; TLS 1.2 works") {
    auto h = handshake(port, "A.Test.Example.", {"acme-tls/1"}, TLS1_2_VERSION);
    REQUIRE(h.ok);
    check_validation_cert(h.peer.get(), GEN_DNS, "a.test.example", ka);
  }
  SECTION("acme-tls/1 is chosen even when offered after other protocols") {
    auto h = handshake(port, "a.test.example", {"h2", "http/1.1", "acme-tls/1"});
    REQUIRE(h.ok);
    CHECK(h.alpn == "acme-tls/1");
  }
  SECTION("a client offering only http/1.1 is refused with no_application_protocol") {
    auto h = handshake(port, "a.test.example", {"http/1.1"});
    CHECK_FALSE(h.ok);
    CHECK_THAT(h.error, Catch::Contains("no application protocol"));
  }
  SECTION("a client offering no ALPN at all is refused") {
    auto h = handshake(port, "a.test.example", {});
    CHECK_FALSE(h.ok);
    CHECK_THAT(h.error, Catch::Contains("no application protocol"));
  }
  SECTION("an unknown SNI is refused with unrecognized_name") {
    auto h = handshake(port, "b.test.example", {"acme-tls/1"});
    CHECK_FALSE(h.ok);
    CHECK_THAT(h.error, Catch::Contains("unrecognized name"));
  }
  SECTION("a client sending no SNI is refused") {
    auto h = handshake(port, "", {"acme-tls/1"});
    CHECK_FALSE(h.ok);
  }
  SECTION("TLS 1.1 is refused") {
    auto h = handshake(port, "a.test.example", {"acme-tls/1"}, TLS1_1_VERSION);
    CHECK_FALSE(h.ok);
  }

  solver->cleanup(ctx);
  CHECK_FALSE(port_open(port));
}

TEST_CASE("tls-alpn-01 answers IP identifiers on their reverse-DNS SNI (RFC 8738 §6)", "[tls_alpn01][network]") {
  const unsigned short port = free_port();
  auto solver = make_solver(port);
  auto v4 = challenge("127.0.0.1", "https://ca/chall/v4", "tok4.thumb");
  auto v6 = challenge("2001:db8::1", "https://ca/chall/v6", "tok6.thumb");
  REQUIRE(solver->present(v4));
  REQUIRE(solver->present(v6));

  auto h4 = handshake(port, "1.0.0.127.in-addr.arpa", {"acme-tls/1"});
  REQUIRE(h4.ok);
  check_validation_cert(h4.peer.get(), GEN_IPADD, std::string("\x7f\x00\x00\x01", 4), "tok4.thumb");

  const std::string v6_sni = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";
  auto h6 = handshake(port, v6_sni, {"acme-tls/1"});
  REQUIRE(h6.ok);
  std::string v6_bytes(16, '\0');
  v6_bytes[0] = '\x20', v6_bytes[1] = '\x01', v6_bytes[2] = '\x0d', v6_bytes[3] = '\xb8', v6_bytes[15] = '\x01';
  check_validation_cert(h6.peer.get(), GEN_IPADD, v6_bytes, "tok6.thumb");

  // The address itself is not a valid SNI (RFC 6066 §3) and is not matched.
  CHECK_FALSE(handshake(port, "127.0.0.1", {"acme-tls/1"}).ok);

  solver->cleanup(v4);
  CHECK_FALSE(handshake(port, "1.0.0.127.in-addr.arpa", {"acme-tls/1"}).ok);
  CHECK(handshake(port, v6_sni, {"acme-tls/1"}).ok);  // still served: the port stays open for v6
  solver->cleanup(v6);
  CHECK_FALSE(port_open(port));
}

TEST_CASE("tls-alpn-01 keeps one listener for several names and frees the port after the last", "[tls_alpn01][network]") {
  const unsigned short port = free_port();
  auto solver = make_solver(port);
  auto a = challenge("a.test.example", "https://ca/chall/a", "a.thumb");
  auto b = challenge("b.test.example", "https://ca/chall/b", "b.thumb");
  REQUIRE(solver->present(a));
  REQUIRE(solver->present(b));
  auto ha = handshake(port, "a.test.example", {"acme-tls/1"});
  auto hb = handshake(port, "b.test.example", {"acme-tls/1"});
  REQUIRE(ha.ok);
  REQUIRE(hb.ok);
  check_validation_cert(ha.peer.get(), GEN_DNS, "a.test.example", "a.thumb");
  check_validation_cert(hb.peer.get(), GEN_DNS, "b.test.example", "b.thumb");

  solver->cleanup(a);
  CHECK(port_open(port));
  CHECK_FALSE(handshake(port, "a.test.example", {"acme-tls/1"}).ok);
  solver->cleanup(b);
  CHECK_FALSE(port_open(port));

  // A second round starts a fresh listener on the same port.
  REQUIRE(solver->present(a));
  CHECK(handshake(port, "a.test.example", {"acme-tls/1"}).ok);
  solver->cleanup(a);
  CHECK_FALSE(port_open(port));
}

TEST_CASE("tls-alpn-01 cleanup does not wait for a client stalled mid-handshake", "[tls_alpn01][network]") {
  const unsigned short port = free_port();
  auto solver = make_solver(port);
  auto ctx = challenge("a.test.example", "https://ca/chall/stall", "s.thumb");
  REQUIRE(solver->present(ctx));

  // A TCP client that never sends a ClientHello: the responder is suspended in its handshake.
  net::io_context ioc;
  tcp::socket stalled(ioc);
  stalled.connect(tcp::endpoint(net::ip::address_v4::loopback(), port));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the responder accept it

  // That cleanup does not wait for such a connection is the listener's property, tested
  // without a clock in listener_test ("destroying a listener does not wait ..."); here: it
  // closes the port and the stalled connection.
  solver->cleanup(ctx);
  CHECK_FALSE(port_open(port));
  // The responder closed its side: the stalled client sees end of stream.
  std::array<char, 1> byte{};
  beast::error_code ec;
  stalled.read_some(net::buffer(byte), ec);
  CHECK(ec == net::error::eof);
}

TEST_CASE("tls-alpn-01 idle connections cannot lock the validator out", "[tls_alpn01][network]") {
  const unsigned short port = free_port();
  auto solver = make_solver(port);
  auto ctx = challenge("a.test.example", "https://ca/chall/idle", "i.thumb");
  REQUIRE(solver->present(ctx));

  // More idle TCP connections than the responder holds at once, none sending a ClientHello.
  net::io_context ioc;
  std::vector<tcp::socket> idle;
  for (int i = 0; i < 80; ++i) idle.emplace_back(ioc).connect(tcp::endpoint(net::ip::address_v4::loopback(), port));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the responder accept them

  // A CA validates from several vantage points, each with a fresh connection. (That idle
  // connections are closed to make room, rather than waited out, is the listener's
  // property, tested without a clock in listener_test.)
  int ok = 0;
  for (int i = 0; i < 12; ++i) {
    auto h = handshake(port, "a.test.example", {"acme-tls/1"});
    INFO("handshake " << i << ": " << h.error);
    CHECK(h.ok);
    ok += h.ok ? 1 : 0;
  }
  CHECK(ok == 12);
  solver->cleanup(ctx);
}

TEST_CASE("tls-alpn-01 closes a connection that sends no ClientHello within the handshake deadline",
          "[tls_alpn01][network]") {
  const unsigned short port = free_port();
  auto solver = make_solver(port);
  auto ctx = challenge("a.test.example", "https://ca/chall/silent", "q.thumb");
  REQUIRE(solver->present(ctx));
  net::io_context ioc;
  tcp::socket silent(ioc);
  silent.connect(tcp::endpoint(net::ip::address_v4::loopback(), port));
  pollfd p{silent.native_handle(), POLLIN, 0};
  // The deadline is not instant: a second later the connection is still open, so a slow
  // validator still gets through. Then it is closed (bounded waits: Asio's blocking reads
  // ignore SO_RCVTIMEO).
  CHECK(::poll(&p, 1, 1000) == 0);
  REQUIRE(::poll(&p, 1, 15000) == 1);
  std::array<char, 1> byte{};
  beast::error_code ec;
  silent.read_some(net::buffer(byte), ec);
  CHECK(ec == net::error::eof);
  solver->cleanup(ctx);
}

TEST_CASE("tls-alpn-01 present fails cleanly for wildcards and a busy port", "[tls_alpn01][network]") {
  const unsigned short port = free_port();
  auto solver = make_solver(port);

  auto wild = challenge("test.example", "https://ca/chall/w", "w.thumb");
  wild.wildcard = true;
  auto r = solver->present(wild);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::solver);
  solver->cleanup(wild);

  net::io_context ioc;
  tcp::acceptor holder(ioc, tcp::endpoint(net::ip::address_v4::loopback(), port));
  auto busy = challenge("a.test.example", "https://ca/chall/busy", "x.thumb");
  auto r2 = solver->present(busy);
  REQUIRE_FALSE(r2);
  CHECK(r2.error().code == Errc::solver);
  CHECK_THAT(r2.error().message, Catch::Contains("cannot listen on 127.0.0.1:" + std::to_string(port)));
  solver->cleanup(busy);  // safe after a failed present
}

}  // namespace
}  // namespace acmed::solver
