#include "attach/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace heapdiff::cli {

std::string find_in_path(const std::string& name) {
    if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        std::size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        std::string dir = dirs.substr(start, end - start);
        std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return "";
}

ChildResult run_child(const std::vector<std::string>& argv, std::chrono::milliseconds limit, int interrupt) {
    using Clock = std::chrono::steady_clock;
    ChildResult r;
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        r.errno_text = std::strerror(errno);
        return r;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const auto t0 = Clock::now();
    pid_t child = -1;
    int rc = ::posix_spawnp(&child, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    if (rc != 0) {
        ::close(pipe_fds[0]);
        r.errno_text = std::strerror(rc);
        return r;
    }
    r.started = true;
    const auto deadline = t0 + limit;
    auto kill_at = Clock::time_point::max();
    bool open = true;
    while (open) {
        auto now = Clock::now();
        if (!r.timed_out && now >= deadline) {
            // gdb unwinds an interrupted call (unwindonsignal) and detaches cleanly on SIGINT;
            // SIGKILL only if it does not end by itself.
            r.timed_out = true;
            ::kill(child, interrupt);
            kill_at = now + std::chrono::seconds(5);
        }
        if (now >= kill_at) {
            ::kill(child, SIGKILL);
            kill_at = Clock::time_point::max();
        }
        auto next = r.timed_out ? kill_at : deadline;
        auto wait_ms = next == Clock::time_point::max()
                           ? 1000
                           : std::max<long long>(1, std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count());
        pollfd p{pipe_fds[0], POLLIN, 0};
        int ready = ::poll(&p, 1, int(std::min<long long>(wait_ms, 1000)));
        if (ready < 0 && errno != EINTR) break;
        if (ready > 0) {
            char buf[4096];
            ssize_t n = ::read(pipe_fds[0], buf, sizeof buf);
            if (n > 0 && r.output.size() < (1u << 20)) r.output.append(buf, std::size_t(n));
            if (n == 0) open = false;
        }
    }
    ::close(pipe_fds[0]);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

}  // namespace heapdiff::cli
