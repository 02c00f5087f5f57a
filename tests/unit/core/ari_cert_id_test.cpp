// SPDX-License-Identifier: Apache-2.0
// The ARI certificate identifier (RFC 9773 §4.1) that inspect_certificate computes:
// base64url(authorityKeyIdentifier.keyIdentifier) "." base64url(serial DER content
// octets), the serial's sign byte included. A wrong ID asks the CA about another
// certificate (or none), so renewals would silently fall back to the lifetime rule.
#include <catch2/catch.hpp>

#include "acmed/core/base64.hpp"
#include "acmed/core/crypto.hpp"
#include "test_certs.hpp"

namespace acmed {
namespace {

const PrivateKey& key() {
  static const PrivateKey k = [] {
    auto g = PrivateKey::generate(KeyType::ec_p256);
    REQUIRE(g);
    return std::move(*g);
  }();
  return k;
}

std::string cert_id(const std::string& serial_hex, const std::string& aki_hex) {
  test::CertSpec spec{.subject_cn = "a.example", .issuer_cn = "Issuer", .dns_names = {"a.example"},
                      .serial_hex = serial_hex};
  spec.authority_key_id_hex = aki_hex;
  auto info = inspect_certificate(test::make_certificate_der(spec, key(), key()));
  REQUIRE(info);
  return info->ari_cert_id;
}

TEST_CASE("ARI certID: the RFC 9773 example, whose serial needs a sign byte", "[x509][ari]") {
  // RFC 9773 §4.1: keyIdentifier 69:88:5B:..:D4 and serial 0x87654321 (high bit set,
  // so the DER INTEGER is 00 87 65 43 21).
  CHECK(cert_id("87654321", "69885B6B87464041E1B37B847BA0AE2CDE01C8D4") == "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
}

TEST_CASE("ARI certID: a serial without the high bit gets no sign byte", "[x509][ari]") {
  CHECK(cert_id("7f0102", "0102030405") == "AQIDBAU.fwEC");
  CHECK(cert_id("01", "0102030405") == "AQIDBAU.AQ");
}

TEST_CASE("ARI certID: a 20-octet serial with the high bit set keeps all 21 content octets", "[x509][ari]") {
  const std::string serial = "FF00112233445566778899AABBCCDDEEFF001122";  // 20 octets
  const std::string content("\x00\xFF\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xAA\xBB\xCC\xDD\xEE\xFF\x00\x11\x22", 21);
  const std::string want = base64url_encode(content);
  CHECK(cert_id(serial, "0A0B") == "Cgs." + want);
}

TEST_CASE("ARI certID: a serial long enough for a long-form DER length", "[x509][ari]") {
  // 130 octets plus the sign byte: DER length 81 83. Not seen from real CAs (RFC 5280
  // caps serials at 20 octets), but the length octets must not leak into the ID.
  std::string serial_hex = "80", raw("\x80", 1);
  for (int i = 1; i < 130; ++i) {
    serial_hex += "11";
    raw += '\x11';
  }
  CHECK(cert_id(serial_hex, "0A0B") == "Cgs." + base64url_encode(std::string(1, '\0') + raw));
}

TEST_CASE("ARI certID: none without an authorityKeyIdentifier", "[x509][ari]") {
  CHECK(cert_id("87654321", "").empty());
}

}  // namespace
}  // namespace acmed
