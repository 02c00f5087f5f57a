// SPDX-License-Identifier: Apache-2.0
#include "acmed/core/base64.hpp"

#include <catch2/catch.hpp>

namespace acmed {
namespace {

struct Vector {
  std::string raw;
  std::string b64;
  std::string b64url;
};

// RFC 4648 §10, padded for base64 and without padding for base64url.
const Vector rfc4648[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

TEST_CASE("base64 encodes and decodes the RFC 4648 section 10 vectors", "[base64]") {
  for (const auto& v : rfc4648) {
    INFO("input '" << v.raw << "'");
    CHECK(base64_encode(v.raw) == v.b64);
    auto d = base64_decode(v.b64);
    REQUIRE(d);
    CHECK(*d == v.raw);
  }
}

TEST_CASE("base64url encodes without padding and decodes with or without it", "[base64]") {
  for (const auto& v : rfc4648) {
    INFO("input '" << v.raw << "'");
    CHECK(base64url_encode(v.raw) == v.b64url);
    auto unpadded = base64url_decode(v.b64url);
    REQUIRE(unpadded);
    CHECK(*unpadded == v.raw);
    auto padded = base64url_decode(v.b64);
    REQUIRE(padded);
    CHECK(*padded == v.raw);
  }
}

TEST_CASE("base64url uses '-' and '_' where base64 uses '+' and '/'", "[base64]") {
  const std::string bytes("\xfb\xff\xbf", 3);
  CHECK(base64_encode(bytes) == "+/+/");
  CHECK(base64url_encode(bytes) == "-_-_");
  auto d = base64url_decode("-_-_");
  REQUIRE(d);
  CHECK(*d == bytes);
}

TEST_CASE("base64url round-trips every byte value", "[base64]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t len : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{255}, std::size_t{256}}) {
    std::string s = all.substr(0, len);
    auto enc = base64url_encode(s);
    CHECK(enc.find_first_of("+/=") == std::string::npos);
    auto dec = base64url_decode(enc);
    REQUIRE(dec);
    CHECK(*dec == s);
  }
}

TEST_CASE("base64url rejects characters outside the url alphabet", "[base64]") {
  for (std::string bad : {"Zm9v+", "Zm9v/A", "Zm9v!A", "Zm 9v", "Zm9vY\"", "Zm9vYg.."}) {
    INFO("input '" << bad << "'");
    auto d = base64url_decode(bad);
    REQUIRE_FALSE(d);
    CHECK(d.error().code == Errc::invalid_argument);
  }
}

TEST_CASE("base64url rejects an impossible length", "[base64]") {
  // 4n+1 characters cannot encode whole bytes.
  for (std::string bad : {"a", "Zm9vY", "Zm9vYmFyZ"}) {
    INFO("input '" << bad << "'");
    CHECK_FALSE(base64url_decode(bad));
  }
}

TEST_CASE("base64url accepts '=' only as trailing padding", "[base64]") {
  // "Zg=a" is not base64url: '=' is not in the alphabet and may only pad the end.
  for (std::string bad : {"Zg=a", "Z=g=", "=Zm9v"}) {
    INFO("input '" << bad << "'");
    CHECK_FALSE(base64url_decode(bad));
  }
}

TEST_CASE("base64url rejects surrounding whitespace", "[base64]") {
  // A space is outside the url alphabet wherever it appears.
  for (std::string bad : {"Zm9v    ", "    Zm9v", "Zm9v\n\n\n\n"}) {
    INFO("input '" << bad << "'");
    CHECK_FALSE(base64url_decode(bad));
  }
}

TEST_CASE("base64 decode rejects malformed input", "[base64]") {
  CHECK_FALSE(base64_decode("Zm9"));    // not a multiple of 4
  CHECK_FALSE(base64_decode("Zm9!"));   // bad character
  CHECK_FALSE(base64_decode("Zm-_"));   // url alphabet is not plain base64
}

}  // namespace
}  // namespace acmed
