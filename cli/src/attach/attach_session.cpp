#include "attach/attach_session.h"

#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <optional>
#include <thread>
#include <vector>

#include "heapdiff/error.h"
#include "heapdiff/safe_files.h"

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

std::string base_name(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

// The snapshot's directory, as the target sees it, held open from before the target is
// asked anything until its answer is checked: the name the target reports is looked up in
// this directory, whatever is renamed meanwhile. The name must be free or a regular file.
safe_files::Directory open_output_directory(const TargetProcess& target, const std::string& path) {
    const std::string dir = parent_of(path);
    std::optional<safe_files::Directory> held;
    try {
        held.emplace(safe_files::Directory::open(target.in_target_view(dir), safe_files::Follow::Yes));
    } catch (const Error&) {
        throw Error("no directory " + dir + " to write the snapshot in");
    }
    struct stat st {};
    if (::fstatat(held->fd(), base_name(path).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
        throw Error(path + " exists and is not a regular file (" + (S_ISLNK(st.st_mode) ? "a symbolic link" : "not a file") +
                    "); a snapshot only replaces a regular file");
    return std::move(*held);
}

std::string who(const TargetProcess& t) { return "process " + std::to_string(t.pid) + " (" + t.command + ")"; }

std::string seconds_text(double seconds) { return std::to_string(int(std::ceil(seconds))) + " s"; }

// What the target was doing when --timeout expired after it claimed the request.
std::string claimed_timeout(const TargetProcess& t, const std::optional<AgentStatus>& s, const AttachOptions& o,
                            const std::string& output) {
    std::string state;
    if (process_stopped(t.pid))
        state = "claimed the request but is stopped (by a signal such as SIGSTOP, or a debugger), so its agent cannot "
                "go on; heapdiff did not stop it and does not continue it";
    else if (s && s->state == "walking")
        state = "claimed the request and was still walking its heap (a snapshot it finishes may yet appear at " +
                output + ")";
    else if (s && s->state == "installing")
        state = "claimed the request and was still installing the triggers";
    else
        state = "claimed the request but its agent is stuck before the heap walk (importing heapdiff)";
    return who(t) + " " + state + "; --timeout " + seconds_text(o.timeout_seconds) +
           " expired, heapdiff removed its request and left the process running";
}

// The snapshot the target says it wrote: the path we asked for, and there (in the
// directory held since before the request) a regular file, not a link, of the target's user.
long long checked_snapshot(const TargetProcess& t, const safe_files::Directory& dir, const std::string& asked,
                           const std::string& reported) {
    if (reported != asked)
        throw Error(who(t) + " reported a snapshot at " + reported + ", not at " + asked + " as asked; it was not used");
    struct stat st {};
    if (::fstatat(dir.fd(), base_name(asked).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        throw Error(who(t) + " reported a snapshot at " + asked + ", but there is none there");
    if (!S_ISREG(st.st_mode) || st.st_uid != t.uid)
        throw Error(who(t) + " reported a snapshot at " + asked + ", but what is there is " +
                    (S_ISLNK(st.st_mode) ? "a symbolic link" : !S_ISREG(st.st_mode) ? "not a regular file" : "another user's file") +
                    ", not a file the target wrote; it was not used");
    return static_cast<long long>(st.st_size);
}

}  // namespace

AttachOutcome attach_to_process(const AttachOptions& o) {
    if (!(o.timeout_seconds > 0) || !std::isfinite(o.timeout_seconds))
        throw Error("--timeout must be a positive number of seconds");
    AttachOutcome out;
    out.target = inspect_target(o.pid);
    const TargetProcess& target = out.target;
    if (process_stopped(target.pid))
        throw Error(who(target) + " is stopped (by a signal such as SIGSTOP, or a debugger), so it cannot reach a point "
                    "where Python code can run; continue it (kill -CONT " + std::to_string(target.pid) +
                    ") and attach again. Nothing was changed");
    if (target.python.at_least(3, 14)) check_remote_debug_enabled(target);
    out.same_root = same_file(target.root, "/");

    const std::string cwd = current_directory();
    Fields request;
    request["cwd"] = cwd;
    std::string output;
    std::optional<safe_files::Directory> output_dir;
    if (!o.install.empty()) {
        request["action"] = "install";
        request["spec"] = o.install;
    } else {
        output = o.output.empty() ? default_output(o.pid) : o.output;
        if (output[0] != '/') output = cwd + "/" + output;
        output_dir.emplace(open_output_directory(target, output));
        request["action"] = "dump";
        request["output"] = output;
        request["label"] = o.label;
        request["tracebacks"] = o.tracebacks ? "1" : "0";
        request["fork"] = o.fork ? "1" : "0";
    }
    std::string packages;
    for (const std::string& p : packages_beside_this_command()) packages += (packages.empty() ? "" : std::string(1, '\0')) + p;
    request["packages"] = packages;

    RequestDirectory dir(target, request);
    const bool remote_exec = target.python.at_least(3, 14);
    const auto limit = std::chrono::milliseconds(static_cast<long long>(o.timeout_seconds * 1000));
    // Queuing has its own bound: gdb may take seconds to read a big process's symbols on a
    // busy machine, which says nothing about whether the target's main thread is free.
    const auto queue_limit = std::max(limit, std::chrono::milliseconds(60000));
    out.queued = remote_exec ? queue_with_remote_exec(target, dir.stub_in_target(), queue_limit)
                             : queue_with_gdb(target, dir.stub_code(), queue_limit);
    const auto queued_at = Clock::now();
    // One deadline for everything after queuing: the safe point, the claim, the dump.
    const auto deadline = queued_at + limit;
    bool claimed = false;
    for (;;) {
        std::optional<AgentStatus> s = dir.status();
        if (s && (s->state == "done" || s->state == "error")) {
            out.status = *s;
            break;
        }
        if (!claimed && (s || dir.claimed())) {
            claimed = true;
            out.wait_seconds = std::chrono::duration<double>(Clock::now() - queued_at).count();
        }
        if (!process_alive(target.pid)) {
            // It may have answered just before exiting.
            std::optional<AgentStatus> last = dir.status();
            if (last && (last->state == "done" || last->state == "error")) {
                out.status = *last;
                break;
            }
            throw Error(who(target) + " exited " + (claimed ? "while writing the snapshot" : "before reaching a safe point") +
                        "; nothing was written");
        }
        if (Clock::now() >= deadline) {
            if (!claimed && dir.withdraw()) {
                if (remote_exec) dir.keep_stub();  // the queued sys.remote_exec still opens stub.py
                throw Error(who(target) + " did not reach a point where Python code can run within " +
                            seconds_text(o.timeout_seconds) +
                            " (busy in C code, blocked in a call, or its main thread is waiting); the request was "
                            "withdrawn and the process left as it was");
            }
            throw Error(claimed_timeout(target, s, o, output.empty() ? "its triggers' directory" : output));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (out.status.state == "error") throw Error(out.status.message);
    if (output_dir) out.snapshot_bytes = checked_snapshot(target, *output_dir, output, out.status.path);
    out.path_here = out.same_root ? out.status.path : target.in_target_view(out.status.path);
    return out;
}

}  // namespace heapdiff::cli
