// SPDX-License-Identifier: Apache-2.0
#include "acmed/solvers/tls_alpn01.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "acmed/solvers/listener.hpp"
#include "acmed/solvers/settings.hpp"
#include "acmed/solvers/solver_base.hpp"
#include "acmed_detail/asio.hpp"
#include "acmed_detail/openssl.hpp"

namespace acmed::solver {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

// RFC 8737 §6.2: the ALPN protocol ID a validation server offers, as it appears on the wire.
constexpr std::string_view acme_tls_protocol = "acme-tls/1";
// RFC 8737 §6.1: id-pe-acmeIdentifier.
constexpr const char* acme_identifier_oid = "1.3.6.1.5.5.7.1.31";
// A validator sends its ClientHello at once and completes the handshake in well under a
// second; anything slower only holds a slot. The listener gives a client as long to send
// its first bytes, and evicts the oldest connection when all slots are taken.
constexpr auto io_deadline = std::chrono::seconds(5);
// Validators open a handful of connections per challenge; anything beyond this is noise.
constexpr std::size_t max_connections = 64;

using namespace acmed::detail;  // OpenSSL RAII aliases and openssl_error()

/// Lowercase, without one trailing dot: how SNI values and identifiers are compared.
std::string normalise_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

/// The SNI a validation server sends for `id`. For an IP identifier there is no
/// host name, so RFC 8738 §6 uses the reverse mapping name: "1.0.0.127.in-addr.arpa",
/// or the nibble form under "ip6.arpa" (RFC 3596 §2.5).
Result<std::string> sni_for(const Identifier& id) {
  if (id.type == Identifier::Type::dns) return normalise_name(id.value);
  beast::error_code ec;
  auto addr = net::ip::make_address(id.value, ec);
  if (ec) return fail(Errc::invalid_argument, "IP identifier '" + id.value + "' is not an IP address");
  std::string name;
  if (addr.is_v4()) {
    auto b = addr.to_v4().to_bytes();
    for (auto it = b.rbegin(); it != b.rend(); ++it) name += std::to_string(*it) + ".";
    return name + "in-addr.arpa";
  }
  static constexpr char hex[] = "0123456789abcdef";
  auto b = addr.to_v6().to_bytes();
  for (auto it = b.rbegin(); it != b.rend(); ++it) {
    name += hex[*it & 0x0f];
    name += '.';
    name += hex[*it >> 4];
    name += '.';
  }
  return name + "ip6.arpa";
}

/// Walks a TLS ALPN ProtocolNameList (RFC 7301 §3.1) and returns the entry equal to
/// acme-tls/1, pointing into `data`. Malformed lists yield nothing.
std::optional<std::string_view> find_acme_protocol(const unsigned char* data, std::size_t len) {
  std::size_t pos = 0;
  while (pos < len) {
    std::size_t n = data[pos];
    if (n == 0 || pos + 1 + n > len) return std::nullopt;
    std::string_view proto(reinterpret_cast<const char*>(data + pos + 1), n);
    if (proto == acme_tls_protocol) return proto;
    pos += 1 + n;
  }
  return std::nullopt;
}

/// The host_name from a raw server_name extension body (RFC 6066 §3).
std::optional<std::string> parse_sni(const unsigned char* data, std::size_t len) {
  if (len < 2) return std::nullopt;
  std::size_t list_len = (std::size_t{data[0]} << 8) | data[1];
  if (list_len + 2 != len) return std::nullopt;
  std::size_t pos = 2;
  while (pos + 3 <= len) {
    unsigned type = data[pos];
    std::size_t n = (std::size_t{data[pos + 1]} << 8) | data[pos + 2];
    if (pos + 3 + n > len) return std::nullopt;
    if (type == TLSEXT_NAMETYPE_host_name && n > 0)
      return normalise_name(std::string_view(reinterpret_cast<const char*>(data + pos + 3), n));
    pos += 3 + n;
  }
  return std::nullopt;
}

/// A validation certificate and its key, shared between the map and in-flight handshakes.
struct ChallengeCert {
  X509Ptr cert{nullptr, &X509_free};
  EvpPkeyPtr key{nullptr, &EVP_PKEY_free};
};

/// subjectAltName with exactly one entry, the identifier (RFC 8737 §3; RFC 8738 §6 for IPs).
/// Critical because the subject is empty (RFC 5280 §4.2.1.6).
Result<void> add_san(X509* x, const Identifier& id) {
  GeneralNamePtr gn(GENERAL_NAME_new(), &GENERAL_NAME_free);
  if (!gn) return fail(Errc::crypto, "GENERAL_NAME_new: " + openssl_error());
  if (id.type == Identifier::Type::ip) {
    ASN1_OCTET_STRING* ip = a2i_IPADDRESS(id.value.c_str());
    if (!ip) return fail(Errc::invalid_argument, "IP identifier '" + id.value + "' is not an IP address");
    GENERAL_NAME_set0_value(gn.get(), GEN_IPADD, ip);
  } else {
    ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
    if (!dns || ASN1_STRING_set(dns, id.value.data(), static_cast<int>(id.value.size())) != 1) {
      ASN1_IA5STRING_free(dns);
      return fail(Errc::crypto, "cannot encode dNSName: " + openssl_error());
    }
    GENERAL_NAME_set0_value(gn.get(), GEN_DNS, dns);
  }
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null(), &GENERAL_NAMES_free);
  if (!names || sk_GENERAL_NAME_push(names.get(), gn.get()) == 0)
    return fail(Errc::crypto, "cannot build subjectAltName: " + openssl_error());
  gn.release();  // now owned by `names`
  if (X509_add1_ext_i2d(x, NID_subject_alt_name, names.get(), 1, X509V3_ADD_DEFAULT) != 1)
    return fail(Errc::crypto, "cannot add subjectAltName: " + openssl_error());
  return {};
}

