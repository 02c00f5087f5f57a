// SPDX-License-Identifier: Apache-2.0
#include "acmed/storage/file_store.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "acmed/core/crypto.hpp"
#include "temp_dir.hpp"
#include "test_certs.hpp"

namespace acmed::storage {
namespace {

namespace fs = std::filesystem;
using test::file_mode;
using test::ScopedUmask;
using test::TempDir;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> temp_files_under(const std::string& root) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.path().filename().string().find(".tmp") != std::string::npos) out.push_back(e.path().string());
  return out;
}

const std::string ca = "acme-v02.api.letsencrypt.org_directory";

TEST_CASE("ca_id turns a directory URL into one safe path component", "[store]") {
  CHECK(ca_id("https://acme-v02.api.letsencrypt.org/directory") == "acme-v02.api.letsencrypt.org_directory");
  CHECK(ca_id("https://127.0.0.1:14000/dir") == "127.0.0.1_14000_dir");
  CHECK(ca_id("https://ca.test/") == "ca.test");
  CHECK(ca_id("") == "default");
  const std::string sneaky = ca_id("https://ca.test/../../etc");
  CHECK(sneaky.find('/') == std::string::npos);
}

TEST_CASE("StateStore stores an account key privately and never overwrites it", "[store][account]") {
  TempDir dir;
  ScopedUmask umask(022);
  FileStateStore store(dir.path());
  auto none = store.load_account(ca);
  REQUIRE(none);
  CHECK_FALSE(*none);

  REQUIRE(store.save_account_key(ca, Secret(std::string("KEY-A"))));
  const std::string key_path = store.account_dir(ca) + "/private_key.pem";
  CHECK(file_mode(key_path) == 0600);
  CHECK(file_mode(store.account_dir(ca)) == 0700);
  CHECK(file_mode(dir.path() + "/accounts") == 0700);

  auto again = store.save_account_key(ca, Secret(std::string("KEY-B")));
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::io);
  CHECK_THAT(again.error().message, Catch::Contains("refusing to overwrite"));
  CHECK(slurp(key_path) == "KEY-A");

  auto loaded = store.load_account(ca);
  REQUIRE(loaded);
  REQUIRE(*loaded);
  CHECK((*loaded)->key_pem.view() == "KEY-A");
  CHECK_FALSE((*loaded)->url);
}

TEST_CASE("StateStore remembers and forgets the account URL", "[store][account]") {
  TempDir dir;
  FileStateStore store(dir.path());
  REQUIRE(store.save_account_key(ca, Secret(std::string("KEY"))));
  REQUIRE(store.save_account_url(ca, "https://ca.test/acct/7"));
  auto loaded = store.load_account(ca);
  REQUIRE(loaded);
  REQUIRE(*loaded);
  CHECK((*loaded)->url == "https://ca.test/acct/7");

  // A registered account's key is never discarded.
  auto refuse = store.discard_unregistered_account_key(ca);
  REQUIRE_FALSE(refuse);
  CHECK(fs::exists(store.account_dir(ca) + "/private_key.pem"));

  REQUIRE(store.forget_account_url(ca));
  auto after = store.load_account(ca);
  REQUIRE(after);
  REQUIRE(*after);
  CHECK_FALSE((*after)->url);
  REQUIRE(store.discard_unregistered_account_key(ca));
  auto gone = store.load_account(ca);
  REQUIRE(gone);
  CHECK_FALSE(*gone);
}

