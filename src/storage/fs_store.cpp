// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

#include "acmed/core/crypto.hpp"
#include "acmed/core/text.hpp"
#include "acmed/storage/file_store.hpp"

namespace acmed::storage {
namespace {

namespace fs = std::filesystem;

std::string errno_text() { return std::strerror(errno); }

/// Replaces `link` with a symlink to `target` atomically (symlink to temp name, rename).
Result<void> replace_symlink(const std::string& target, const std::string& link) {
  std::string tmp = link + ".tmp-" + random_suffix();
  if (::symlink(target.c_str(), tmp.c_str()) != 0) return fail(Errc::io, "cannot create symlink " + tmp + ": " + errno_text());
  if (::rename(tmp.c_str(), link.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return fail(Errc::io, "cannot replace " + link + ": " + std::strerror(e));
  }
  return {};
}

/// The four files of a certificate version, in the order they are written: the key first.
constexpr const char* version_bases[] = {"privkey", "cert", "chain", "fullchain"};

/// A file of archive/NAME: "cert12.pem" is {1 (cert), 12}.
struct ArchiveFile {
  std::size_t base;
  int version;
};

/// Parses "<base><N>.pem"; nullopt for any name acmed does not write there.
std::optional<ArchiveFile> parse_archive_name(std::string_view name) {
  if (!name.ends_with(".pem")) return std::nullopt;
  name.remove_suffix(4);
  for (std::size_t b = 0; b < std::size(version_bases); ++b) {
    std::string_view base = version_bases[b];
    if (!name.starts_with(base)) continue;
    std::string_view digits = name.substr(base.size());
    if (digits.empty() || digits.size() > 9 || digits.front() == '0' ||
        !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); }))
      continue;
    return ArchiveFile{b, std::stoi(std::string(digits))};
  }
  return std::nullopt;
}

/// True for the temp names write_file_atomic (".cert3.pem.tmp-N") and replace_symlink
/// ("cert.pem.tmp-N") use for the certificate files.
bool is_certificate_temp(std::string_view name) {
  auto at = name.rfind(".tmp-");
  if (at == std::string_view::npos) return false;
  std::string_view suffix = name.substr(at + 5);
  if (suffix.empty() || !std::all_of(suffix.begin(), suffix.end(), [](unsigned char c) { return std::isdigit(c); }))
    return false;
  name = name.substr(0, at);
  if (name.starts_with('.')) name.remove_prefix(1);
  if (parse_archive_name(name)) return true;
  return std::any_of(std::begin(version_bases), std::end(version_bases),
                     [&](std::string_view b) { return name == std::string(b) + ".pem"; });
}

/// Which of the four files each version in `archive` has (regular files only).
Result<std::map<int, std::set<std::size_t>>> archive_versions(const std::string& archive) {
  std::map<int, std::set<std::size_t>> out;
  std::error_code ec;
  if (!fs::exists(archive, ec)) return out;
  for (fs::directory_iterator it(archive, ec), end; !ec && it != end; it.increment(ec)) {
    auto f = parse_archive_name(it->path().filename().string());
    if (f && it->is_regular_file(ec)) out[f->version].insert(f->base);
  }
  if (ec) return fail(Errc::io, "cannot list " + archive + ": " + ec.message());
  return out;
}

}  // namespace

std::string FileStateStore::account_dir(const std::string& ca) const { return root_ + "/accounts/" + ca; }
std::string FileStateStore::live_dir(const std::string& name) const { return root_ + "/live/" + name; }

Result<std::optional<StoredAccount>> FileStateStore::load_account(const std::string& ca) const {
  StoredAccount acct;
  auto uri = read_file(account_dir(ca) + "/key_uri", 4096);
  if (uri) {
    std::string u = *uri;
    while (!u.empty() && (u.back() == '\n' || u.back() == ' ')) u.pop_back();
    acct.key_uri = u;
  } else if (uri.error().code != Errc::not_found) {
    return fail(uri.error());
  }
  if (!acct.key_uri) {
    auto key = read_file(account_dir(ca) + "/private_key.pem", 64 * 1024);
    if (!key) {
      if (key.error().code == Errc::not_found) return std::optional<StoredAccount>{};
      return fail(key.error());
    }
    acct.key_pem = Secret(std::move(*key));
  }
  auto url = load_account_url(ca);
  if (!url) return fail(url.error());
  acct.url = *url;
  return std::optional<StoredAccount>(std::move(acct));
}

