#include "fork_dump.h"

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "py_compat.h"

#include "fork_locks.h"
#include "heapdiff/error.h"
#include "heapdiff/process_memory.h"
#include "heapdiff/safe_files.h"
#include "heapdiff/writer.h"
#include "python_refs.h"

namespace heapdiff::output_file {
// core/src/output_file.h (not installed with the analyzer): what the next snapshot writer
// in a directory does with a dead writer's temporary file, done as soon as it is dead.
int remove_stale_temps(const safe_files::Directory& dir);
}  // namespace heapdiff::output_file

namespace heapdiff::probe {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A child's entry: written by its reaper thread, read by the binding. The child process
// never touches it (its mutex may be held by a reaper at fork time).
struct Child {
    bool finished = false;
    ForkOutcome outcome;
    std::vector<PyObject*> held;  // references the parent keeps until the child is gone
};
std::mutex g_mutex;
std::condition_variable g_finished;
std::map<pid_t, Child> g_children;
std::vector<PyObject*> g_releasable;  // held by children that are gone

// The status line: "ok objects gc_objects edges file_bytes seconds private_dirty" or
// "error message".
std::string ok_line(const DumpStats& s, std::int64_t dirty) {
    char line[256];
    std::snprintf(line, sizeof line, "ok %llu %llu %llu %llu %.6f %lld\n", static_cast<unsigned long long>(s.objects),
                  static_cast<unsigned long long>(s.gc_objects), static_cast<unsigned long long>(s.edges),
                  static_cast<unsigned long long>(s.file_bytes), s.seconds, static_cast<long long>(dirty));
    return line;
}

void parse_line(const std::string& text, ForkOutcome& out) {
    if (text.compare(0, 3, "ok ") == 0) {
        unsigned long long o = 0, g = 0, e = 0, b = 0;
        long long d = -1;
        double s = 0;
        if (std::sscanf(text.c_str() + 3, "%llu %llu %llu %llu %lf %lld", &o, &g, &e, &b, &s, &d) == 6) {
            out.ok = true;
            out.stats.objects = o;
            out.stats.gc_objects = g;
            out.stats.edges = e;
            out.stats.file_bytes = b;
            out.stats.seconds = s;
            out.child_private_dirty = d;
            return;
        }
    }
    out.ok = false;
    std::string message = text.compare(0, 6, "error ") == 0 ? text.substr(6) : text;
    while (!message.empty() && message.back() == '\n') message.pop_back();
    out.message = message.empty() ? "the dump's child process ended without a result" : message;
}

void write_all(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        done += static_cast<std::size_t>(n);
    }
}

// The child keeps no descriptor of the program's: a socket the parent closes must not stay
// open (a client waiting for EOF) for as long as the walk takes.
void close_inherited_descriptors(int keep) {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u) == 0 &&
        syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u) == 0)
        return;
#endif
    std::vector<int> open;
    if (DIR* dir = opendir("/proc/self/fd")) {
        while (dirent* e = readdir(dir)) {
            int fd = std::atoi(e->d_name);
            if (fd > 2 && fd != keep && fd != dirfd(dir)) open.push_back(fd);
        }
        closedir(dir);
    }
    for (int fd : open) close(fd);
}

