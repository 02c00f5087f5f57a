// SPDX-License-Identifier: Apache-2.0
// File: acmed/core/files.hpp
//
// Crash-safe file primitives shared by storage and solvers (journals).
//
//   if (auto r = write_file_atomic(path, pem.view(), 0600); !r) return r;
#pragma once

#include <string>
#include <string_view>

#include "acmed/core/result.hpp"

namespace acmed {

/// Writes `data` to `path` atomically (temp file in the same directory, fsync,
/// rename, fsync of the directory) with permission bits `mode` set at creation.
[[nodiscard]] Result<void> write_file_atomic(const std::string& path, std::string_view data, unsigned mode);
/// Reads a whole regular file, refusing files larger than `max_size`; Errc::not_found when absent.
/// write_file_atomic for a configuration file written by an acmed command (certs.d/NAME.yaml,
/// a credential): when root writes it, it takes the group of its directory, so a renewal
/// running as another user (root:acmed in the documented layout) can read it. A failed
/// chown is returned as a warning text, not an error.
[[nodiscard]] Result<std::string> write_config_file(const std::string& path, std::string_view data, unsigned mode);
[[nodiscard]] Result<std::string> read_file(const std::string& path, std::size_t max_size = 16 * 1024 * 1024);
/// read_file for files in a tree acmed does not own (another client's, when importing):
/// the last component is never followed as a symlink, and a FIFO or device fails at once.
[[nodiscard]] Result<std::string> read_file_nofollow(const std::string& path, std::size_t max_size);
/// Creates `path` and missing parents with `mode`.
[[nodiscard]] Result<void> ensure_dir(const std::string& path, unsigned mode = 0700);
/// fsync()s a directory so that renames in it are durable.
[[nodiscard]] Result<void> fsync_dir(const std::string& dir);
/// A random decimal string for temporary file names.
std::string random_suffix();

}  // namespace acmed
