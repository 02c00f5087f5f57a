// SPDX-License-Identifier: Apache-2.0
// Using acmed as a library: register an account and issue a certificate over
// http-01 with the standalone listener, in ~60 lines. Links acmed::acme,
// acmed::transport_beast and acmed::solver_http01 only.
//
//   issue_certificate https://127.0.0.1:14000/dir ca.pem 127.0.0.1:5002 example.test [more names...]
#include <iostream>

#include "acmed/acme/issuance.hpp"
#include "acmed/solvers/http01.hpp"
#include "acmed/transport/beast_client.hpp"

using namespace acmed;

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: " << argv[0] << " DIRECTORY_URL CA_BUNDLE LISTEN NAME...\n";
    return 2;
  }
  auto die = [](const Error& e) {
    std::cerr << "error: " << e.describe() << "\n";
    return 1;
  };

  transport::HttpClientOptions http_options;
  http_options.ca_bundle = argv[2];
  http_options.user_agent = "acmed-example";
  auto http = transport::make_beast_client(http_options);
  if (!http) return die(http.error());
  acme::Client client(**http, {.directory_url = argv[1]});

  auto account_key = PrivateKey::generate(KeyType::ec_p256);
  if (!account_key) return die(account_key.error());
  client.set_account(&*account_key, std::nullopt);
  auto account = client.new_account({.contact = {}, .terms_of_service_agreed = true, .eab = std::nullopt});
  if (!account) return die(account.error());

  // A solver is created from a config section, exactly as the CLI does it.
  auto factory = solver::make_http01_factory();
  ConfigValue settings = ConfigValue::make_map("example");
  settings.map["listen"] = ConfigValue::make_scalar(argv[3]);
  auto http01 = factory->create({"http-01", settings}, {});
  if (!http01) return die(http01.error());

  acme::IssueRequest request;
  for (int i = 4; i < argc; ++i) {
    auto id = Identifier::parse(argv[i]);
    if (!id) return die(id.error());
    request.identifiers.push_back(*id);
  }
  request.solvers.push_back({"http-01", {}, http01->get()});

  auto cert_key = PrivateKey::generate(KeyType::ec_p256);
  if (!cert_key) return die(cert_key.error());
  auto issued = acme::issue_certificate(client, request, *cert_key);
  if (!issued) return die(issued.error());
  std::cout << issued->fullchain_pem;
  return 0;
}