TEST_CASE("StateStore key rollover keeps both keys until it is committed", "[store][account]") {
  TempDir dir;
  FileStateStore store(dir.path());
  const std::string d = store.account_dir(ca);
  REQUIRE(store.save_account_key(ca, Secret(std::string("OLD"))));
  CHECK_FALSE(store.has_pending_account_key(ca));

  REQUIRE(store.save_pending_account_key(ca, Secret(std::string("NEW"))));
  CHECK(store.has_pending_account_key(ca));
  CHECK(file_mode(d + "/private_key.next.pem") == 0600);
  CHECK(slurp(d + "/private_key.pem") == "OLD");
  // An interrupted rollover is never silently replaced.
  auto twice = store.save_pending_account_key(ca, Secret(std::string("NEWER")));
  REQUIRE_FALSE(twice);
  CHECK(slurp(d + "/private_key.next.pem") == "NEW");

  REQUIRE(store.commit_pending_account_key(ca));
  CHECK_FALSE(store.has_pending_account_key(ca));
  CHECK(slurp(d + "/private_key.pem") == "NEW");
  CHECK(slurp(d + "/private_key.old.pem") == "OLD");
  CHECK(file_mode(d + "/private_key.pem") == 0600);
  CHECK(file_mode(d + "/private_key.old.pem") == 0600);

  REQUIRE(store.save_pending_account_key(ca, Secret(std::string("REFUSED"))));
  REQUIRE(store.discard_pending_account_key(ca));
  CHECK_FALSE(store.has_pending_account_key(ca));
  CHECK(slurp(d + "/private_key.pem") == "NEW");
}

TEST_CASE("StateStore saves certificate versions with a certbot-like live/archive layout", "[store][cert]") {
  TempDir dir;
  ScopedUmask umask(0);
  FileStateStore store(dir.path());
  const std::string chain1 = test::make_chain_pem({"www.example.com"}, "Root 1");
  const std::string chain2 = test::make_chain_pem({"www.example.com"}, "Root 2");
  auto v1 = store.save_certificate("www", chain1, Secret(std::string("PRIVKEY-1")));
  REQUIRE(v1);
  CHECK(*v1 == 1);
  auto v2 = store.save_certificate("www", chain2, Secret(std::string("PRIVKEY-2")));
  REQUIRE(v2);
  CHECK(*v2 == 2);

  const std::string live = dir.path() + "/live/www";
  const std::string archive = dir.path() + "/archive/www";
  CHECK(store.live_dir("www") == live);
  for (const char* base : {"cert", "chain", "fullchain", "privkey"}) {
    INFO(base);
    const std::string link = live + "/" + base + ".pem";
    REQUIRE(fs::is_symlink(link));
    CHECK(fs::read_symlink(link).string() == std::string("../../archive/www/") + base + "2.pem");
    CHECK(fs::exists(archive + "/" + base + "1.pem"));  // the old version is kept
  }
  CHECK(slurp(live + "/fullchain.pem") == chain2);
  CHECK(slurp(live + "/privkey.pem") == "PRIVKEY-2");
  CHECK(slurp(archive + "/privkey1.pem") == "PRIVKEY-1");

  // cert.pem is the leaf alone and chain.pem the rest, both as certificates.
  auto full = parse_pem_chain(chain2);
  auto leaf = parse_pem_chain(slurp(live + "/cert.pem"));
  auto rest = parse_pem_chain(slurp(live + "/chain.pem"));
  REQUIRE(full);
  REQUIRE(leaf);
  REQUIRE(rest);
  CHECK(*leaf == std::vector<std::string>{(*full)[0]});
  CHECK(*rest == std::vector<std::string>{(*full)[1]});

  CHECK(file_mode(archive + "/privkey2.pem") == 0600);
  CHECK(file_mode(archive + "/privkey1.pem") == 0600);
  CHECK(file_mode(archive + "/cert2.pem") == 0644);
  CHECK(file_mode(archive + "/fullchain2.pem") == 0644);
  CHECK(file_mode(archive) == 0700);
  CHECK(file_mode(live) == 0700);
  CHECK(file_mode(dir.path() + "/archive") == 0700);
  CHECK(file_mode(dir.path() + "/live") == 0700);
  CHECK(temp_files_under(dir.path()).empty());
}

