// SPDX-License-Identifier: Apache-2.0
#include "acmed/solvers/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace acmed::solver {
namespace {

struct Pipe {
  int fd[2] = {-1, -1};
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
};

}  // namespace

Result<ProcessResult> run_process(const std::vector<std::string>& argv,
                                  const std::map<std::string, std::string>& extra_env, const std::string& stdin_data,
                                  std::chrono::milliseconds timeout) {
  if (argv.empty() || argv[0].empty()) return fail(Errc::config, "no program to run");
  if (argv[0][0] != '/') return fail(Errc::config, "program '" + argv[0] + "' must be an absolute path");
  if (::access(argv[0].c_str(), X_OK) != 0)
    return fail(Errc::config, "program '" + argv[0] + "' is not executable: " + std::strerror(errno));

  Pipe in, out, err;
  if (::pipe2(in.fd, O_CLOEXEC) != 0 || ::pipe2(out.fd, O_CLOEXEC) != 0 || ::pipe2(err.fd, O_CLOEXEC) != 0)
    return fail(Errc::io, std::string("pipe: ") + std::strerror(errno));

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in.fd[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err.fd[1], 2);
  // Nothing of ours leaks into the program: Asio's sockets (a CA connection, another
  // worker's port-80 listener) are not close-on-exec.
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  // Default signal handling (acmed ignores SIGPIPE) and its own process group, so a
  // timeout can kill whatever the program started too.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults, empty;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);

  std::vector<std::string> env_store;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    if (!extra_env.count(kv.substr(0, kv.find('=')))) env_store.push_back(kv);
  }
  for (const auto& [k, v] : extra_env) env_store.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);

  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0].c_str(), &fa, &attr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return fail(Errc::io, "cannot start " + argv[0] + ": " + std::strerror(rc));
  in.close_end(0);
  out.close_end(1);
  err.close_end(1);
  // Non-blocking stdin, so one large write can never stall past the deadline.
  ::fcntl(in.fd[1], F_SETFL, ::fcntl(in.fd[1], F_GETFL) | O_NONBLOCK);
  ::fcntl(out.fd[0], F_SETFL, ::fcntl(out.fd[0], F_GETFL) | O_NONBLOCK);
  ::fcntl(err.fd[0], F_SETFL, ::fcntl(err.fd[0], F_GETFL) | O_NONBLOCK);

  // Feed stdin and drain stdout/stderr together so neither side blocks.
  ProcessResult result;
  std::size_t written = 0;
  if (stdin_data.empty()) in.close_end(1);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  bool exited = false;
  int status = 0;
  while ((out.fd[0] >= 0 || err.fd[0] >= 0) && !exited) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[3];
    int n = 0;
    int idx_in = -1, idx_out = -1, idx_err = -1;
    if (in.fd[1] >= 0) fds[idx_in = n++] = {in.fd[1], POLLOUT, 0};
    if (out.fd[0] >= 0) fds[idx_out = n++] = {out.fd[0], POLLIN, 0};
    if (err.fd[0] >= 0) fds[idx_err = n++] = {err.fd[0], POLLIN, 0};
    int pr = ::poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (pr < 0 && errno != EINTR) break;
    if (idx_in >= 0 && (fds[idx_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
      // A program that exits without reading stdin must not kill us with SIGPIPE:
      // block it for this write and discard it if it was raised (EPIPE remains).
      sigset_t pipe_set, old_set;
      sigemptyset(&pipe_set);
      sigaddset(&pipe_set, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
      ssize_t w = ::write(in.fd[1], stdin_data.data() + written, stdin_data.size() - written);
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE)) {
        timespec zero{0, 0};
        sigtimedwait(&pipe_set, nullptr, &zero);
      }
      pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
      if (w < 0 && errno == EAGAIN) w = 0;
      if (w > 0) written += static_cast<std::size_t>(w);
      if (w < 0 || written == stdin_data.size()) in.close_end(1);
    }
    auto drain = [](Pipe& p, int idx, pollfd* f, std::string& into, std::size_t cap) {
      if (idx < 0 || !(f[idx].revents & (POLLIN | POLLHUP | POLLERR))) return;
      char buf[4096];
      ssize_t r = ::read(p.fd[0], buf, sizeof buf);
      if (r < 0 && errno == EAGAIN) return;
      if (r <= 0) {
        p.close_end(0);
        return;
      }
      if (into.size() < cap) into.append(buf, std::min<std::size_t>(static_cast<std::size_t>(r), cap - into.size()));
    };
    drain(out, idx_out, fds, result.out, 1024 * 1024);
    drain(err, idx_err, fds, result.err, 64 * 1024);
    // The program itself is what we wait for; a daemon it started may hold the pipes.
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      auto rest = [](Pipe& p, std::string& into, std::size_t cap) {
        char buf[4096];
        ssize_t r;
        while (p.fd[0] >= 0 && (r = ::read(p.fd[0], buf, sizeof buf)) > 0)
          if (into.size() < cap) into.append(buf, std::min<std::size_t>(static_cast<std::size_t>(r), cap - into.size()));
      };
      rest(out, result.out, 1024 * 1024);
      rest(err, result.err, 64 * 1024);
    }
  }
  if (timed_out) {
    ::kill(-pid, SIGKILL);  // the whole process group
    ::waitpid(pid, &status, 0);
    return fail(Errc::timeout, argv[0] + " did not finish within " + std::to_string(timeout.count() / 1000) +
                                   " s and was killed");
  }
  // Output closed; give the process the rest of the deadline to exit.
  while (!exited) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return fail(Errc::timeout, argv[0] + " did not exit in time and was killed");
    }
    ::usleep(10 * 1000);
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace acmed::solver
