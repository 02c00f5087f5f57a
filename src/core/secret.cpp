// SPDX-License-Identifier: Apache-2.0
#include "acmed/core/secret.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace acmed {

Secret::Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    wipe();
    value_ = std::move(other.value_);
    other.wipe();
  }
  return *this;
}

Secret::~Secret() { wipe(); }

void Secret::wipe() noexcept {
  if (!value_.empty()) OPENSSL_cleanse(value_.data(), value_.size());
  value_.clear();
}

Result<Secret> read_secret_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(Errc::config, "cannot read credentials file " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(Errc::config, path + " is not a regular file");
  }
  if (st.st_mode & 0077) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return fail(Errc::config, path + " is readable by group or others (mode " + mode +
                                  "); credentials must be private: chmod 600 " + path);
  }
  if (st.st_size > 64 * 1024) {
    ::close(fd);
    return fail(Errc::config, path + " is too large for a credentials file");
  }
  std::string data(static_cast<std::size_t>(st.st_size), '\0');
  ssize_t n = ::read(fd, data.data(), data.size());
  ::close(fd);
  if (n < 0) return fail(Errc::config, "cannot read " + path + ": " + std::strerror(errno));
  data.resize(static_cast<std::size_t>(n));
  while (!data.empty() && (data.back() == '\n' || data.back() == '\r' || data.back() == ' ')) {
    data.back() = '\0';
    data.pop_back();
  }
  return Secret(std::move(data));
}

}  // namespace acmed