TEST_CASE("StateStore loads the live certificate with its version and key", "[store][cert]") {
  TempDir dir;
  FileStateStore store(dir.path());
  auto none = store.load_certificate("www");
  REQUIRE(none);
  CHECK_FALSE(*none);
  auto no_key = store.load_certificate_key("www");
  REQUIRE_FALSE(no_key);
  CHECK(no_key.error().code == Errc::not_found);

  const std::string chain = test::make_chain_pem({"www.example.com"});
  REQUIRE(store.save_certificate("www", chain, Secret(std::string("K1"))));
  REQUIRE(store.save_certificate("www", chain, Secret(std::string("K2"))));
  auto loaded = store.load_certificate("www");
  REQUIRE(loaded);
  REQUIRE(*loaded);
  CHECK((*loaded)->version == 2);
  CHECK((*loaded)->fullchain_pem == chain);
  CHECK((*loaded)->live_dir == dir.path() + "/live/www");
  auto key = store.load_certificate_key("www");
  REQUIRE(key);
  CHECK(key->view() == "K2");
}

TEST_CASE("StateStore counts versions past 9", "[store][cert]") {
  TempDir dir;
  FileStateStore store(dir.path());
  const std::string chain = test::make_chain_pem({"www.example.com"});
  for (int i = 1; i <= 11; ++i) REQUIRE(store.save_certificate("www", chain, Secret(std::string("K"))) == i);
  auto loaded = store.load_certificate("www");
  REQUIRE(loaded);
  REQUIRE(*loaded);
  CHECK((*loaded)->version == 11);
}

TEST_CASE("StateStore refuses to store something that is not a certificate chain", "[store][cert]") {
  TempDir dir;
  FileStateStore store(dir.path());
  auto r = store.save_certificate("www", "<html>oops</html>", Secret(std::string("K")));
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("refusing to store certificate"));
  CHECK_FALSE(fs::exists(dir.path() + "/live/www"));
  CHECK_FALSE(fs::exists(dir.path() + "/archive/www"));
}

TEST_CASE("storage read_file reports a missing file as not_found", "[store]") {
  TempDir dir;
  auto r = read_file(dir.path() + "/missing.pem");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::not_found);
}

}  // namespace
}  // namespace acmed::storage

