// SPDX-License-Identifier: Apache-2.0
// acmed::dns::read_txt_answer: DNS responses as wire bytes, read the way a TXT query's
// response is read (the path the DNS fuzz target takes).
#include <catch2/catch.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>

#include "acmed/dns/ldns_resolver.hpp"

namespace acmed::dns {
namespace {

std::string wire_name(const std::string& name) {
  std::string out;
  std::size_t start = 0;
  while (start < name.size()) {
    auto dot = name.find('.', start);
    auto label = name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    out += static_cast<char>(label.size());
    out += label;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out + '\0';
}

std::string u16(unsigned v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)}; }

std::string rr(const std::string& owner, unsigned type, const std::string& rdata, unsigned ttl = 300) {
  return wire_name(owner) + u16(type) + u16(1) + u16(ttl >> 16) + u16(ttl & 0xffff) + u16(rdata.size()) + rdata;
}

std::string txt(std::initializer_list<std::string> strings) {
  std::string out;
  for (const auto& s : strings) out += static_cast<char>(s.size()) + s;
  return out;
}

std::string response(const std::string& q, const std::string& answers, unsigned count, unsigned rcode = 0) {
  return u16(0x1234) + u16(0x8400 | rcode) + u16(1) + u16(count) + u16(0) + u16(0) + wire_name(q) + u16(16) + u16(1) +
         answers;
}

const std::string q = "_validation-persist.example.com";

TEST_CASE("read_txt_answer: character-strings of one RR are joined, each RR is a value, the smallest TTL wins") {
  auto r = read_txt_answer(
      response(q, rr(q, 16, txt({"ca.test; accounturi=", "https://ca.test/acct/1"})) + rr(q, 16, txt({"other"}), 60), 2),
      q);
  REQUIRE(r);
  REQUIRE(r->values.size() == 2);
  CHECK(r->values[0] == "ca.test; accounturi=https://ca.test/acct/1");
  CHECK(r->values[1] == "other");
  CHECK(r->ttl == 60);
  CHECK(r->authoritative);
  CHECK_FALSE(r->nxdomain);
}

TEST_CASE("read_txt_answer: a CNAME inside the answer is followed; a loop ends") {
  auto r = read_txt_answer(
      response(q, rr(q, 5, wire_name("x.example.net")) + rr("x.example.net", 16, txt({"v"})), 2), q);
  REQUIRE(r);
  CHECK(r->final_name == "x.example.net");
  REQUIRE(r->values.size() == 1);
  CHECK(r->values[0] == "v");
  auto loop = read_txt_answer(
      response(q, rr(q, 5, wire_name("a.example.net")) + rr("a.example.net", 5, wire_name(q)), 2), q);
  REQUIRE(loop);
  CHECK(loop->values.empty());
  CHECK(loop->cnames.size() <= 16);
}

TEST_CASE("read_txt_answer: NXDOMAIN, and garbage is an error") {
  auto nx = read_txt_answer(response(q, "", 0, 3), q);
  REQUIRE(nx);
  CHECK(nx->nxdomain);
  CHECK(nx->values.empty());
  auto bad = read_txt_answer("\x12\x34garbage", q);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("malformed DNS message") != std::string::npos);
  // An answer count the message does not hold.
  CHECK_FALSE(read_txt_answer(response(q, "", 3), q));
}

}  // namespace
}  // namespace acmed::dns