[[noreturn]] void run_child(const DumpRequest& parent_request, int status_fd, Clock::time_point start,
                            int tm_lock, double limit_seconds, pid_t parent) {
    const Clock::time_point forked = Clock::now();
    // Ends with the terminal's Ctrl-C and kill like any process; the program's Python
    // handlers would only set a flag nobody reads here.
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGALRM, SIGPIPE}) std::signal(sig, SIG_DFL);
    sigset_t alarm_set;
    sigemptyset(&alarm_set);
    sigaddset(&alarm_set, SIGALRM);
    sigprocmask(SIG_UNBLOCK, &alarm_set, nullptr);
    alarm(static_cast<unsigned>(limit_seconds < 1 ? 1 : limit_seconds + 0.999));
    prctl(PR_SET_NAME, "heapdiff-dump", 0, 0, 0);
    close_inherited_descriptors(status_fd);

    std::string omitted;
    if (tm_lock == 1) {
        heapdiff_tm_unlock_in_child();  // taken before the fork: its tables are whole
    } else if (tm_lock == 0) {
        heapdiff_tm_forget_in_child();
        omitted = "tracemalloc's table lock was held by another thread when the process forked";
    }
    DumpRequest request = parent_request;
    request.pid = parent;
    std::int64_t dirty = -1;
    request.last_facts = [&](SnapshotWriter& w) {
        w.add_fact("probe.forked", static_cast<std::int64_t>(1));
        w.add_fact("probe.child_pid", static_cast<std::int64_t>(getpid()));
        w.add_fact("probe.parent_pause_seconds", std::chrono::duration<double>(forked - start).count());
        w.add_fact("probe.child_walk_seconds", seconds_since(forked));
        if (const auto rollup = process::memory_rollup()) dirty = rollup->private_dirty;
        w.add_fact("probe.child_private_dirty", dirty);
        if (!omitted.empty()) w.add_fact("probe.tracebacks_omitted", std::string_view(omitted));
    };
    std::string line;
    try {
        const DumpStats stats = dump_heap(request);
        line = ok_line(stats, dirty);  // after: the walk's last facts measured it
    } catch (const std::exception& e) {
        line = std::string("error ") + e.what() + "\n";
    } catch (...) {
        line = "error internal error\n";
    }
    write_all(status_fd, line);
    _exit(line[0] == 'o' ? 0 : 1);  // no atexit, no Python, no stdio flushing
}

void reap(pid_t pid, int status_fd, std::string path) {
    std::string text;
    char buf[512];
    for (;;) {
        ssize_t n = read(status_fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (text.size() < 8192) text.append(buf, static_cast<std::size_t>(n));
    }
    close(status_fd);
    int status = 0;
    pid_t r;
    do r = waitpid(pid, &status, 0);
    while (r < 0 && errno == EINTR);
    ForkOutcome out;
    out.finished = true;
    parse_line(text, out);
    if (r == pid && WIFSIGNALED(status)) {
        out.ok = false;
        const int sig = WTERMSIG(status);
        out.message = "the dump's child process was killed by signal " + std::to_string(sig) + " (" +
                      strsignal(sig) + ")" + (sig == SIGALRM ? ": it ran past its time limit" : "");
    } else if (r == pid && WIFEXITED(status) && WEXITSTATUS(status) != 0 && out.ok) {
        out.ok = false;
        out.message = "the dump's child process exited with status " + std::to_string(WEXITSTATUS(status));
    } else if (r < 0 && !out.ok && text.empty()) {
        out.message = "the dump's child process ended without a result (the program reaped it first: its status is unknown)";
    }
    if (!out.ok) {
        try {
            output_file::remove_stale_temps(safe_files::Place::of(path).directory);
        } catch (...) {
        }
    }
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        Child& c = g_children[pid];
        c.finished = true;
        c.outcome = out;
        g_releasable.insert(g_releasable.end(), c.held.begin(), c.held.end());
        c.held.clear();
    }
    // The parent's references go back with the GIL, by whoever takes it next through the
    // probe (release_after_forked_dump's thread, a result, the next dump); never from here
    // by Py_AddPendingCall: at finalization that sets an error on the thread that runs the
    // exit and crashed 3.8 at exit.
    g_finished.notify_all();
}

}  // namespace

std::string fork_refusal() {
    if (PyThreadState_Get()->interp != PyInterpreterState_Main())
        return "a sub-interpreter cannot be forked safely";
    return {};
}