Result<std::optional<std::string>> FileStateStore::load_account_url(const std::string& ca) const {
  auto url = read_file(account_dir(ca) + "/account_url", 4096);
  if (!url) {
    if (url.error().code == Errc::not_found) return std::optional<std::string>{};
    return fail(url.error());
  }
  std::string u = *url;
  while (!u.empty() && (u.back() == '\n' || u.back() == '\r' || u.back() == ' ')) u.pop_back();
  if (u.empty()) return std::optional<std::string>{};
  return std::optional<std::string>(u);
}

Result<void> FileStateStore::save_account_key(const std::string& ca, const Secret& key_pem) const {
  if (auto r = ensure_dir(account_dir(ca), 0700); !r) return r;
  std::string path = account_dir(ca) + "/private_key.pem";
  // Never replace an existing account key silently: losing it loses the account.
  if (fs::exists(path)) return fail(Errc::io, "refusing to overwrite existing account key " + path);
  return write_file_atomic(path, key_pem.view(), 0600);
}

Result<void> FileStateStore::save_account_url(const std::string& ca, const std::string& url) const {
  if (auto r = ensure_dir(account_dir(ca), 0700); !r) return r;
  return write_file_atomic(account_dir(ca) + "/account_url", url + "\n", 0644);
}

Result<void> FileStateStore::forget_account_url(const std::string& ca) const {
  std::error_code ec;
  fs::remove(account_dir(ca) + "/account_url", ec);
  if (ec) return fail(Errc::io, "cannot remove account URL: " + ec.message());
  return {};
}

Result<void> FileStateStore::save_seen_challenges(const std::string& ca, const std::string& types) const {
  if (auto r = ensure_dir(account_dir(ca), 0700); !r) return r;
  return write_file_atomic(account_dir(ca) + "/challenges-seen",
                           format_rfc3339(std::chrono::system_clock::now()) + " " + types + "\n", 0644);
}

Result<std::optional<std::string>> FileStateStore::load_seen_challenges(const std::string& ca) const {
  auto r = read_file(account_dir(ca) + "/challenges-seen", 4096);
  if (!r) {
    if (r.error().code == Errc::not_found) return std::optional<std::string>{};
    return fail(r.error());
  }
  std::string s = *r;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return std::optional<std::string>(s);
}

Result<void> FileStateStore::save_ca_facts(const std::string& ca, const CaFacts& f) const {
  if (auto r = ensure_dir(account_dir(ca), 0700); !r) return r;
  return write_file_atomic(account_dir(ca) + "/dns-persist", encode_ca_facts(f), 0644);
}

Result<CaFacts> FileStateStore::load_ca_facts(const std::string& ca) const {
  auto data = read_file(account_dir(ca) + "/dns-persist", 64 * 1024);
  if (!data) {
    if (data.error().code == Errc::not_found) return CaFacts{};
    return fail(data.error());
  }
  return decode_ca_facts(*data);
}

Result<void> FileStateStore::add_earlier_thumbprint(const std::string& ca, const std::string& thumbprint) const {
  auto list = load_earlier_thumbprints(ca);
  if (!list) return fail(list.error());
  if (std::find(list->begin(), list->end(), thumbprint) != list->end()) return {};
  list->push_back(thumbprint);
  std::string out;
  for (const auto& t : *list) out += t + "\n";
  if (auto r = ensure_dir(account_dir(ca), 0700); !r) return r;
  return write_file_atomic(account_dir(ca) + "/earlier-thumbprints", out, 0644);
}