/// The critical acmeIdentifier extension (RFC 8737 §3): its extnValue is the DER of
/// `Authorization ::= OCTET STRING (SIZE (32))` holding SHA-256 of the key authorization.
Result<void> add_acme_identifier(X509* x, std::string_view key_authorization) {
  std::array<unsigned char, 32> digest{};
  unsigned int digest_len = 0;
  if (EVP_Digest(key_authorization.data(), key_authorization.size(), digest.data(), &digest_len, EVP_sha256(),
                 nullptr) != 1 ||
      digest_len != digest.size())
    return fail(Errc::crypto, "SHA-256 failed: " + openssl_error());
  Asn1OctetStringPtr inner(ASN1_OCTET_STRING_new(), &ASN1_OCTET_STRING_free);
  if (!inner || ASN1_OCTET_STRING_set(inner.get(), digest.data(), static_cast<int>(digest.size())) != 1)
    return fail(Errc::crypto, "cannot build acmeIdentifier: " + openssl_error());
  int der_len = i2d_ASN1_OCTET_STRING(inner.get(), nullptr);
  if (der_len <= 0) return fail(Errc::crypto, "cannot encode acmeIdentifier: " + openssl_error());
  std::vector<unsigned char> der(static_cast<std::size_t>(der_len));
  unsigned char* out = der.data();
  if (i2d_ASN1_OCTET_STRING(inner.get(), &out) != der_len)
    return fail(Errc::crypto, "cannot encode acmeIdentifier: " + openssl_error());
  Asn1OctetStringPtr value(ASN1_OCTET_STRING_new(), &ASN1_OCTET_STRING_free);
  Asn1ObjectPtr oid(OBJ_txt2obj(acme_identifier_oid, 1), &ASN1_OBJECT_free);
  if (!value || !oid || ASN1_OCTET_STRING_set(value.get(), der.data(), der_len) != 1)
    return fail(Errc::crypto, "cannot build acmeIdentifier: " + openssl_error());
  X509ExtensionPtr ext(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 1, value.get()), &X509_EXTENSION_free);
  if (!ext || X509_add_ext(x, ext.get(), -1) != 1)
    return fail(Errc::crypto, "cannot add acmeIdentifier: " + openssl_error());
  return {};
}

/// A self-signed validation certificate for one challenge, with a fresh P-256 key.
Result<std::shared_ptr<const ChallengeCert>> make_challenge_cert(const Identifier& id,
                                                                 std::string_view key_authorization) {
  auto out = std::make_shared<ChallengeCert>();
  out->key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  out->cert.reset(X509_new());
  if (!out->key || !out->cert) return fail(Errc::crypto, "cannot create a validation key: " + openssl_error());
  X509* x = out->cert.get();

  // A random positive 128-bit serial (RFC 5280 §4.1.2.2 allows up to 20 octets).
  std::array<unsigned char, 16> serial{};
  if (RAND_bytes(serial.data(), static_cast<int>(serial.size())) != 1)
    return fail(Errc::crypto, "RAND_bytes: " + openssl_error());
  serial[0] &= 0x7f;
  BnPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr), &BN_free);
  Asn1IntegerPtr sn(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr, &ASN1_INTEGER_free);
  // Backdated an hour for validators with slow clocks; they do not check dates, but tools do.
  if (!sn || X509_set_version(x, X509_VERSION_3) != 1 || X509_set_serialNumber(x, sn.get()) != 1 ||
      !X509_gmtime_adj(X509_getm_notBefore(x), -3600) || !X509_gmtime_adj(X509_getm_notAfter(x), 7 * 24 * 3600) ||
      X509_set_pubkey(x, out->key.get()) != 1)
    return fail(Errc::crypto, "cannot fill the validation certificate: " + openssl_error());
  // Subject and issuer stay empty: the identifier must be the only name the certificate
  // carries (RFC 8737 §3), and Boulder compares the SAN extension byte for byte.
  if (auto r = add_san(x, id); !r) return fail(r.error());
  if (auto r = add_acme_identifier(x, key_authorization); !r) return fail(r.error());
  if (X509_sign(x, out->key.get(), EVP_sha256()) <= 0)
    return fail(Errc::crypto, "cannot sign the validation certificate: " + openssl_error());
  return std::shared_ptr<const ChallengeCert>(std::move(out));
}

