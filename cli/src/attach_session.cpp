#include "attach_session.h"

#include <glob.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <thread>
#include <vector>

#include "heapdiff/error.h"

namespace heapdiff::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::string current_directory() {
    char buf[PATH_MAX];
    if (!::getcwd(buf, sizeof buf)) throw Error("cannot tell the current directory");
    return buf;
}

std::string parent_of(const std::string& path) {
    std::size_t slash = path.find_last_of('/');
    return slash == 0 ? "/" : path.substr(0, slash);
}

// heapdiff's package beside this command (pip installs both into one prefix), for a
// target that cannot import heapdiff from its own environment. The agent uses the one
// whose extension matches the target's ABI tag.
std::vector<std::string> packages_beside_this_command() {
    char exe[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return {};
    std::string prefix = parent_of(parent_of(std::string(exe, std::size_t(n))));
    std::vector<std::string> found;
    for (const char* pattern : {"/lib/python3*/site-packages/heapdiff", "/lib/python3*/dist-packages/heapdiff",
                                "/local/lib/python3*/dist-packages/heapdiff", "/lib/python3/dist-packages/heapdiff"}) {
        glob_t g{};
        if (::glob((prefix + pattern).c_str(), GLOB_ONLYDIR, nullptr, &g) == 0)
            for (std::size_t i = 0; i < g.gl_pathc; ++i) found.push_back(g.gl_pathv[i]);
        ::globfree(&g);
    }
    return found;
}

std::string default_output(pid_t pid) {
    std::time_t now = std::time(nullptr);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
    return "heapdiff-" + std::to_string(pid) + "-" + stamp + "-attach.hds";
}

bool same_file(const std::string& a, const std::string& b) {
    struct stat x {}, y {};
    return ::stat(a.c_str(), &x) == 0 && ::stat(b.c_str(), &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

// The snapshot's place, checked before the target is asked anything: its directory
// exists (as the target sees it) and the name is free or a regular file.
void check_output(const TargetProcess& target, const std::string& path) {
    struct stat st {};
    const std::string dir = parent_of(path);
    if (::stat(target.in_target_view(dir).c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw Error("no directory " + dir + " to write the snapshot in");
    if (::stat(target.in_target_view(path).c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        throw Error(path + " exists and is not a regular file; a snapshot only replaces a regular file");
}

std::string who(const TargetProcess& t) { return "process " + std::to_string(t.pid) + " (" + t.command + ")"; }

}  // namespace

AttachOutcome attach_to_process(const AttachOptions& o) {
    if (!(o.timeout_seconds > 0) || !std::isfinite(o.timeout_seconds))
        throw Error("--timeout must be a positive number of seconds");
    AttachOutcome out;
    out.target = inspect_target(o.pid);
    const TargetProcess& target = out.target;
    if (target.python.at_least(3, 14)) check_remote_debug_enabled(target);
    out.same_root = same_file(target.root, "/");

    const std::string cwd = current_directory();
    Fields request;
    request["cwd"] = cwd;
    if (!o.install.empty()) {
        request["action"] = "install";
        request["spec"] = o.install;
    } else {
        std::string path = o.output.empty() ? default_output(o.pid) : o.output;
        if (path[0] != '/') path = cwd + "/" + path;
        check_output(target, path);
        request["action"] = "dump";
        request["output"] = path;
        request["label"] = o.label;
        request["tracebacks"] = o.tracebacks ? "1" : "0";
    }
    std::string packages;
    for (const std::string& p : packages_beside_this_command()) packages += (packages.empty() ? "" : std::string(1, '\0')) + p;
    request["packages"] = packages;

    RequestDirectory dir(target, request);
    const auto limit = std::chrono::milliseconds(static_cast<long long>(o.timeout_seconds * 1000));
    // Queuing has its own bound: gdb may take seconds to read a big process's symbols on a
    // busy machine, which says nothing about whether the target's main thread is free.
    const auto queue_limit = std::max(limit, std::chrono::milliseconds(60000));
    out.queued = target.python.at_least(3, 14) ? queue_with_remote_exec(target, dir.stub_in_target(), queue_limit)
                                               : queue_with_gdb(target, dir.stub_code(), queue_limit);
    const auto queued_at = Clock::now();
    const auto deadline = queued_at + limit;
    bool started = false;
    for (;;) {
        std::optional<AgentStatus> s = dir.status();
        if (s && (s->state == "done" || s->state == "error")) {
            out.status = *s;
            break;
        }
        if (s && !started) {
            started = true;
            out.wait_seconds = std::chrono::duration<double>(Clock::now() - queued_at).count();
        }
        if (!process_alive(target.pid)) {
            // It may have answered just before exiting.
            std::optional<AgentStatus> last = dir.status();
            if (last && (last->state == "done" || last->state == "error")) {
                out.status = *last;
                break;
            }
            throw Error(who(target) + " exited " + (started ? "while writing the snapshot" : "before reaching a safe point") +
                        "; nothing was written");
        }
        if (!started && Clock::now() >= deadline) {
            if (dir.withdraw()) {
                dir.keep();  // the queued stub may still run: it finds no request and cleans up
                throw Error(who(target) + " did not reach a point where Python code can run within " +
                            std::to_string(int(std::ceil(o.timeout_seconds))) +
                            " s (busy in C code, blocked in a call, or its main thread is waiting); the request was "
                            "withdrawn and the process left as it was");
            }
            started = true;  // the agent claimed it just now: wait for its answer
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (out.status.state == "error") throw Error(out.status.message);
    out.path_here = out.same_root ? out.status.path : target.in_target_view(out.status.path);
    return out;
}

}  // namespace heapdiff::cli
