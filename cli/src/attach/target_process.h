// What attach learns about a process before touching it: that it exists, that we may
// trace it, which CPython it runs and where. Every refusal is one Error line that says
// why and what to do; nothing here writes to the target or stops it.
#pragma once

#include <string>
#include <sys/types.h>

namespace heapdiff::cli {

struct PythonBuild {
    int major = 0, minor = 0;
    int micro = -1;               // -1: not known (3.8-3.10 name their version in file names only)
    bool free_threaded = false;   // a "t" build (python3.13t, libpython3.14t.so)
    std::string text() const;     // "3.11.7", "3.9", "3.14t"
    bool at_least(int maj, int min) const { return major > maj || (major == maj && minor >= min); }
};

struct TargetProcess {
    pid_t pid = 0;
    uid_t uid = 0;
    std::string command;       // its comm name, for messages ("python3.11", "uwsgi")
    std::string exe;           // its executable as the target sees it
    std::string root;          // "/proc/PID/root": the target's view of the file system
    std::string interpreter;   // the file that holds CPython (exe, or a libpython it loaded)
    bool exe_is_python = false;  // exe is a python3.X launcher, not a program embedding Python
    PythonBuild python;

    std::string in_target_view(const std::string& path) const { return root + path; }
};

// Fails with one line when `pid` is not a process we may trace or not a supported CPython.
TargetProcess inspect_target(pid_t pid);

// 3.14+: PYTHON_DISABLE_REMOTE_DEBUG in its environment or -X disable_remote_debug on its
// command line; Error saying which.
void check_remote_debug_enabled(const TargetProcess& target);

bool process_alive(pid_t pid);

// Stopped by a signal (SIGSTOP, SIGTSTP) or held by a tracer: it runs no code, so it
// reaches no safe point until whoever stopped it continues it.
bool process_stopped(pid_t pid);

}  // namespace heapdiff::cli