Result<std::vector<std::string>> FileStateStore::load_earlier_thumbprints(const std::string& ca) const {
  std::vector<std::string> out;
  auto data = read_file(account_dir(ca) + "/earlier-thumbprints", 256 * 1024);
  if (!data) {
    if (data.error().code == Errc::not_found) return out;
    return fail(data.error());
  }
  std::size_t pos = 0;
  while (pos < data->size()) {
    auto nl = data->find('\n', pos);
    std::string line = data->substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? data->size() : nl + 1;
    // An RFC 7638 SHA-256 thumbprint is 43 base64url characters; anything else is not ours.
    if (line.size() == 43 && std::all_of(line.begin(), line.end(), [](unsigned char c) {
          return std::isalnum(c) || c == '-' || c == '_';
        }))
      out.push_back(line);
  }
  return out;
}

Result<void> FileStateStore::retire_earlier_thumbprints(const std::string& ca) const {
  const std::string path = account_dir(ca) + "/earlier-thumbprints";
  if (!fs::exists(path)) return {};
  if (::rename(path.c_str(), (path + ".old").c_str()) != 0)
    return fail(Errc::io, "cannot retire " + path + ": " + errno_text());
  return {};
}

Result<void> FileStateStore::save_account_thumbprint(const std::string& ca, const std::string& thumbprint) const {
  if (auto r = ensure_dir(account_dir(ca), 0700); !r) return r;
  return write_file_atomic(account_dir(ca) + "/thumbprint", thumbprint + "\n", 0644);
}

Result<std::string> FileStateStore::load_account_thumbprint(const std::string& ca) const {
  auto data = read_file(account_dir(ca) + "/thumbprint", 4096);
  if (!data) {
    if (data.error().code == Errc::not_found) return std::string();
    return fail(data.error());
  }
  std::string t = *data;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  // Anything but a 43-character base64url thumbprint is not ours: treat it as unknown.
  if (t.size() != 43 || !std::all_of(t.begin(), t.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; }))
    return std::string();
  return t;
}

Result<std::string> FileStateStore::retire_account(const std::string& ca) const {
  const std::string dir = account_dir(ca);
  if (has_pending_account_key(ca))
    return fail(Errc::io, dir + "/private_key.next.pem exists: finish or undo the interrupted key rollover first");
  std::string stamp = format_rfc3339(std::chrono::system_clock::now());
  std::replace(stamp.begin(), stamp.end(), ':', '-');
  const std::string target = dir + "/retired-" + stamp;
  bool moved_any = false;
  for (const char* f : {"private_key.pem", "account_url", "key_uri", "private_key.old.pem", "earlier-thumbprints",
                        "key_uri.old", "thumbprint"}) {
    const std::string from = dir + "/" + f;
    if (!fs::exists(from)) continue;
    if (!moved_any) {
      if (auto r = ensure_dir(target, 0700); !r) return fail(r.error());
      moved_any = true;
    }
    if (::rename(from.c_str(), (target + "/" + f).c_str()) != 0)
      return fail(Errc::io, "cannot move " + from + " to " + target + ": " + errno_text());
  }
  if (!moved_any) return std::string();
  if (auto r = fsync_dir(dir); !r) return fail(r.error());
  return target;
}

Result<void> FileStateStore::save_pending_account_key(const std::string& ca, const Secret& key_pem) const {
  if (has_pending_account_key(ca))
    return fail(Errc::io, account_dir(ca) + "/private_key.next.pem exists: an earlier key rollover was interrupted. "
                          "Check with 'acmed account show' which key the CA accepts before removing either file");
  return write_file_atomic(account_dir(ca) + "/private_key.next.pem", key_pem.view(), 0600);
}

Result<void> FileStateStore::commit_pending_account_key(const std::string& ca) const {
  const std::string dir = account_dir(ca);
  // Keep the previous key: hard link first, then the atomic rename replaces the current one.
  std::string old = dir + "/private_key.old.pem";
  if (fs::exists(dir + "/private_key.pem")) {
    ::unlink(old.c_str());
    if (::link((dir + "/private_key.pem").c_str(), old.c_str()) != 0)
      return fail(Errc::io, "cannot keep the previous account key as " + old + ": " + errno_text());
  }
  if (::rename((dir + "/private_key.next.pem").c_str(), (dir + "/private_key.pem").c_str()) != 0)
    return fail(Errc::io, "cannot move the new account key into place: " + errno_text());
  // Coming back from a token: the file key is in charge again.
  if (fs::exists(dir + "/key_uri") && ::rename((dir + "/key_uri").c_str(), (dir + "/key_uri.old").c_str()) != 0)
    return fail(Errc::io, "cannot retire key_uri: " + errno_text());
  return fsync_dir(dir);
}

