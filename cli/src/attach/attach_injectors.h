// The two ways of asking a running CPython to run attach's stub at its next safe point.
// Both only queue the request; the agent runs later, on the target's main thread.
#pragma once

#include <chrono>
#include <string>

#include "attach/target_process.h"

namespace heapdiff::cli {

struct QueueResult {
    std::string method;          // "gdb" or "sys.remote_exec"
    double stopped_seconds = 0;  // how long the whole target was stopped by the debugger
};

// CPython 3.8-3.13: gdb attaches, checks the interpreter is not finalizing, calls
// Py_AddPendingCall(PyRun_SimpleString, stub) and detaches.
QueueResult queue_with_gdb(const TargetProcess& target, const std::string& stub_code, std::chrono::milliseconds limit);

// True when no user but root and the caller could have changed the file at `path`, nor any
// directory on the way to it: each is owned by root or the caller and writable by no group
// or other user (a sticky directory such as /tmp excepted for the directories). attach
// runs a program found through the target only when this holds: a python the target's
// user built or may replace would otherwise run with the caller's privileges.
bool only_caller_or_root_can_change(const std::string& path);

// CPython 3.14+: PEP 768, through sys.remote_exec of an interpreter of the same version
// (the target's own executable when it is a python launcher that only root or the caller
// can change, else python3.X from PATH). The target is not stopped.
QueueResult queue_with_remote_exec(const TargetProcess& target, const std::string& stub_path,
                                   std::chrono::milliseconds limit);

}  // namespace heapdiff::cli
