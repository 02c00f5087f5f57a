// SPDX-License-Identifier: Apache-2.0
// acmed::app renewal policy: the due time (ARI window, renew_before, lifetime rule),
// the back-off schedule across runs, --force and --dry-run, and the state a run
// leaves. Pure values and a FixedClock: no network, no disk, no sleeps.
#include "acmed/app/renewal.hpp"

#include <catch2/catch.hpp>

#include "acmed/core/clock.hpp"

namespace acmed::app {
namespace {

using namespace std::chrono;
const TimePoint t0 = TimePoint(seconds(1'800'000'000));

CertificateInfo cert(TimePoint not_before, hours lifetime, std::string ari_id = "aki.serial") {
  CertificateInfo i;
  i.not_before = not_before;
  i.not_after = not_before + lifetime;
  i.ari_cert_id = std::move(ari_id);
  return i;
}

std::int64_t epoch(TimePoint t) { return duration_cast<seconds>(t.time_since_epoch()).count(); }

TEST_CASE("due: 1/3 of the lifetime left, 1/2 under ten days, renew_before capped at half", "[app][renewal]") {
  storage::RenewalState st;
  auto ninety = cert(t0, hours(24 * 90));
  CHECK(compute_due(ninety, st, std::nullopt).when == t0 + hours(24 * 60));
  CHECK_THAT(compute_due(ninety, st, std::nullopt).why, Catch::StartsWith("1/3 of the lifetime"));
  auto six_days = cert(t0, hours(24 * 6));
  CHECK(compute_due(six_days, st, std::nullopt).when == t0 + hours(24 * 3));
  CHECK(compute_due(ninety, st, seconds(86400 * 30)).when == t0 + hours(24 * 60));
  auto capped = compute_due(ninety, st, seconds(86400 * 80));
  CHECK(capped.when == t0 + hours(24 * 45));
  CHECK_THAT(capped.why, Catch::Contains("capped at half the lifetime"));
}

TEST_CASE("due: a stored ARI window for this certificate wins; another certificate's does not", "[app][renewal]") {
  auto info = cert(t0, hours(24 * 90));
  storage::RenewalState st;
  std::mt19937_64 rng(7);
  const TimePoint start = t0 + hours(24 * 10), end = t0 + hours(24 * 12);
  record_ari_window(st, info.ari_cert_id, start, end, std::nullopt, t0, rng);
  REQUIRE(st.ari_chosen);
  CHECK(*st.ari_chosen >= epoch(start));
  CHECK(*st.ari_chosen < epoch(end));
  CHECK(compute_due(info, st, std::nullopt).when == TimePoint(seconds(*st.ari_chosen)));
  // The chosen time is kept while the window stays the same, redrawn when it moves.
  const auto chosen = *st.ari_chosen;
  record_ari_window(st, info.ari_cert_id, start, end, std::nullopt, t0 + hours(7), rng);
  CHECK(*st.ari_chosen == chosen);
  record_ari_window(st, info.ari_cert_id, start + hours(48), end + hours(48), std::nullopt, t0 + hours(8), rng);
  CHECK(*st.ari_chosen >= epoch(start + hours(48)));
  // Retry-After is clamped to 1 minute .. 1 day; without one, 6 hours.
  record_ari_window(st, info.ari_cert_id, start, end, t0 + seconds(5), t0, rng);
  CHECK(*st.ari_retry_after == epoch(t0) + 60);
  record_ari_window(st, info.ari_cert_id, start, end, t0 + hours(24 * 7), t0, rng);
  CHECK(*st.ari_retry_after == epoch(t0) + 86400);
  CHECK_FALSE(ari_refresh_needed(info, st, t0 + hours(1)));
  CHECK(ari_refresh_needed(info, st, t0 + hours(25)));
  // A renewed certificate has another certID: its own lifetime rule until ARI says more.
  auto next = cert(t0 + hours(24 * 11), hours(24 * 90), "aki.other");
  CHECK(ari_refresh_needed(next, st, t0 + hours(24 * 11)));
  CHECK(compute_due(next, st, std::nullopt).when == next.not_before + hours(24 * 60));
  // No ARI at all: lifetime rule, ask again in a day.
  record_ari_missing(st, next.ari_cert_id, t0);
  CHECK_FALSE(st.ari_chosen);
  CHECK(*st.ari_retry_after == epoch(t0) + 86400);
}

TEST_CASE("decide: not due, due, --force, --dry-run, nothing stored", "[app][renewal]") {
  FixedClock clock(t0 + hours(24 * 10));
  auto info = cert(t0, hours(24 * 90));
  storage::RenewalState st;
  auto d = decide(info, st, std::nullopt, clock.now(), {});
  CHECK(d.verdict == Verdict::not_due);
  CHECK(*d.next == t0 + hours(24 * 60));
  CHECK(decide(info, st, std::nullopt, clock.now(), {.force = true}).verdict == Verdict::renew);
  CHECK(decide(info, st, std::nullopt, clock.now(), {.dry_run = true}).verdict == Verdict::renew);
  CHECK(decide(std::nullopt, st, std::nullopt, clock.now(), {}).verdict == Verdict::renew);
  clock.set(t0 + hours(24 * 61));
  CHECK(decide(info, st, std::nullopt, clock.now(), {}).verdict == Verdict::renew);
}

TEST_CASE("back-off across runs: 1 min, 10 min, 100 min, then daily; --force overrides; success resets", "[app][renewal]") {
  FixedClock clock(t0);
  storage::RenewalState st;
  st.persist_until = 1'900'000'000;
  st.persist_until_spec = "180d";
  const std::int64_t expected[] = {60, 600, 6000, 86400, 86400};
  for (std::int64_t wait : expected) {
    st = after_failure(st, "CA said no", clock.now());
    CHECK(*st.next_attempt == epoch(clock.now()) + wait);
    // Before the back-off ends, the next run does not try; --force does.
    clock.advance(seconds(wait - 1));
    auto d = decide(std::nullopt, st, std::nullopt, clock.now(), {});
    CHECK(d.verdict == Verdict::backoff);
    CHECK_THAT(d.why, Catch::Contains("last error: CA said no") && Catch::Contains("--force"));
    CHECK(decide(std::nullopt, st, std::nullopt, clock.now(), {.force = true}).verdict == Verdict::renew);
    clock.advance(seconds(1));
    CHECK(decide(std::nullopt, st, std::nullopt, clock.now(), {}).verdict == Verdict::renew);
  }
  CHECK(st.failures == 5);
  auto ok = after_success(st, clock.now());
  CHECK(ok.failures == 0);
  CHECK_FALSE(ok.next_attempt);
  CHECK(ok.last_error.empty());
  CHECK(*ok.last_success == epoch(clock.now()));
  // The anchored persistUntil belongs to the published records and survives a renewal.
  CHECK(*ok.persist_until == 1'900'000'000);
  CHECK(ok.persist_until_spec == "180d");
}

TEST_CASE("Unix seconds past 2262 in the stored state saturate instead of wrapping into the past", "[app][renewal][time]") {
  const std::int64_t year_9999 = 253'402'300'799;  // 9999-12-31T23:59:59Z
  const TimePoint end_of_time = TimePoint::max();
  auto info = cert(t0, hours(24 * 90));
  // An ARI window (as a CA could send) that ends after 2262: the due time is far ahead.
  storage::RenewalState st;
  st.ari_cert_id = info.ari_cert_id;
  st.ari_start = epoch(t0 + hours(24 * 10));
  st.ari_end = year_9999;
  st.ari_chosen = year_9999 - 1;
  auto due = compute_due(info, st, std::nullopt);
  CHECK(due.when > t0);
  CHECK(end_of_time - due.when < seconds(2));
  CHECK_THAT(due.why, Catch::Contains(".. 2262-04-11T23:47:16Z"));
  CHECK(decide(info, st, std::nullopt, t0 + hours(24 * 80), {}).verdict == Verdict::not_due);
  // A back-off that ends after 2262 still holds, and says until when.
  storage::RenewalState backing;
  backing.failures = 4;
  backing.next_attempt = year_9999;
  auto d = decide(std::nullopt, backing, std::nullopt, t0, {});
  CHECK(d.verdict == Verdict::backoff);
  REQUIRE(d.next);
  CHECK(*d.next > t0);
  CHECK_THAT(d.why, Catch::Contains("until 2262-04-11T23:47:16Z"));
}

}  // namespace
}  // namespace acmed::app

namespace acmed::app {
namespace {

std::vector<Identifier> ids(std::initializer_list<const char*> names) {
  std::vector<Identifier> out;
  for (const char* n : names) out.push_back(*Identifier::parse(n));
  return out;
}

TEST_CASE("names_differ: added, removed, replaced; case and IP spelling do not count", "[app][renewal][names]") {
  CHECK(names_differ(ids({"www.example", "example.org"}), {"example.org", "www.example"}).empty());
  CHECK(names_differ(ids({"WWW.Example", "2001:db8::1"}), {"www.example", "2001:DB8:0:0::1"}).empty());
  CHECK(names_differ(ids({"www.example", "new.example"}), {"www.example"}) ==
        "configured but not in the certificate: new.example");
  CHECK(names_differ(ids({"www.example"}), {"www.example", "old.example"}) ==
        "in the certificate but not configured: old.example");
  CHECK(names_differ(ids({"www.example", "example.org"}), {"other.example"}) ==
        "configured but not in the certificate: example.org, www.example; in the certificate but not configured: "
        "other.example");
  // Bytes from a certificate are shown printable.
  CHECK(names_differ(ids({"a.example"}), {"a.example", "bad\nname"}) ==
        "in the certificate but not configured: bad?name");
  CertificateInfo info;
  info.dns_names = {"a.example"};
  info.ip_addresses = {"192.0.2.7"};
  CHECK(certificate_names(info) == std::vector<std::string>{"a.example", "192.0.2.7"});
}

TEST_CASE("decide: a certificate whose names changed is due now, not at its due time; back-off still applies",
          "[app][renewal][names]") {
  storage::RenewalState st;
  auto info = cert(t0, hours(24 * 90));
  const std::string changed = "configured but not in the certificate: new.example";
  CHECK(decide(info, st, std::nullopt, t0 + hours(1), {}).verdict == Verdict::not_due);
  auto d = decide(info, st, std::nullopt, t0 + hours(1), {.force = false, .dry_run = false, .names_differ = changed});
  CHECK(d.verdict == Verdict::renew);
  CHECK_THAT(d.why, Catch::Contains("new.example"));
  auto failed = after_failure(st, "bad day", t0 + hours(1));
  CHECK(decide(info, failed, std::nullopt, t0 + hours(1), {.force = false, .dry_run = false, .names_differ = changed})
            .verdict == Verdict::backoff);
}

}  // namespace
}  // namespace acmed::app