Result<void> FileStateStore::commit_token_key(const std::string& ca, const std::string& uri) const {
  const std::string dir = account_dir(ca);
  if (auto r = ensure_dir(dir, 0700); !r) return r;
  if (auto r = write_file_atomic(dir + "/key_uri", uri + "\n", 0600); !r) return r;
  if (fs::exists(dir + "/private_key.pem") &&
      ::rename((dir + "/private_key.pem").c_str(), (dir + "/private_key.old.pem").c_str()) != 0)
    return fail(Errc::io, "cannot keep the previous account key as private_key.old.pem: " + errno_text());
  return fsync_dir(dir);
}

Result<void> FileStateStore::discard_pending_account_key(const std::string& ca) const {
  std::error_code ec;
  fs::remove(account_dir(ca) + "/private_key.next.pem", ec);
  if (ec) return fail(Errc::io, "cannot remove the pending account key: " + ec.message());
  return {};
}

bool FileStateStore::has_pending_account_key(const std::string& ca) const {
  return fs::exists(account_dir(ca) + "/private_key.next.pem");
}

Result<std::optional<Secret>> FileStateStore::load_pending_account_key(const std::string& ca) const {
  auto key = read_file(account_dir(ca) + "/private_key.next.pem", 64 * 1024);
  if (!key) {
    if (key.error().code == Errc::not_found) return std::optional<Secret>{};
    return fail(key.error());
  }
  return std::optional<Secret>(Secret(std::move(*key)));
}

Result<void> FileStateStore::discard_unregistered_account_key(const std::string& ca) const {
  if (fs::exists(account_dir(ca) + "/account_url"))
    return fail(Errc::io, "refusing to remove the key of a registered account in " + account_dir(ca));
  std::error_code ec;
  fs::remove(account_dir(ca) + "/private_key.pem", ec);
  if (ec) return fail(Errc::io, "cannot remove unregistered account key: " + ec.message());
  return {};
}

Result<int> FileStateStore::save_certificate(const std::string& name, const std::string& fullchain_pem,
                                         const Secret& key_pem) const {
  auto ders = parse_pem_chain(fullchain_pem);
  if (!ders) return fail(ders.error().with_context("refusing to store certificate"));
  std::string archive = root_ + "/archive/" + name;
  std::string live = live_dir(name);
  if (auto r = ensure_dir(archive, 0700); !r) return fail(r.error());
  if (auto r = ensure_dir(live, 0700); !r) return fail(r.error());
  if (auto r = repair_live(name); !r) return fail(r.error());
  // After the newest version in archive/, complete or not, so the files of a new
  // certificate never mix with what an earlier run left under the same number.
  auto present = archive_versions(archive);
  if (!present) return fail(present.error());
  const int version = present->empty() ? 1 : present->rbegin()->first + 1;
  std::string v = std::to_string(version);
  std::string cert = der_to_pem((*ders)[0]);
  std::string chain;
  for (std::size_t i = 1; i < ders->size(); ++i) chain += der_to_pem((*ders)[i]);
  // Archive first; live/ keeps pointing at the previous version until all four files exist.
  struct File {
    const char* base;
    std::string_view data;
    unsigned mode;
  };
  std::vector<std::string> written;
  for (const File& f : {File{"privkey", key_pem.view(), 0600}, File{"cert", cert, 0644}, File{"chain", chain, 0644},
                        File{"fullchain", std::string_view(fullchain_pem), 0644}}) {
    const std::string path = archive + "/" + f.base + v + ".pem";
    if (auto r = write_file_atomic(path, f.data, f.mode); !r) {
      for (const auto& p : written) ::unlink(p.c_str());  // no key without its certificate
      return fail(r.error());
    }
    written.push_back(path);
  }
  for (const char* base : version_bases) {
    std::string target = "../../archive/" + name + "/" + base + v + ".pem";
    if (auto r = replace_symlink(target, live + "/" + base + ".pem"); !r) return fail(r.error());
  }
  if (auto r = fsync_dir(live); !r) return fail(r.error());
  return version;
}

