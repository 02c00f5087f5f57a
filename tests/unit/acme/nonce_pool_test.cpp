// SPDX-License-Identifier: Apache-2.0
#include "acmed/acme/nonce_pool.hpp"

#include <catch2/catch.hpp>

namespace acmed::acme {
namespace {

TEST_CASE("NoncePool hands out the most recent nonce first", "[nonce]") {
  NoncePool pool;
  CHECK_FALSE(pool.take());
  pool.add("nonce-a");
  pool.add("nonce-b");
  pool.add("nonce-c");
  CHECK(pool.size() == 3);
  CHECK(pool.take() == "nonce-c");
  CHECK(pool.take() == "nonce-b");
  pool.add("nonce-d");
  CHECK(pool.take() == "nonce-d");
  CHECK(pool.take() == "nonce-a");
  CHECK_FALSE(pool.take());
  CHECK(pool.size() == 0);
}

TEST_CASE("NoncePool drops the oldest nonce beyond its capacity", "[nonce]") {
  NoncePool pool(2);
  pool.add("n1");
  pool.add("n2");
  pool.add("n3");
  CHECK(pool.size() == 2);
  CHECK(pool.take() == "n3");
  CHECK(pool.take() == "n2");
  CHECK_FALSE(pool.take());

  NoncePool big;
  for (int i = 0; i < 40; ++i) big.add("n" + std::to_string(i));
  CHECK(big.size() == 16);
  CHECK(big.take() == "n39");
}

TEST_CASE("NoncePool accepts only base64url values", "[nonce]") {
  NoncePool pool;
  pool.add(std::nullopt);
  for (const char* bad : {"", "abc+def", "abc/def", "abc=", "abc def", "abc\r\n", "nönce", "a.b"}) {
    INFO("nonce '" << bad << "'");
    pool.add(std::string(bad));
  }
  CHECK(pool.size() == 0);
  pool.add(std::string(513, 'a'));
  CHECK(pool.size() == 0);
  pool.add(std::string(512, 'a'));
  pool.add("oFvnlFP1wIhRlYS2jTaXbA-_09azxN4_a1B2");
  CHECK(pool.size() == 2);
  CHECK(pool.take() == "oFvnlFP1wIhRlYS2jTaXbA-_09azxN4_a1B2");
}

TEST_CASE("NoncePool::clear empties the pool", "[nonce]") {
  NoncePool pool;
  pool.add("a");
  pool.add("b");
  pool.clear();
  CHECK(pool.size() == 0);
  CHECK_FALSE(pool.take());
}

}  // namespace
}  // namespace acmed::acme