/// The acme-tls/1 responder: answers TLS handshakes on the listener with the validation
/// certificate for the SNI the client sent, and nothing else.
class Responder {
 public:
  Responder() : tls_(ssl::context::tls_server) {}
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  Result<void> init() {
    SSL_CTX* ctx = tls_.native_handle();
    // RFC 8737 §4: TLS 1.2 or later only. No session reuse: every handshake must pass
    // through the client hello callback, which is where a removed certificate stops being served.
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 || SSL_CTX_set_num_tickets(ctx, 0) != 1)
      return fail(Errc::crypto, "cannot configure the tls-alpn-01 TLS context: " + openssl_error());
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_client_hello_cb(ctx, &Responder::on_client_hello, this);
    SSL_CTX_set_alpn_select_cb(ctx, &Responder::on_alpn_select, nullptr);
    return {};
  }

  /// Serves `cert` for `sni` on behalf of the challenge `owner` (its URL).
  void set(const std::string& sni, const std::string& owner, std::shared_ptr<const ChallengeCert> cert) {
    std::lock_guard lock(mu_);
    certs_[sni] = Entry{owner, std::move(cert)};
  }
  /// Stops serving `sni`, unless a later challenge for the same name took it over.
  void erase(const std::string& sni, const std::string& owner) {
    std::lock_guard lock(mu_);
    auto it = certs_.find(sni);
    if (it != certs_.end() && it->second.owner == owner) certs_.erase(it);
  }

  net::awaitable<void> serve(tcp::socket sock) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(sock)), tls_);
    beast::error_code ec;
    beast::get_lowest_layer(stream).expires_after(io_deadline);
    co_await stream.async_handshake(ssl::stream_base::server, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      spdlog::debug("tls-alpn-01: handshake failed: {}", ec.message());
      co_return;  // the socket closes with the stream
    }
    const unsigned char* alpn = nullptr;
    unsigned int alpn_len = 0;
    SSL_get0_alpn_selected(stream.native_handle(), &alpn, &alpn_len);
    if (alpn_len != acme_tls_protocol.size()) co_return;  // cannot happen: the callbacks refuse first
    const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
    spdlog::debug("tls-alpn-01: served the validation certificate for '{}'", sni ? sni : "");
    // RFC 8737 §4: the validator closes right after the handshake and sends no data. Answer
    // with close_notify and wait for its close, bounded; a bare TCP close (stream_truncated)
    // is the usual ending and not an error here.
    beast::get_lowest_layer(stream).expires_after(io_deadline);
    co_await stream.async_shutdown(net::redirect_error(net::use_awaitable, ec));
  }

 private:
  struct Entry {
    std::string owner;
    std::shared_ptr<const ChallengeCert> cert;
  };

  std::shared_ptr<const ChallengeCert> find(const std::string& sni) const {
    std::lock_guard lock(mu_);
    auto it = certs_.find(sni);
    return it == certs_.end() ? nullptr : it->second.cert;
  }

  // Runs inside SSL_do_handshake on the responder thread, before anything is sent. It refuses
  // clients that do not offer acme-tls/1 at all (the ALPN callback only runs when the client
  // sent ALPN) and picks the certificate by SNI. May run twice after a TLS 1.3 HelloRetryRequest.
  static int on_client_hello(SSL* ssl, int* alert, void* arg) {
    const auto* self = static_cast<const Responder*>(arg);
    const unsigned char* ext = nullptr;
    std::size_t len = 0;
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &ext, &len) != 1 ||
        len < 2 || !find_acme_protocol(ext + 2, len - 2)) {
      *alert = SSL_AD_NO_APPLICATION_PROTOCOL;
      return SSL_CLIENT_HELLO_ERROR;
    }
    std::optional<std::string> sni;
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &ext, &len) == 1) sni = parse_sni(ext, len);
    auto cert = sni ? self->find(*sni) : nullptr;
    if (!cert) {
      spdlog::debug("tls-alpn-01: refused handshake for unknown name '{}'", sni.value_or(""));
      *alert = SSL_AD_UNRECOGNIZED_NAME;
      return SSL_CLIENT_HELLO_ERROR;
    }
    // The SSL takes its own references, so a concurrent cleanup cannot free them mid-handshake.
    if (SSL_use_certificate(ssl, cert->cert.get()) != 1 || SSL_use_PrivateKey(ssl, cert->key.get()) != 1) {
      spdlog::warn("tls-alpn-01: cannot load the validation certificate: {}", openssl_error());
      *alert = SSL_AD_INTERNAL_ERROR;
      return SSL_CLIENT_HELLO_ERROR;
    }
    return SSL_CLIENT_HELLO_SUCCESS;
  }

  // acme-tls/1 carries no application data and serves only validation (RFC 8737 §4), so it is
  // the only protocol this responder ever negotiates; anything else gets no_application_protocol.
  static int on_alpn_select(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                            unsigned int inlen, void*) {
    auto proto = find_acme_protocol(in, inlen);
    if (!proto) return SSL_TLSEXT_ERR_ALERT_FATAL;  // sends no_application_protocol
    *out = reinterpret_cast<const unsigned char*>(proto->data());
    *outlen = static_cast<unsigned char>(proto->size());
    return SSL_TLSEXT_ERR_OK;
  }

  ssl::context tls_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> certs_;  ///< SNI -> validation certificate
};