namespace acmed::storage {
namespace {

TEST_CASE("StateStore finishes a live/ switch interrupted between its renames", "[store][cert]") {
  test::TempDir dir;
  FileStateStore store(dir.path());
  REQUIRE(store.save_certificate("www", test::make_chain_pem({"www.example.com"}, "Root 1"), Secret(std::string("K1"))));
  REQUIRE(store.save_certificate("www", test::make_chain_pem({"www.example.com"}, "Root 2"), Secret(std::string("K2"))));
  const std::string live = dir.path() + "/live/www";
  // As if killed after the first rename of the switch to version 2: new key, old certificate.
  std::filesystem::remove(live + "/cert.pem");
  std::filesystem::remove(live + "/chain.pem");
  std::filesystem::remove(live + "/fullchain.pem");
  std::filesystem::create_symlink("../../archive/www/cert1.pem", live + "/cert.pem");
  std::filesystem::create_symlink("../../archive/www/chain1.pem", live + "/chain.pem");
  std::filesystem::create_symlink("../../archive/www/fullchain1.pem", live + "/fullchain.pem");
  auto loaded = store.load_certificate("www");
  REQUIRE(loaded);
  REQUIRE(*loaded);
  CHECK((*loaded)->version == 2);
  for (const char* f : {"privkey", "cert", "chain", "fullchain"})
    CHECK(std::filesystem::read_symlink(live + "/" + f + ".pem").string() ==
          std::string("../../archive/www/") + f + "2.pem");
}

TEST_CASE("StateStore keeps the CA's dns-persist facts and the account's earlier key thumbprints", "[store][account]") {
  TempDir dir;
  FileStateStore store(dir.path());
  CHECK(store.load_ca_facts("ca")->revision.empty());
  CaFacts f;
  f.revision = "02";
  f.hash_prefix = "https://ca.example/account-hash/";
  f.issuer_domain_names = {"ca.example", "ca2.example"};
  f.previous_revision = "01";
  f.changed_at = 1'800'000'000;
  REQUIRE(store.save_ca_facts("ca", f));
  auto back = store.load_ca_facts("ca");
  REQUIRE(back);
  CHECK(back->revision == "02");
  CHECK(back->hash_prefix == f.hash_prefix);
  CHECK(back->issuer_domain_names == f.issuer_domain_names);
  CHECK(back->previous_revision == "01");
  CHECK(*back->changed_at == 1'800'000'000);

  const std::string a(43, 'a'), b(43, 'b');
  REQUIRE(store.add_earlier_thumbprint("ca", a));
  REQUIRE(store.add_earlier_thumbprint("ca", b));
  REQUIRE(store.add_earlier_thumbprint("ca", a));  // no duplicates
  CHECK(*store.load_earlier_thumbprints("ca") == std::vector<std::string>{a, b});
  // Lines that are no thumbprint are ignored, not trusted.
  const std::string path = store.account_dir("ca") + "/earlier-thumbprints";
  REQUIRE(write_file_atomic(path, *read_file(path) + "not-a-thumbprint\n", 0644));
  CHECK(store.load_earlier_thumbprints("ca")->size() == 2);
}

TEST_CASE("StateStore retires an account without deleting anything", "[store][account]") {
  TempDir dir;
  FileStateStore store(dir.path());
  CHECK(store.retire_account("ca")->empty());  // nothing stored: nothing to move
  REQUIRE(store.save_account_key("ca", Secret(std::string("KEY"))));
  REQUIRE(store.save_account_url("ca", "https://ca.example/acct/1"));
  REQUIRE(store.add_earlier_thumbprint("ca", std::string(43, 'a')));
  CaFacts f;
  f.revision = "02";
  REQUIRE(store.save_ca_facts("ca", f));
  auto kept = store.retire_account("ca");
  REQUIRE(kept);
  REQUIRE_FALSE(kept->empty());
  CHECK(fs::exists(*kept + "/private_key.pem"));
  CHECK(fs::exists(*kept + "/account_url"));
  CHECK(fs::exists(*kept + "/earlier-thumbprints"));
  CHECK_FALSE(*store.load_account("ca"));  // room for a new account
  CHECK(store.load_earlier_thumbprints("ca")->empty());
  CHECK(store.load_ca_facts("ca")->revision == "02");  // what the CA speaks is not the account's
}

}  // namespace
}  // namespace acmed::storage

namespace acmed::storage {
namespace {

/// Every entry under `dir` (names relative to it), sorted; symlinks are not followed.
std::set<std::string> entries_under(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) out.insert(e.path().lexically_relative(dir).string());
  return out;
}

void put(const std::string& path, const std::string& data, unsigned mode) { REQUIRE(write_file_atomic(path, data, mode)); }

/// A state directory holding versions 1 and 2 of "www", live/ at version 2.
struct TwoVersions {
  TempDir dir;
  FileStateStore store{dir.path()};
  const std::string archive = dir.path() + "/archive/www";
  const std::string live = dir.path() + "/live/www";
  TwoVersions() {
    REQUIRE(store.save_certificate("www", test::make_chain_pem({"www.example.com"}, "Root 1"), Secret(std::string("K1"))));
    REQUIRE(store.save_certificate("www", test::make_chain_pem({"www.example.com"}, "Root 2"), Secret(std::string("K2"))));
  }
  std::set<std::string> versions_1_and_2() const {
    std::set<std::string> s;
    for (const char* b : {"cert", "chain", "fullchain", "privkey"})
      for (const char* v : {"1", "2"}) s.insert(std::string(b) + v + ".pem");
    return s;
  }
};

const std::set<std::string> live_links = {"cert.pem", "chain.pem", "fullchain.pem", "privkey.pem"};

TEST_CASE("StateStore removes what a kill during the archive writes left, when the certificate lock is taken",
          "[store][cert][cleanup]") {
  TwoVersions t;
  // Killed while writing version 3: its key and certificate exist, chain and fullchain do
  // not, a temp file of the next write remains, and one of a live/ link switch.
  put(t.archive + "/privkey3.pem", "ORPHAN-KEY", 0600);
  put(t.archive + "/cert3.pem", "CERT", 0644);
  put(t.archive + "/.chain3.pem.tmp-12345", "partial", 0644);
  fs::create_symlink("../../archive/www/cert3.pem", t.live + "/cert.pem.tmp-678");
  // An older run killed right after the key of version 20.
  put(t.archive + "/privkey20.pem", "ORPHAN-KEY-20", 0600);
  put(t.archive + "/.cert20.pem.tmp-999", "partial", 0644);

  {
    auto lock = t.store.lock_certificate("www", false);
    REQUIRE(lock);
    CHECK(entries_under(t.archive) == t.versions_1_and_2());
    CHECK(entries_under(t.live) == live_links);
    CHECK(file_mode(t.archive + "/privkey1.pem") == 0600);
    CHECK(file_mode(t.archive + "/privkey2.pem") == 0600);
    CHECK(*read_file(t.live + "/privkey.pem") == "K2");

    // The next version follows the last complete one.
    auto v = t.store.save_certificate("www", test::make_chain_pem({"www.example.com"}, "Root 3"), Secret(std::string("K3")));
    REQUIRE(v);
    CHECK(*v == 3);
  }
  CHECK(*read_file(t.archive + "/privkey3.pem") == "K3");
  CHECK(file_mode(t.archive + "/privkey3.pem") == 0600);
  CHECK(fs::read_symlink(t.live + "/privkey.pem").string() == "../../archive/www/privkey3.pem");
  CHECK(temp_files_under(t.dir.path()).empty());
}

TEST_CASE("StateStore cleanup never touches a version live/ points at", "[store][cert][cleanup]") {
  TwoVersions t;
  // Version 2, which live/ uses, lost its chain file: incomplete, but in use.
  fs::remove(t.archive + "/chain2.pem");
  REQUIRE(t.store.cleanup_incomplete("www"));
  auto expected = t.versions_1_and_2();
  expected.erase("chain2.pem");
  CHECK(entries_under(t.archive) == expected);

  // A live/ switch interrupted between its renames points at two versions: both stay.
  TwoVersions split;
  fs::remove(split.live + "/cert.pem");
  fs::create_symlink("../../archive/www/cert1.pem", split.live + "/cert.pem");
  fs::remove(split.archive + "/chain1.pem");
  REQUIRE(split.store.cleanup_incomplete("www"));
  CHECK(fs::exists(split.archive + "/privkey1.pem"));
  CHECK(fs::exists(split.archive + "/cert1.pem"));
  CHECK(fs::exists(split.archive + "/privkey2.pem"));
}

TEST_CASE("StateStore cleanup keeps a complete version live/ never reached, and removes an orphan key without live/",
          "[store][cert][cleanup]") {
  TwoVersions t;
  // Killed after all four archive files of version 3, before live/ moved: a whole
  // certificate with its key, kept like any earlier version.
  for (const char* b : {"cert", "chain", "fullchain"}) fs::copy_file(t.archive + "/" + b + "2.pem", t.archive + "/" + b + "3.pem");
  put(t.archive + "/privkey3.pem", "K3", 0600);
  REQUIRE(t.store.cleanup_incomplete("www"));
  auto expected = t.versions_1_and_2();
  for (const char* f : {"cert3.pem", "chain3.pem", "fullchain3.pem", "privkey3.pem"}) expected.insert(f);
  CHECK(entries_under(t.archive) == expected);
  CHECK(fs::read_symlink(t.live + "/cert.pem").string() == "../../archive/www/cert2.pem");
  auto v = t.store.save_certificate("www", test::make_chain_pem({"www.example.com"}), Secret(std::string("K4")));
  REQUIRE(v);
  CHECK(*v == 4);

  // The very first save killed after the key: nothing in live/ yet, nothing to keep.
  TempDir dir;
  FileStateStore store(dir.path());
  REQUIRE(ensure_dir(dir.path() + "/archive/new", 0700));
  put(dir.path() + "/archive/new/privkey1.pem", "ORPHAN", 0600);
  REQUIRE(store.cleanup_incomplete("new"));
  CHECK(entries_under(dir.path() + "/archive/new").empty());
  auto first = store.save_certificate("new", test::make_chain_pem({"new.example.com"}), Secret(std::string("N1")));
  REQUIRE(first);
  CHECK(*first == 1);
  CHECK(file_mode(dir.path() + "/archive/new/privkey1.pem") == 0600);
}

TEST_CASE("StateStore cleanup removes this certificate's interrupted renewal-state write only",
          "[store][cert][cleanup]") {
  TwoVersions t;
  RenewalState st;
  st.failures = 2;
  REQUIRE(t.store.save_renewal_state("www", st));
  const std::string renewal = t.dir.path() + "/renewal";
  put(renewal + "/.www.tmp-12345", "failures=9", 0600);     // killed between write and rename
  put(renewal + "/.wwww.tmp-1", "other certificate", 0600);  // another certificate's: not ours
  put(renewal + "/.www.tmp-x", "not a temp name", 0600);
  REQUIRE(t.store.cleanup_incomplete("www"));
  CHECK_FALSE(fs::exists(renewal + "/.www.tmp-12345"));
  CHECK(fs::exists(renewal + "/.wwww.tmp-1"));
  CHECK(fs::exists(renewal + "/.www.tmp-x"));
  CHECK(t.store.load_renewal_state("www")->failures == 2);
}

TEST_CASE("StateStore lists renewal/ once per store, not once per lock", "[store][cert][cleanup]") {
  // A first run writes every certificate's renewal state, so renewal/ changes before
  // every lock: listing it again each time made a run over n certificates O(n^2).
  TempDir dir;
  const std::string renewal = dir.path() + "/renewal";
  FileStateStore store{dir.path()};
  REQUIRE(store.save_renewal_state("a", RenewalState{}));
  put(renewal + "/.b.tmp-1", "killed before this run", 0600);
  REQUIRE(store.cleanup_incomplete("a"));  // the one listing
  CHECK(fs::exists(renewal + "/.b.tmp-1"));  // not a's
  for (const char* n : {"c", "d", "e"}) REQUIRE(store.save_renewal_state(n, RenewalState{}));
  put(renewal + "/.c.tmp-2", "left by a process killed while this one ran", 0600);
  REQUIRE(store.cleanup_incomplete("b"));
  REQUIRE(store.cleanup_incomplete("c"));
  CHECK_FALSE(fs::exists(renewal + "/.b.tmp-1"));  // from the listing
  CHECK(fs::exists(renewal + "/.c.tmp-2"));        // not listed again: the next run's
  FileStateStore next_run{dir.path()};
  REQUIRE(next_run.cleanup_incomplete("c"));
  CHECK_FALSE(fs::exists(renewal + "/.c.tmp-2"));
}

TEST_CASE("StateStore cleanup leaves files it did not write alone", "[store][cert][cleanup]") {
  TwoVersions t;
  put(t.archive + "/README", "notes", 0644);
  put(t.archive + "/privkey-backup.pem", "mine", 0600);
  // An operator who removes the keys of old versions keeps their certificates.
  fs::remove(t.archive + "/privkey1.pem");
  REQUIRE(t.store.cleanup_incomplete("www"));
  CHECK(fs::exists(t.archive + "/README"));
  CHECK(fs::exists(t.archive + "/privkey-backup.pem"));
  for (const char* f : {"cert1.pem", "chain1.pem", "fullchain1.pem"}) CHECK(fs::exists(t.archive + "/" + f));
  TempDir empty;
  CHECK(FileStateStore(empty.path()).cleanup_incomplete("nothing"));  // no archive/: nothing to do
}

// --- The per-certificate lock --------------------------------------------------------
// Two renewals of one certificate at once would race on archive/NAME and live/NAME
// (and could leave a private key without its certificate). The lock is flock(2), so it
// holds between processes (two cron runs) and between open files of one process.

/// Runs `body` in a forked child and returns its exit status (0..255); a child must
/// never return into Catch2, so everything it does ends in _exit.
template <class F>
int in_child(F body) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(body());
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

TEST_CASE("Certificate lock: another process is refused while it is held, and gets it after release", "[store][lock]") {
  TempDir dir;
  FileStateStore store(dir.path());
  // Child exit codes: 0 = lock granted, 1 = refused with timeout, 2 = any other error.
  auto try_lock = [&](const std::string& name) {
    return in_child([&] {
      FileStateStore own(dir.path());
      auto l = own.lock_certificate(name, false);
      if (l) return 0;
      return l.error().code == Errc::timeout && l.error().message.find("'" + name + "'") != std::string::npos ? 1 : 2;
    });
  };
  {
    auto held = store.lock_certificate("www", false);
    REQUIRE(held);
    CHECK(try_lock("www") == 1);
    CHECK(try_lock("mail") == 0);  // another certificate does not contend
  }
  CHECK(try_lock("www") == 0);  // released with the handle
}

TEST_CASE("Certificate lock: a waiting lock blocks until the holding process lets go (or dies)", "[store][lock]") {
  TempDir dir;
  int to_child[2], from_child[2];
  REQUIRE(::pipe(to_child) == 0);
  REQUIRE(::pipe(from_child) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(to_child[1]);
    ::close(from_child[0]);
    FileStateStore own(dir.path());
    auto l = own.lock_certificate("www", false);
    char ok = l ? 'L' : 'E';
    if (::write(from_child[1], &ok, 1) != 1) ::_exit(3);
    char c;
    (void)!::read(to_child[0], &c, 1);  // returns when the parent closes its end
    ::_exit(0);                          // exiting closes the lock file: flock released
  }
  ::close(to_child[0]);
  ::close(from_child[1]);
  char got = 0;
  REQUIRE(::read(from_child[0], &got, 1) == 1);
  REQUIRE(got == 'L');

  FileStateStore store(dir.path());
  auto refused = store.lock_certificate("www", false);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::timeout);
  CHECK_THAT(refused.error().message, Catch::Contains("another acmed process is working on certificate 'www'"));

