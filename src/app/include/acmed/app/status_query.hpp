// SPDX-License-Identifier: Apache-2.0
// File: acmed/app/status_query.hpp
//
// Which certificates a status view shows when there are thousands: a filter on the
// name, a state, and a page (offset, limit) over the certificates in name order. The
// selection uses only what is known without DNS lookups or the CA (the certificate
// views), so the slow live checks run for the page shown, not for every certificate.
//
//   auto certs = app::certificate_views(store, config_dir, app::configured_certificates(config_dir), now);
//   auto page = app::select_certificates(certs, {.offset = 0, .limit = 50, .filter = "www", .state = app::StateFilter::attention});
//   for (std::size_t i : page.shown) render(certs[i]);   // page.total: how many matched in all
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "acmed/app/status.hpp"

namespace acmed::app {

enum class StateFilter {
  any,
  attention,  ///< attention(cert, nullptr) is not empty: configuration error, failed renewals, expiry within 14 days
  ok,         ///< the others
};

/// "any", "attention", "ok"; none for anything else.
std::optional<StateFilter> state_filter_from(const std::string& text);

struct CertificateQuery {
  std::size_t offset = 0;
  std::optional<std::size_t> limit;  ///< none: every match from `offset` on
  /// Case-insensitive substring of the certificate's name or of one of its configured
  /// names; empty matches all.
  std::string filter;
  StateFilter state = StateFilter::any;
};

struct CertificateSelection {
  std::vector<std::size_t> shown;  ///< indexes into the views, in their order
  std::size_t total = 0;           ///< how many match the filter and state, on every page
};

/// The slice of `certs` that `q` selects. Touches each view once: O(n).
CertificateSelection select_certificates(const std::vector<CertificateView>& certs, const CertificateQuery& q);

}  // namespace acmed::app
