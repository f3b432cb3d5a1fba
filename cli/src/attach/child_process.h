// Runs a helper program (gdb, a python for sys.remote_exec) with a deadline and keeps
// what it printed: attach's only way to reach into another process.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace heapdiff::cli {

struct ChildResult {
    bool started = false;   // false: the program could not be run (errno_text says why)
    bool timed_out = false; // the deadline passed: it got `interrupt`, then SIGKILL 5 s later
    int exit_status = -1;   // its exit code, or 128+signal
    std::string output;     // stdout and stderr, interleaved
    std::string errno_text;
    double seconds = 0;     // wall time from start to exit
};

// argv[0] is looked up in PATH. stdin is /dev/null.
ChildResult run_child(const std::vector<std::string>& argv, std::chrono::milliseconds limit, int interrupt);

// The first executable `name` in PATH, or "".
std::string find_in_path(const std::string& name);

}  // namespace heapdiff::cli
