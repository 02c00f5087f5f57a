// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the acme unit tests: canned server documents and a JWS decoder
// that checks what the client put on the wire (header, payload, signature).
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "acmed/core/base64.hpp"
#include "acmed/core/crypto.hpp"
#include "acmed/transport/http_client.hpp"
#include "signature.hpp"

namespace acmed::acme::test_util {

using json = nlohmann::json;

inline constexpr const char* dir_url = "https://ca.test/dir";
inline constexpr const char* nonce_url = "https://ca.test/acme/new-nonce";
inline constexpr const char* account_endpoint = "https://ca.test/acme/new-acct";
inline constexpr const char* order_endpoint = "https://ca.test/acme/new-order";
inline constexpr const char* revoke_endpoint = "https://ca.test/acme/revoke-cert";
inline constexpr const char* key_change_endpoint = "https://ca.test/acme/key-change";
inline constexpr const char* account_url = "https://ca.test/acme/acct/1";

inline std::string directory_body(bool eab_required = false) {
  json d = {{"newNonce", nonce_url},          {"newAccount", account_endpoint},
            {"newOrder", order_endpoint},     {"revokeCert", revoke_endpoint},
            {"keyChange", key_change_endpoint}, {"meta", {{"termsOfService", "https://ca.test/tos"}}}};
  if (eab_required) d["meta"]["externalAccountRequired"] = true;
  return d.dump();
}

inline std::vector<transport::HttpHeader> json_headers(const std::string& nonce,
                                                       std::vector<transport::HttpHeader> extra = {}) {
  std::vector<transport::HttpHeader> h{{"Content-Type", "application/json"}};
  if (!nonce.empty()) h.push_back({"Replay-Nonce", nonce});
  h.insert(h.end(), extra.begin(), extra.end());
  return h;
}

inline std::vector<transport::HttpHeader> problem_headers(const std::string& nonce,
                                                          std::vector<transport::HttpHeader> extra = {}) {
  std::vector<transport::HttpHeader> h{{"Content-Type", "application/problem+json"}, {"Replay-Nonce", nonce}};
  h.insert(h.end(), extra.begin(), extra.end());
  return h;
}

inline std::string problem_body(const std::string& short_type, const std::string& detail, int status) {
  return json{{"type", "urn:ietf:params:acme:error:" + short_type}, {"detail", detail}, {"status", status}}.dump();
}

inline std::string order_body(const std::string& status = "pending") {
  json o = {{"status", status},
            {"identifiers", {{{"type", "dns"}, {"value", "a.example"}}}},
            {"authorizations", {"https://ca.test/acme/authz/1"}},
            {"finalize", "https://ca.test/acme/order/1/finalize"}};
  if (status == "valid") o["certificate"] = "https://ca.test/acme/cert/1";
  return o.dump();
}

inline json jwk_of(const PrivateKey& key) {
  json j = json::object();
  for (const auto& [k, v] : key.jwk_members()) j[k] = v;
  return j;
}

/// A flattened JWS as the client sent it, decoded.
struct Jws {
  json header;
  std::string payload;       ///< decoded payload bytes ("" for POST-as-GET)
  std::string payload_b64;   ///< as sent
  std::string signing_input; ///< protected "." payload
  std::string signature;     ///< raw signature bytes
};

inline std::string b64url_decode_or_fail(const std::string& s) {
  auto d = base64url_decode(s);
  REQUIRE(d);
  return *d;
}

inline Jws decode_jws(const std::string& body) {
  json outer = json::parse(body);
  REQUIRE(outer.is_object());
  CHECK(outer.size() == 3);  // protected, payload, signature and nothing else
  Jws j;
  const std::string p64 = outer.at("protected").get<std::string>();
  j.payload_b64 = outer.at("payload").get<std::string>();
  j.header = json::parse(b64url_decode_or_fail(p64));
  j.payload = b64url_decode_or_fail(j.payload_b64);
  j.signature = b64url_decode_or_fail(outer.at("signature").get<std::string>());
  j.signing_input = p64 + "." + j.payload_b64;
  return j;
}

inline bool signed_by(const Jws& jws, const PrivateKey& key) {
  return jws.header.value("alg", "") == key.jws_alg() &&
         test::verify_jws_signature(key.jws_alg(), key.public_key_der(), jws.signing_input, jws.signature);
}

inline std::size_t count_method(const std::vector<transport::HttpRequest>& reqs, const std::string& method) {
  std::size_t n = 0;
  for (const auto& r : reqs) n += r.method == method;
  return n;
}

inline std::string request_header(const transport::HttpRequest& r, const std::string& name) {
  for (const auto& h : r.headers)
    if (h.name == name) return h.value;
  return {};
}

}  // namespace acmed::acme::test_util