namespace {
/// The version number in "../../archive/NAME/cert12.pem" (12), or -1.
int link_version(const std::string& link, const char* base) {
  std::error_code ec;
  std::string t = fs::read_symlink(link, ec).filename().string();
  std::string prefix = base;
  if (ec || t.rfind(prefix, 0) != 0 || t.size() <= prefix.size() + 4) return -1;
  return std::atoi(t.substr(prefix.size(), t.size() - prefix.size() - 4).c_str());
}

/// The versions the four links in `live` point at (-1 for a missing or foreign link).
std::set<int> linked_versions(const std::string& live) {
  std::set<int> versions;
  for (const char* b : version_bases) versions.insert(link_version(live + "/" + b + ".pem", b));
  return versions;
}

/// Removes the temp files of interrupted certificate writes in `dir`; returns their names.
Result<std::vector<std::string>> remove_certificate_temps(const std::string& dir) {
  std::vector<std::string> removed;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return removed;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string file = it->path().filename().string();
    if (!is_certificate_temp(file)) continue;
    if (::unlink(it->path().c_str()) != 0 && errno != ENOENT)
      return fail(Errc::io, "cannot remove " + it->path().string() + ": " + errno_text());
    removed.push_back(file);
  }
  if (ec) return fail(Errc::io, "cannot list " + dir + ": " + ec.message());
  return removed;
}
}  // namespace

Result<void> FileStateStore::repair_live(const std::string& name) const {
  // live/ is switched with four renames. A process killed between them leaves links to
  // two versions (e.g. a new key with the old certificate). Every version in archive/
  // is complete before any link moves, so pointing all four at the newest complete
  // version finishes the interrupted switch.
  const std::string live = live_dir(name);
  const std::string archive = root_ + "/archive/" + name;
  std::set<int> versions = linked_versions(live);
  if (versions.size() == 1) return {};  // consistent, or nothing stored yet
  int newest = *versions.rbegin();
  auto complete = [&](int v) {
    for (const char* b : version_bases)
      if (!fs::exists(archive + "/" + b + std::to_string(v) + ".pem")) return false;
    return true;
  };
  while (newest > 0 && !complete(newest)) --newest;
  if (newest <= 0) return fail(Errc::io, "live/" + name + " is inconsistent and no complete version is in archive/");
  for (const char* b : version_bases) {
    std::string target = "../../archive/" + name + "/" + b + std::to_string(newest) + ".pem";
    if (auto r = replace_symlink(target, live + "/" + b + ".pem"); !r) return r;
  }
  spdlog::warn("live/{} pointed at different versions (an interrupted switch); all links now use version {}", name,
               newest);
  return fsync_dir(live);
}

Result<std::optional<StoredCertificate>> FileStateStore::load_certificate(const std::string& name) const {
  if (auto r = repair_live(name); !r) return fail(r.error());
  auto pem = read_file(live_dir(name) + "/fullchain.pem");
  if (!pem) {
    if (pem.error().code == Errc::not_found) return std::optional<StoredCertificate>{};
    return fail(pem.error());
  }
  std::error_code ec;
  auto target = fs::read_symlink(live_dir(name) + "/fullchain.pem", ec).filename().string();
  int version = 0;
  if (!ec && target.size() > 13) version = std::atoi(target.substr(9, target.size() - 13).c_str());
  return std::optional<StoredCertificate>(StoredCertificate{version, std::move(*pem), live_dir(name)});
}

