#include "acmed/app/account.hpp"

namespace acmed::app {

Result<void> may_reregister(const std::vector<std::string>& persist_certificates, const std::string& account_url,
                            const std::string& key_location) {
  if (persist_certificates.empty()) return {};
  std::string list;
  for (const auto& c : persist_certificates) list += (list.empty() ? "" : ", ") + c;
  return fail(Errc::acme_problem,
              "the CA no longer knows the account " + account_url + " (accountDoesNotExist). The _validation-persist "
              "records of " + list + " name that account, so acmed did not register a new one (its new URL would make "
              "every record, and any CAA accounturi pin, read wrong-account). Two ways out: (1) restore the account's "
              "key into " + key_location + " if it was replaced; or (2) run 'acmed account register --new', which "
              "registers a new account and prints the records to republish for every certificate");
}

}  // namespace acmed::app
