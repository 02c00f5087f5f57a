// SPDX-License-Identifier: Apache-2.0
// File: acmed/dns01/record_writer.hpp
//
// The DNS WRITE interface. It lives under solvers/dns01/writer_api/include, which
// only the dns-01 solver and its providers have on their include path: the
// read-only dns-persist-01 solver cannot even name this type.
//
//   auto w = provider_factory.create(section);   // loads credentials, here and only here
//   w->add_txt({"example.com", "_acme-challenge.example.com", value, 60});
//
// A provider declares its section's keys once (settings()); its validate() checks
// against that declaration, and the composition root hands the same declaration to
// dns-persist-01 (which refuses these keys), `acmed migrate` (which lists the
// credential keys) and the JSON Schema generator (config/certificate.schema.json).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "acmed/config/value.hpp"
#include "acmed/core/result.hpp"
#include "acmed/solvers/settings.hpp"

namespace acmed::dns01 {

struct TxtRecord {
  std::string zone;  ///< apex the update is addressed to
  std::string fqdn;  ///< owner name, no trailing dot
  std::string value;
  std::uint32_t ttl = 60;
};

/// Adds and removes single TXT values. Implementations never touch other values at
/// the same name, and never log credentials.
class RecordWriter {
 public:
  virtual ~RecordWriter() = default;
  /// Stable, secret-free identity, e.g. "rfc2136@127.0.0.2:53/key acmed" (journals use it).
  virtual std::string id() const = 0;
  [[nodiscard]] virtual Result<void> add_txt(const TxtRecord& record) = 0;
  [[nodiscard]] virtual Result<void> remove_txt(const TxtRecord& record) = 0;
};

class ProviderFactory {
 public:
  virtual ~ProviderFactory() = default;
  virtual std::string_view name() const = 0;
  /// Every key the provider's section may hold (static data).
  virtual std::span<const solver::SettingSpec> settings() const = 0;
  /// Checks the provider's section without reading any credential.
  [[nodiscard]] virtual Result<void> validate(const ConfigValue& section) const = 0;
  /// Loads credentials and returns a ready writer.
  [[nodiscard]] virtual Result<std::unique_ptr<RecordWriter>> create(const ConfigValue& section) const = 0;
};

}  // namespace acmed::dns01