Result<std::string> FileStateStore::certificate_identity(const std::string& name) const {
  if (auto r = repair_live(name); !r) return fail(r.error());
  const std::string path = live_dir(name) + "/fullchain.pem";
  struct stat sb {};
  if (::stat(path.c_str(), &sb) != 0) {
    if (errno == ENOENT) return std::string();
    return fail(Errc::io, "cannot stat " + path + ": " + errno_text());
  }
  return std::to_string(sb.st_dev) + ":" + std::to_string(sb.st_ino) + ":" + std::to_string(sb.st_size) + ":" +
         std::to_string(sb.st_mtim.tv_sec) + "." + std::to_string(sb.st_mtim.tv_nsec);
}

Result<Secret> FileStateStore::load_certificate_key(const std::string& name) const {
  auto pem = read_file(live_dir(name) + "/privkey.pem", 64 * 1024);
  if (!pem) return fail(pem.error());
  return Secret(std::move(*pem));
}

FileLock& FileLock::operator=(FileLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

namespace {

Result<LockHandle> take_lock(const std::string& dir, const std::string& file, bool wait, const std::string& what) {
  if (auto r = ensure_dir(dir, 0700); !r) return fail(r.error());
  std::string path = dir + "/" + file;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Errc::io, "cannot open lock " + path + ": " + errno_text());
  if (::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
    int e = errno;
    ::close(fd);
    if (e == EWOULDBLOCK) return fail(Errc::timeout, "another acmed process is working on " + what);
    return fail(Errc::io, "cannot lock " + path + ": " + std::strerror(e));
  }
  return LockHandle(std::make_unique<FileLock>(fd));
}


}  // namespace

Result<LockHandle> FileStateStore::lock_certificate(const std::string& name, bool wait) const {
  auto lock = take_lock(root_ + "/locks", name + ".lock", wait, "certificate '" + name + "'");
  if (!lock) return lock;
  // The lock is the only time no other acmed writes archive/NAME: what a killed run
  // left there goes now, not at the next save, which may be months away.
  if (auto r = cleanup_incomplete(name); !r)
    spdlog::warn("'{}': cannot remove what an interrupted run left: {}", name, r.error().describe());
  return lock;
}

Result<void> FileStateStore::cleanup_incomplete(const std::string& name) const {
  const std::string archive = root_ + "/archive/" + name;
  const std::string live = live_dir(name);
  for (const std::string& dir : {archive, live}) {
    auto removed = remove_certificate_temps(dir);
    if (!removed) return fail(removed.error());
    for (const auto& f : *removed) spdlog::warn("'{}': removed {} left by an interrupted write in {}", name, f, dir);
  }
  // The renewal state is written atomically too (".NAME.tmp-N", then rename): a kill in
  // between leaves the temp file, never a half-written state.
  const std::string renewal = root_ + "/renewal";
  auto temps = take_renewal_temps(name);
  if (!temps) return fail(temps.error());
  for (const std::string& file : *temps) {
    const std::string path = renewal + "/" + file;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail(Errc::io, "cannot remove " + path + ": " + errno_text());
    spdlog::warn("'{}': removed {} left by an interrupted write in {}", name, file, renewal);
  }
  auto versions = archive_versions(archive);
  if (!versions) return fail(versions.error());
  const std::set<int> in_use = linked_versions(live);
  const int newest_in_use = *in_use.rbegin();
  bool removed_any = false;
  for (const auto& [version, bases] : *versions) {
    if (bases.size() == std::size(version_bases) || in_use.count(version)) continue;
    // A write is killed with its key on disk (the key is written first). An older
    // version without a key is an operator pruning old keys: its certificate stays.
    if (!bases.count(0) && version < newest_in_use) continue;
    // The key goes last, so an interrupted cleanup still leaves a version it recognises.
    std::string gone;
    for (std::size_t b = std::size(version_bases); b-- > 0;) {
      if (!bases.count(b)) continue;
      const std::string file = std::string(version_bases[b]) + std::to_string(version) + ".pem";
      if (::unlink((archive + "/" + file).c_str()) != 0 && errno != ENOENT)
        return fail(Errc::io, "cannot remove " + archive + "/" + file + ": " + errno_text());
      gone += (gone.empty() ? "" : ", ") + file;
    }
    removed_any = true;
    spdlog::warn("'{}': removed incomplete version {} left by an interrupted run ({})", name, version, gone);
  }
  if (removed_any) return fsync_dir(archive);
  return {};
}