ForkStart start_forked_dump(const DumpRequest& given, double child_limit_seconds) {
    const Clock::time_point start = Clock::now();
    release_finished_forks();
    DumpRequest request = given;
    std::vector<PyObject*> held;
#if PY_VERSION_HEX < 0x030B0000
    // gc.get_objects() takes a reference to every object: a write to every page in the child.
    // Made here, before the fork, and kept until the child is gone, so that neither process
    // changes those refcounts while the other one still shares the pages.
    for (int g = 2; g >= 0; --g) {
        Ref gen(PyLong_FromLong(g));
        PyObject* list = gen ? PyObject_CallFunctionObjArgs(python_refs().gc_get_objects, gen.get(), nullptr) : nullptr;
        if (!list || !PyList_Check(list)) {
            Py_XDECREF(list);
            for (PyObject* h : held) Py_DECREF(h);
            throw Error(take_python_error("gc.get_objects() failed"));
        }
        held.push_back(list);
        request.gc_lists[g] = list;
    }
#endif
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        for (PyObject* h : held) Py_DECREF(h);
        ForkStart refused;
        refused.why_not = std::string("cannot make a pipe for the child: ") + std::strerror(errno);
        return refused;
    }
    // Bounded: a raw-domain free holds it for microseconds; a thread that holds it longer
    // costs the snapshot its tracebacks, never a deadlock.
    const int tm_lock = heapdiff_tm_lock_for_fork(0.02);
    const pid_t parent = getpid();
    const pid_t pid = fork();  // plain fork(): no os.register_at_fork hooks, no warning
    if (pid == 0) {
        close(fds[0]);
        run_child(request, fds[1], start, tm_lock, child_limit_seconds, parent);
    }
    const int saved = errno;
    if (tm_lock == 1) heapdiff_tm_unlock_after_fork();
    close(fds[1]);
    ForkStart result;
    if (pid < 0) {
        close(fds[0]);
        for (PyObject* h : held) Py_DECREF(h);
        result.why_not = std::string("fork() failed: ") + std::strerror(saved);
        return result;
    }
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        Child& c = g_children[pid];
        c = Child();
        c.held = std::move(held);
    }
    try {
        std::thread(reap, pid, fds[0], request.path).detach();
    } catch (...) {
        // No thread: the child is still reaped, by the waiter that looks (see below).
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        close(fds[0]);
        std::lock_guard<std::mutex> lock(g_mutex);
        Child& c = g_children[pid];
        c.finished = true;
        c.outcome.finished = true;
        c.outcome.message = "no thread could be started to reap the dump's child process";
        g_releasable.insert(g_releasable.end(), c.held.begin(), c.held.end());
        c.held.clear();
    }
    result.pid = pid;
    result.pause_seconds = seconds_since(start);
    return result;
}

ForkOutcome forked_dump_outcome(pid_t pid, double timeout_seconds) {
    std::unique_lock<std::mutex> lock(g_mutex);
    auto it = g_children.find(pid);
    if (it == g_children.end()) {
        ForkOutcome unknown;
        unknown.finished = true;
        unknown.message = "no dump child with pid " + std::to_string(pid) + " (already reported?)";
        return unknown;
    }
    if (!it->second.finished && timeout_seconds > 0)
        g_finished.wait_for(lock, std::chrono::duration<double>(timeout_seconds),
                            [&] { return g_children[pid].finished; });
    Child& c = g_children[pid];
    if (!c.finished) return ForkOutcome();
    ForkOutcome out = c.outcome;
    g_children.erase(pid);
    return out;
}

bool wait_forked_dump_finished(pid_t pid, double timeout_seconds) {
    std::unique_lock<std::mutex> lock(g_mutex);
    const auto finished = [&] {
        const auto it = g_children.find(pid);
        return it == g_children.end() || it->second.finished;
    };
    if (timeout_seconds > 0)
        g_finished.wait_for(lock, std::chrono::duration<double>(timeout_seconds), finished);
    return finished();
}

bool kill_forked_dump(pid_t pid) {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_children.find(pid);
    if (it == g_children.end() || it->second.finished) return false;
    return kill(pid, SIGKILL) == 0;  // not yet reaped: the pid is still our child's
}

void release_finished_forks() {
    std::vector<PyObject*> drop;
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        drop.swap(g_releasable);
    }
    for (PyObject* o : drop) Py_DECREF(o);
}

}  // namespace heapdiff::probe