  std::atomic<bool> done{false};
  Result<LockHandle> waited = fail(Errc::io, "not run");
  std::thread waiter([&] {
    waited = store.lock_certificate("www", true);
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK_FALSE(done.load());  // still blocked: the child holds it
  ::close(to_child[1]);       // let the child exit
  waiter.join();
  CHECK(done.load());
  CHECK(waited);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  ::close(from_child[0]);
}

TEST_CASE("Certificate lock: two threads of one process exclude each other too", "[store][lock]") {
  TempDir dir;
  FileStateStore store(dir.path());
  auto held = store.lock_certificate("www", false);
  REQUIRE(held);
  // Another thread (its own open file) is refused at once without wait ...
  Result<LockHandle> other = fail(Errc::io, "not run");
  std::thread([&] { other = store.lock_certificate("www", false); }).join();
  REQUIRE_FALSE(other);
  CHECK(other.error().code == Errc::timeout);
  // ... and with wait it blocks until the holder releases.
  std::atomic<bool> done{false};
  Result<LockHandle> waited = fail(Errc::io, "not run");
  std::thread waiter([&] {
    waited = store.lock_certificate("www", true);
    done = true;
  });
  // A different certificate is free meanwhile.
  CHECK(store.lock_certificate("mail", false));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK_FALSE(done.load());
  held->reset();
  waiter.join();
  CHECK(waited);
}

TEST_CASE("the deploy queue is taken whole, and only certificate names in plain files count", "[store][deploy]") {
  test::TempDir dir;
  FileStateStore store(dir.path());
  auto empty = store.take_deploy_queue();
  REQUIRE(empty);
  CHECK(empty->names.empty());
  REQUIRE(store.queue_deploy("www"));
  REQUIRE(store.queue_deploy("mail"));
  REQUIRE(store.queue_deploy("www"));
  CHECK((fs::status(dir.path() + "/deploy-queue").permissions() & fs::perms::all) == fs::perms::owner_all);
  // What else a user drops there is removed (never what it points at) and reported.
  const std::string q = dir.path() + "/deploy-queue";
  std::ofstream(dir.path() + "/precious") << "keep me";
  fs::create_symlink(dir.path() + "/precious", q + "/link");
  fs::create_directory(q + "/subdir");
  std::ofstream(q + "/bad name") << "";
  auto taken = store.take_deploy_queue();
  REQUIRE(taken);
  CHECK(taken->names == std::vector<std::string>{"mail", "www"});
  REQUIRE(taken->rejected.size() == 3);
  CHECK_THAT(taken->rejected[0], Catch::Contains("'bad name': not a certificate name"));
  CHECK_THAT(taken->rejected[1], Catch::Contains("'link': not a plain file"));
  CHECK_THAT(taken->rejected[2], Catch::Contains("'subdir': not a plain file"));
  CHECK(fs::is_empty(q));
  CHECK(fs::exists(dir.path() + "/precious"));
  // The queue directory replaced by a link is not followed: nothing it points at goes.
  fs::remove(q);
  fs::create_directory(dir.path() + "/elsewhere");
  std::ofstream(dir.path() + "/elsewhere/www") << "";
  fs::create_directory_symlink(dir.path() + "/elsewhere", q);
  auto refused = store.take_deploy_queue();
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message, Catch::Contains("is not a directory (a link is not followed)"));
  CHECK(fs::exists(dir.path() + "/elsewhere/www"));
}

TEST_CASE("snapshot_certificate copies what the store wrote and nothing a user put in its place", "[store][deploy]") {
  test::TempDir dir;
  test::TempDir copy;
  FileStateStore store(dir.path());
  CHECK_FALSE(store.snapshot_certificate("www", copy.path()));  // nothing stored
  const std::string chain = test::make_chain_pem({"www.example.com"});
  REQUIRE(store.save_certificate("www", chain, Secret(std::string("K1"))));
  REQUIRE(store.save_certificate("www", chain, Secret(std::string("K2"))));
  const std::string live = dir.path() + "/live/www";
  SECTION("the store's own files") {
    auto s = store.snapshot_certificate("www", copy.path());
    REQUIRE(s);
    CHECK(s->version == 2);
    CHECK(s->live_dir == copy.path());
    CHECK(s->fullchain_pem == chain);
    for (const char* f : {"cert.pem", "chain.pem", "fullchain.pem", "privkey.pem"}) {
      INFO(f);
      CHECK(fs::is_regular_file(copy.path() + "/" + f));
      CHECK((fs::status(copy.path() + "/" + f).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
    }
  }
  SECTION("a live link to a file outside the archive") {
    fs::remove(live + "/privkey.pem");
    fs::create_symlink("/etc/shadow", live + "/privkey.pem");
    auto r = store.snapshot_certificate("www", copy.path());
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("privkey.pem -> '/etc/shadow' is not the store's link"));
  }
  SECTION("an archive file replaced by a link") {
    const std::string target = dir.path() + "/archive/www/cert2.pem";
    fs::remove(target);
    fs::create_symlink("/etc/passwd", target);
    auto r = store.snapshot_certificate("www", copy.path());
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("cert2.pem (a link is not followed)"));
  }
  SECTION("the live or archive directory replaced by a link") {
    const std::string moved = dir.path() + "/elsewhere";
    fs::rename(dir.path() + "/archive/www", moved);
    fs::create_directory_symlink(moved, dir.path() + "/archive/www");
    auto r = store.snapshot_certificate("www", copy.path());
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("is not a directory (a link is not followed)"));
  }
  SECTION("a name that is not a certificate name") {
    CHECK_FALSE(store.snapshot_certificate("../live", copy.path()));
  }
}

}  // namespace
}  // namespace acmed::storage