Result<std::vector<std::string>> FileStateStore::take_renewal_temps(const std::string& name) const {
  std::lock_guard g(temps_mu_);
  if (!temps_) {
    const std::string renewal = root_ + "/renewal";
    std::map<std::string, std::vector<std::string>> found;
    std::error_code ec;
    if (fs::exists(renewal, ec)) {
      for (fs::directory_iterator it(renewal, ec), end; !ec && it != end; it.increment(ec)) {
        // ".NAME.tmp-DIGITS": write_file_atomic's temp name for renewal/NAME.
        std::string file = it->path().filename().string();
        const auto at = file.rfind(".tmp-");
        if (!file.starts_with('.') || at == std::string::npos || at < 2 || at + 5 == file.size() ||
            !std::all_of(file.begin() + static_cast<std::ptrdiff_t>(at + 5), file.end(),
                         [](unsigned char c) { return std::isdigit(c); }))
          continue;
        found[file.substr(1, at - 1)].push_back(std::move(file));
      }
    }
    if (ec) return fail(Errc::io, "cannot list " + renewal + ": " + ec.message());
    temps_ = std::move(found);
  }
  auto it = temps_->find(name);
  if (it == temps_->end()) return std::vector<std::string>{};
  auto out = std::move(it->second);
  temps_->erase(it);
  return out;
}

Result<LockHandle> FileStateStore::lock_accounts() const { return take_lock(root_ + "/locks", "accounts.lock", true, "accounts"); }

Result<RenewalState> FileStateStore::load_renewal_state(const std::string& name) const {
  auto data = read_file(root_ + "/renewal/" + name, 64 * 1024);
  if (!data) {
    if (data.error().code == Errc::not_found) return RenewalState{};
    return fail(data.error());
  }
  return decode_renewal_state(*data);
}

Result<void> FileStateStore::save_renewal_state(const std::string& name, const RenewalState& st) const {
  if (auto r = ensure_dir(root_ + "/renewal", 0700); !r) return r;
  return write_file_atomic(root_ + "/renewal/" + name, encode_renewal_state(st), 0600);
}

