// SPDX-License-Identifier: Apache-2.0
#include "acmed/core/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

namespace acmed {
namespace {

namespace fs = std::filesystem;

std::string errno_text() { return std::strerror(errno); }

}  // namespace

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(rng());
}

Result<void> fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(Errc::io, "cannot open directory " + dir + ": " + errno_text());
  ::fsync(fd);
  ::close(fd);
  return {};
}

Result<void> ensure_dir(const std::string& path, unsigned mode) {
  std::error_code ec;
  fs::path p(path);
  fs::path acc;
  for (const auto& part : p) {
    acc /= part;
    if (fs::exists(acc, ec)) continue;
    if (::mkdir(acc.c_str(), mode) != 0 && errno != EEXIST)
      return fail(Errc::io, "cannot create directory " + acc.string() + ": " + errno_text());
  }
  if (!fs::is_directory(p, ec)) return fail(Errc::io, path + " exists and is not a directory");
  return {};
}

Result<void> write_file_atomic(const std::string& path, std::string_view data, unsigned mode) {
  fs::path p(path);
  std::string dir = p.parent_path().empty() ? "." : p.parent_path().string();
  std::string tmp = dir + "/." + p.filename().string() + ".tmp-" + random_suffix();
  // The mode is set at creation, so a key is never readable by others, not even briefly.
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return fail(Errc::io, "cannot create " + tmp + ": " + errno_text());
  ::fchmod(fd, mode);  // umask may have removed bits we asked for
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string e = errno_text();
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail(Errc::io, "cannot write " + tmp + ": " + e);
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::string e = errno_text();
    ::unlink(tmp.c_str());
    return fail(Errc::io, "cannot flush " + tmp + ": " + e);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string e = errno_text();
    ::unlink(tmp.c_str());
    return fail(Errc::io, "cannot rename " + tmp + " to " + path + ": " + e);
  }
  return fsync_dir(dir);
}

Result<std::string> write_config_file(const std::string& path, std::string_view data, unsigned mode) {
  if (auto r = write_file_atomic(path, data, mode); !r) return fail(r.error());
  const std::string dir = fs::path(path).parent_path().empty() ? "." : fs::path(path).parent_path().string();
  struct stat dir_st {};
  if (::geteuid() == 0 && ::stat(dir.c_str(), &dir_st) == 0 &&
      ::chown(path.c_str(), static_cast<uid_t>(-1), dir_st.st_gid) != 0)
    return "cannot give " + path + " the group of its directory: " + errno_text();
  return std::string();
}

namespace {

Result<std::string> read_file_with(const std::string& path, std::size_t max_size, int flags) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
  if (fd < 0 && errno == ELOOP && (flags & O_NOFOLLOW))
    return fail(Errc::io, path + " is a symbolic link (not followed)");
  if (fd < 0) return fail(errno == ENOENT ? Errc::not_found : Errc::io, "cannot open " + path + ": " + errno_text());
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(Errc::io, path + " is not a regular file");
  }
  if (static_cast<std::size_t>(st.st_size) > max_size) {
    ::close(fd);
    return fail(Errc::io, path + " is larger than " + std::to_string(max_size) + " bytes");
  }
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t off = 0;
  while (off < out.size()) {
    ssize_t n = ::read(fd, out.data() + off, out.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(off);
  return out;
}

}  // namespace

Result<std::string> read_file(const std::string& path, std::size_t max_size) {
  return read_file_with(path, max_size, 0);
}

Result<std::string> read_file_nofollow(const std::string& path, std::size_t max_size) {
  // O_NONBLOCK: a FIFO put in place of a file fails the regular-file check instead of
  // blocking the open until a writer comes.
  return read_file_with(path, max_size, O_NOFOLLOW | O_NONBLOCK);
}

}  // namespace acmed
