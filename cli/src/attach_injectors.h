// The two ways of asking a running CPython to run attach's stub at its next safe point.
// Both only queue the request; the agent runs later, on the target's main thread.
#pragma once

#include <chrono>
#include <string>

#include "target_process.h"

namespace heapdiff::cli {

struct QueueResult {
    std::string method;          // "gdb" or "sys.remote_exec"
    double stopped_seconds = 0;  // how long the whole target was stopped by the debugger
};

// CPython 3.8-3.13: gdb attaches, checks the interpreter is not finalizing, calls
// Py_AddPendingCall(PyRun_SimpleString, stub) and detaches.
QueueResult queue_with_gdb(const TargetProcess& target, const std::string& stub_code, std::chrono::milliseconds limit);

// CPython 3.14+: PEP 768, through sys.remote_exec of an interpreter of the same version
// (the target's own executable when it is a python launcher). The target is not stopped.
QueueResult queue_with_remote_exec(const TargetProcess& target, const std::string& stub_path,
                                   std::chrono::milliseconds limit);

}  // namespace heapdiff::cli
