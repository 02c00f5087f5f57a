// SPDX-License-Identifier: Apache-2.0
// TempDir: a fresh directory under /tmp for one test, removed with everything in it.
// ScopedUmask: sets the process umask and restores the previous one.
//
//   TempDir dir;
//   write_file_atomic(dir.path() + "/key.pem", pem, 0600);
#pragma once

#include <string>
#include <sys/types.h>

namespace acmed::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask);
  ~ScopedUmask();
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t previous_;
};

/// Permission bits (07777) of `path`, not following a final symlink; -1 when it does not exist.
int file_mode(const std::string& path);

}  // namespace acmed::test