namespace {

/// A file descriptor that closes itself.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

/// Directory `name` inside the directory `at`, never through a link.
Result<Fd> open_dir_at(int at, const std::string& name, const std::string& shown) {
  int fd = ::openat(at, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    if (e == ENOENT) return fail(Errc::not_found, shown + " does not exist");
    if (e == ELOOP || e == ENOTDIR) return fail(Errc::io, shown + " is not a directory (a link is not followed)");
    return fail(Errc::io, "cannot open " + shown + ": " + std::strerror(e));
  }
  return Fd(fd);
}

/// A certificate name as certs.d allows it, and nothing a path could hide in.
bool plain_name(std::string_view n) {
  if (n.empty() || n.size() > 128 || n.front() == '.') return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

constexpr std::size_t max_queue_entries = 10000;
constexpr std::size_t max_pem_file = 1 << 20;

}  // namespace

Result<void> FileStateStore::queue_deploy(const std::string& name) const {
  const std::string dir = root_ + "/deploy-queue";
  if (auto r = ensure_dir(dir, 0700); !r) return r;
  return write_file_atomic(dir + "/" + name, "", 0600);
}

Result<StateStore::TakenQueue> FileStateStore::take_deploy_queue() const {
  TakenQueue out;
  auto root = open_dir_at(AT_FDCWD, root_, root_);
  if (!root) return fail(root.error());
  auto queue = open_dir_at(root->get(), "deploy-queue", root_ + "/deploy-queue");
  if (!queue) {
    if (queue.error().code == Errc::not_found) return out;
    return fail(queue.error());
  }
  std::vector<std::string> entries;
  {
    int listing = ::dup(queue->get());
    DIR* d = listing >= 0 ? ::fdopendir(listing) : nullptr;
    if (!d) {
      if (listing >= 0) ::close(listing);
      return fail(Errc::io, "cannot list " + root_ + "/deploy-queue: " + errno_text());
    }
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      entries.push_back(std::move(n));
      if (entries.size() == max_queue_entries) break;
    }
    ::closedir(d);
  }
  std::sort(entries.begin(), entries.end());
  for (const auto& n : entries) {
    struct stat st {};
    std::string why;
    if (::fstatat(queue->get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) why = errno_text();
    else if (!S_ISREG(st.st_mode)) why = "not a plain file";
    else if (!plain_name(n)) why = "not a certificate name";
    // unlinkat removes the entry itself, never what a link points at.
    if (::unlinkat(queue->get(), n.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT)
      why += std::string(why.empty() ? "" : "; ") + "cannot remove it: " + errno_text();
    if (why.empty()) out.names.push_back(n);
    else out.rejected.push_back("'" + escape_untrusted(n, 200) + "': " + why);
  }
  return out;
}

Result<StoredCertificate> FileStateStore::snapshot_certificate(const std::string& name, const std::string& dir) const {
  // What the store writes: live/NAME/BASE.pem -> ../../archive/NAME/BASE<N>.pem, all four
  // at one version. Everything is opened relative to directory descriptors without
  // following links, so nothing swapped in after a check can redirect a read.
  if (!plain_name(name)) return fail(Errc::invalid_argument, "'" + escape_untrusted(name, 200) + "' is not a certificate name");
  auto root = open_dir_at(AT_FDCWD, root_, root_);
  if (!root) return fail(root.error());
  auto live_parent = open_dir_at(root->get(), "live", root_ + "/live");
  if (!live_parent) return fail(live_parent.error());
  auto live = open_dir_at(live_parent->get(), name, live_dir(name));
  if (!live) return fail(live.error());
  int version = -1;
  for (const char* b : version_bases) {
    char buf[512];
    const std::string link = std::string(b) + ".pem";
    ssize_t n = ::readlinkat(live->get(), link.c_str(), buf, sizeof buf - 1);
    if (n < 0) return fail(Errc::io, live_dir(name) + "/" + link + " is not a link the store wrote: " + errno_text());
    const std::string target(buf, static_cast<std::size_t>(n));
    const std::string prefix = "../../archive/" + name + "/" + b;
    int v = -1;
    if (target.rfind(prefix, 0) == 0 && target.size() > prefix.size() + 4 &&
        target.compare(target.size() - 4, 4, ".pem") == 0) {
      const std::string digits = target.substr(prefix.size(), target.size() - prefix.size() - 4);
      if (!digits.empty() && digits.size() < 9 && std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        v = std::stoi(digits);
    }
    if (v < 1 || (version != -1 && v != version))
      return fail(Errc::io, live_dir(name) + "/" + link + " -> '" + escape_untrusted(target, 200) +
                                "' is not the store's link into archive/" + name);
    version = v;
  }
  auto archive_parent = open_dir_at(root->get(), "archive", root_ + "/archive");
  if (!archive_parent) return fail(archive_parent.error());
  auto archive = open_dir_at(archive_parent->get(), name, root_ + "/archive/" + name);
  if (!archive) return fail(archive.error());
  StoredCertificate out;
  out.version = version;
  out.live_dir = dir;
  for (const char* b : version_bases) {
    const std::string file = std::string(b) + std::to_string(version) + ".pem";
    const std::string shown = root_ + "/archive/" + name + "/" + file;
    Fd fd(::openat(archive->get(), file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (fd.get() < 0) return fail(Errc::io, "cannot open " + shown + " (a link is not followed): " + errno_text());
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return fail(Errc::io, shown + " is not a regular file");
    if (static_cast<std::size_t>(st.st_size) > max_pem_file) return fail(Errc::io, shown + " is larger than 1 MiB");
    std::string data(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::read(fd.get(), data.data() + off, data.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    data.resize(off);
    if (auto r = write_file_atomic(dir + "/" + b + ".pem", data, 0600); !r) return fail(r.error());
    if (std::string_view(b) == "fullchain") out.fullchain_pem = std::move(data);
  }
  return out;
}

}  // namespace acmed::storage
