#include "attach/attach_injectors.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <vector>

#include "attach/child_process.h"
#include "heapdiff/error.h"

namespace heapdiff::cli {
namespace {

std::string who(const TargetProcess& t) { return "process " + std::to_string(t.pid) + " (" + t.command + ")"; }

std::string c_string(const std::string& text) {  // a gdb (C) string literal
    std::string out = "\"";
    for (char c : text) {
        if (c == '\\' || c == '"') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string last_line(const std::string& output) {
    std::istringstream in(output);
    std::string last;
    for (std::string line; std::getline(in, line);)
        if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
    return last;
}

bool contains(const std::string& text, const char* what) { return text.find(what) != std::string::npos; }

}  // namespace

bool only_caller_or_root_can_change(const std::string& path) {
    if (path.empty() || path[0] != '/') return false;
    const uid_t me = ::geteuid();
    std::string at = path;
    for (bool file = true;; file = false) {
        struct stat st {};
        if (::lstat(at.c_str(), &st) != 0) return false;
        if (S_ISLNK(st.st_mode)) return false;  // resolved by the caller (readlink of /proc/PID/exe), so never expected
        if (st.st_uid != 0 && st.st_uid != me) return false;
        const bool others_write = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
        if (others_write && (file || !(st.st_mode & S_ISVTX))) return false;
        if (at == "/") return true;
        const std::size_t slash = at.find_last_of('/');
        at = slash == 0 ? "/" : at.substr(0, slash);
    }
}

QueueResult queue_with_gdb(const TargetProcess& target, const std::string& stub_code, std::chrono::milliseconds limit) {
    const std::string gdb = find_in_path("gdb");
    if (gdb.empty())
        throw Error("attaching to CPython " + target.python.text() +
                    " needs gdb, which is not installed (apt-get install gdb); CPython 3.14+ needs no debugger");
    // 3.13 made the finalizing check public as Py_IsFinalizing; before, _Py_IsFinalizing.
    const char* finalizing = target.python.at_least(3, 13) ? "Py_IsFinalizing" : "_Py_IsFinalizing";
    // mkstemp makes it exclusively, 0600, ours; it is written through that descriptor
    // (never reopened by name) and only gdb, ours too, reads it.
    char script_path[] = "/tmp/heapdiff-gdb-XXXXXX";
    int fd = ::mkstemp(script_path);
    if (fd < 0) throw Error("cannot write a gdb script in /tmp");
    std::ostringstream script;
    // unwindonsignal: if the call is interrupted (our deadline), gdb restores the
    // thread as it was before detaching, rather than leaving it inside the call.
    script << "set confirm off\nset pagination off\nset unwindonsignal on\n"
           << "if (int)" << finalizing << "() != 0\n  echo heapdiff-finalizing\\n\nelse\n"
           << "  printf \"heapdiff-queued %d\\n\", (int)Py_AddPendingCall((int(*)(void*))PyRun_SimpleString, "
              "(void*)"
           << c_string(stub_code) << ")\nend\ndetach\nquit\n";
    const std::string text = script.str();
    const bool written = ::write(fd, text.data(), text.size()) == ssize_t(text.size());
    ::close(fd);
    if (!written) {
        ::unlink(script_path);
        throw Error("cannot write a gdb script in /tmp");
    }
    // gdb sets orig_rax to -1 for its call (so an interrupted system call is not restarted
    // into it) and, when the call cannot even start (some virtual machines refuse the
    // extended register state: "Couldn't write extended state"), leaves it so: the target's
    // system call would then fail with ERESTARTNOHAND (errno 514) and, in time.sleep(), kill
    // it. The script stops at that error; the -ex after it puts the saved value back. On
    // other architectures these are harmless convenience variables.
    ChildResult r = run_child({gdb, "-nx", "-batch", "-q", "-iex", "set debuginfod enabled off", "-iex",
                               "set auto-load off", "-p", std::to_string(target.pid), "-ex",
                               "set $heapdiff_orig_rax = $orig_rax", "-x", script_path, "-ex",
                               "set $orig_rax = $heapdiff_orig_rax"},
                              limit, SIGINT);
    ::unlink(script_path);
    if (!r.started) throw Error("cannot run gdb (" + gdb + "): " + r.errno_text);
    QueueResult q{"gdb", r.seconds};
    if (contains(r.output, "heapdiff-queued 0")) return q;
    if (!process_alive(target.pid)) throw Error(who(target) + " exited while gdb was attaching; nothing was written");
    if (r.timed_out)
        throw Error("gdb could not queue the request in " + who(target) + " within " +
                    std::to_string(limit.count() / 1000) + " s; it was interrupted and detached");
    if (contains(r.output, "heapdiff-finalizing"))
        throw Error(who(target) + " is shutting down (its interpreter is finalizing): nothing to attach to");
    if (contains(r.output, "heapdiff-queued"))
        throw Error(who(target) + " has too many pending calls queued (Py_AddPendingCall refused); try again");
    if (contains(r.output, "ptrace: Operation not permitted"))
        throw Error("gdb was not allowed to attach to " + who(target) +
                    " (another debugger attached, or a security policy); nothing was changed");
    if (contains(r.output, "Couldn't write extended state"))
        throw Error("gdb could not call into " + who(target) +
                    ": this machine refuses it the CPU's extended register state (a kernel or virtual machine "
                    "limitation, seen with gdb 13 on CPUs with AMX); nothing was queued and the process was left "
                    "running; a newer gdb (18, e.g. PyPI's gdb-for-pwndbg, works there) first in PATH fixes it");
    if (contains(r.output, "No symbol") || contains(r.output, "has unknown return type"))
        throw Error("gdb could not find CPython's functions in " + who(target) + ": " + last_line(r.output));
    throw Error("gdb failed to attach to " + who(target) + ": " + last_line(r.output));
}

QueueResult queue_with_remote_exec(const TargetProcess& target, const std::string& stub_path,
                                   std::chrono::milliseconds limit) {
    // sys.remote_exec talks to the same minor version only: the target's own executable
    // when it is a python launcher seen at the same path from here and nobody but root or
    // us could have changed it (we run it with our privileges), else python3.X in PATH.
    std::string python;
    struct stat ours {}, theirs {};
    if (target.exe_is_python && only_caller_or_root_can_change(target.exe) && ::stat(target.exe.c_str(), &ours) == 0 &&
        ::stat(("/proc/" + std::to_string(target.pid) + "/exe").c_str(), &theirs) == 0 &&
        ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino)
        python = target.exe;
    const std::string versioned = "python" + std::to_string(target.python.major) + "." +
                                  std::to_string(target.python.minor);
    if (python.empty()) python = find_in_path(versioned);
    if (python.empty())
        throw Error("attaching to CPython " + target.python.text() + " runs sys.remote_exec from a " + versioned +
                    ", and there is none in PATH here");
    ChildResult r = run_child({python, "-I", "-S", "-c",
                               "import sys; sys.remote_exec(int(sys.argv[1]), sys.argv[2])",
                               std::to_string(target.pid), stub_path},
                              limit, SIGTERM);
    if (!r.started) throw Error("cannot run " + python + ": " + r.errno_text);
    if (r.exit_status == 0 && !r.timed_out) return {"sys.remote_exec", 0};
    if (!process_alive(target.pid))
        throw Error(who(target) + " exited while the request was being sent; nothing was written");
    const std::string line = last_line(r.output);
    if (contains(line, "Remote debugging is not enabled"))
        throw Error("remote debugging is disabled in " + who(target) +
                    " (PYTHON_DISABLE_REMOTE_DEBUG, -X disable_remote_debug, or a build without it)");
    if (contains(line, "PermissionError") || contains(line, "Operation not permitted"))
        throw Error("no permission to attach to " + who(target) + ": " + line);
    if (r.timed_out) throw Error("sys.remote_exec did not finish within the timeout for " + who(target));
    throw Error("sys.remote_exec failed for " + who(target) + ": " + line);
}

}  // namespace heapdiff::cli
