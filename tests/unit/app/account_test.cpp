// SPDX-License-Identifier: Apache-2.0
// acmed::app account rules: when the CA forgot the account, re-registering is allowed
// only while no DNS-PERSIST-01 record names it.
#include "acmed/app/account.hpp"

#include <catch2/catch.hpp>

namespace acmed::app {
namespace {

TEST_CASE("may_reregister: free without dns-persist-01 records, a stop with both ways out otherwise", "[app][account]") {
  CHECK(may_reregister({}, "https://ca.example/acct/1", "/var/lib/acmed/accounts/ca/private_key.pem"));
  auto stop = may_reregister({"shop", "www"}, "https://ca.example/acct/1", "/var/lib/acmed/accounts/ca/private_key.pem");
  REQUIRE_FALSE(stop);
  const std::string& m = stop.error().message;
  CHECK_THAT(m, Catch::Contains("accountDoesNotExist") && Catch::Contains("https://ca.example/acct/1") &&
                    Catch::Contains("shop, www") && Catch::Contains("/var/lib/acmed/accounts/ca/private_key.pem") &&
                    Catch::Contains("acmed account register --new"));
  CHECK(stop.error().code == Errc::acme_problem);
}

}  // namespace
}  // namespace acmed::app
