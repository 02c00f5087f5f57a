// What every StateStore shares: the CA id that names an account's place.
#include "acmed/storage/store.hpp"

#include <cctype>

namespace acmed::storage {

std::string ca_id(const std::string& directory_url) {
  std::string s = directory_url;
  if (auto p = s.find("://"); p != std::string::npos) s = s.substr(p + 3);
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out.empty() ? "default" : out;
}

}  // namespace acmed::storage
