// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the certbot and lego readers (private to acmed::import).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "acmed/core/crypto.hpp"
#include "acmed/import/import.hpp"

namespace acmed::import::detail {

/// Largest file read from a source tree (certificates, keys, JSON, configuration).
constexpr std::size_t max_source_file = 1 << 20;

/// A certificate version from files: the chain must parse, and `key_path`'s key must
/// match its first certificate. `issuer_path` (lego's .issuer.crt) is appended when the
/// certificate file holds the leaf alone.
[[nodiscard]] Result<Version> load_version(const std::string& cert_path, const std::string& key_path,
                                           const std::string& issuer_path = {});

/// What a stored version says about the certificate: its names (DNS, then IP) and key type.
struct Described {
  std::vector<std::string> names;
  std::string key_type;
};
[[nodiscard]] Result<Described> describe(const Version& v);

/// A certs.d tree: names, key_type, solvers (a list of mappings), plus optional fields.
ConfigValue certificate_tree(const std::vector<std::string>& names, const std::string& key_type,
                             std::vector<ConfigValue> solvers);
/// A solver entry for an operator's --solver choice (lego, or a certbot plugin acmed lacks).
ConfigValue solver_for(const SolverChoice& c);
ConfigValue scalar(std::string v);
ConfigValue list_of(const std::vector<std::string>& items);

/// The account's key PEM as a PrivateKey's thumbprint, checking that it loads.
[[nodiscard]] Result<std::string> key_thumbprint(const Secret& pem);

/// A name acmed accepts for certs.d/NAME.yaml and live/NAME.
bool valid_certificate_name(const std::string& name);

/// An ACME directory URL from a source file that is safe to use in paths and print:
/// https, printable ASCII without spaces, a host, and no "." or ".." path segment.
bool valid_directory_url(const std::string& url);

/// The tree's path as given, made absolute and without "." segments or a trailing
/// slash, so the same tree always gives the same certs.d header.
std::string normal_tree_path(const std::string& tree);

/// Checks that `c.config` is a certificate acmed reads back. When it is not (a name
/// the certificate holds that acmed cannot order, ...), the configuration is dropped and
/// the reason becomes a finding at `where`: the account and versions still import.
void check_config(Certificate& c, const std::string& where, std::vector<Finding>& findings);

/// Entries of `dir` (names only, sorted), at most `limit`.
[[nodiscard]] Result<std::vector<std::string>> list_dir(const std::string& dir, std::size_t limit = 10000);

/// "https://host:port/path" -> {"host:port", "path"}; empty host on failure.
struct UrlParts {
  std::string netloc;
  std::string path;
};
UrlParts split_url(const std::string& url);

}  // namespace acmed::import::detail