class TlsAlpn01Solver final : public SolverBase {
 public:
  explicit TlsAlpn01Solver(tcp::endpoint ep)
      : SolverBase("tls-alpn-01"),
        lease_({.name = "tls-alpn-01 responder", .max_connections = max_connections, .first_byte_timeout = io_deadline},
               ep) {}

 protected:
  Result<void> do_present(const ChallengeContext& ctx) override {
    // The certificate names exactly the identifier (RFC 8737 §3); a wildcard has no host to answer for.
    if (ctx.wildcard || ctx.identifier.is_wildcard())
      return fail(Errc::solver, "tls-alpn-01 cannot validate wildcard names; use dns-01");
    if (ctx.key_authorization.empty()) return fail(Errc::bad_response, "tls-alpn-01 challenge has no token");
    auto sni = sni_for(ctx.identifier);
    if (!sni) return fail(sni.error());
    auto cert = make_challenge_cert(ctx.identifier, ctx.key_authorization);
    if (!cert) return fail(cert.error());
    // Shared with every other tls-alpn-01 solver of this process on the same address.
    auto responder = lease_.acquire();
    if (!responder) return fail(responder.error());
    (*responder)->set(*sni, ctx.challenge_url, std::move(*cert));
    urls_.insert(ctx.challenge_url);
    return {};
  }

  void do_cleanup(const ChallengeContext& ctx) override {
    Responder* responder = lease_.get();
    if (!responder || urls_.erase(ctx.challenge_url) == 0) return;
    if (auto sni = sni_for(ctx.identifier)) responder->erase(*sni, ctx.challenge_url);
    // Free the port as soon as nobody in this process serves anything on it.
    if (urls_.empty()) lease_.release();
  }

 private:
  ListenerLease<Responder> lease_;
  std::set<std::string> urls_;  ///< challenges served by this solver
};

class TlsAlpn01Factory final : public SolverFactory {
 public:
  std::string_view name() const override { return "tls-alpn-01"; }
  std::string_view challenge_type() const override { return "tls-alpn-01"; }
  Capabilities capabilities() const override {
    return {.wildcard = false, .ip_identifiers = true, .needs_inbound_port = true, .writes_dns = false};
  }

  Result<void> validate(const SolverConfig& config) const override {
    if (auto r = check_keys(config.settings, {"listen"}, "tls-alpn-01"); !r) return r;
    if (auto ep = listen_endpoint(config.settings, "0.0.0.0:443", "tls-alpn-01"); !ep) return fail(ep.error());
    return {};
  }

  Result<std::unique_ptr<ChallengeSolver>> create(const SolverConfig& config, const SolverDeps&) const override {
    if (auto r = validate(config); !r) return fail(r.error());
    auto ep = listen_endpoint(config.settings, "0.0.0.0:443", "tls-alpn-01");
    return std::unique_ptr<ChallengeSolver>(std::make_unique<TlsAlpn01Solver>(*ep));
  }
};

}  // namespace

std::unique_ptr<SolverFactory> make_tls_alpn01_factory() { return std::make_unique<TlsAlpn01Factory>(); }

}  // namespace acmed::solver
