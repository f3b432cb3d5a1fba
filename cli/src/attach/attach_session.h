// heapdiff attach, as a library: inspect the target, leave a request in its /tmp, queue
// the stub (gdb or sys.remote_exec), wait for the agent's status. The command only
// prints what this returns.
#pragma once

#include <string>

#include "attach/attach_injectors.h"
#include "attach/attach_request.h"
#include "attach/target_process.h"

namespace heapdiff::cli {

struct AttachOptions {
    pid_t pid = 0;
    std::string output;    // "" : heapdiff-PID-YYYYmmdd-HHMMSS-attach.hds in the current directory
    std::string label = "attach";
    bool tracebacks = false;
    // Walk a fork()ed copy of the target (dump(fork=True)): it pauses for the fork only;
    // the agent's status comes once the child has written the file.
    bool fork = false;
    // From the request being queued to the agent's answer: reaching a safe point and the
    // dump. At expiry attach stops waiting (the target is never interrupted or killed).
    double timeout_seconds = 10;
    std::string install;   // a HEAPDIFF_TRIGGERS spec: install the triggers instead of dumping
};

struct AttachOutcome {
    TargetProcess target;
    QueueResult queued;
    AgentStatus status;    // state "done"
    double wait_seconds = 0;  // from queuing to the agent's claim: how long the safe point took
    bool same_root = true;    // the target sees the file system as we do
    std::string path_here;    // status.path as we can open it
    long long snapshot_bytes = -1;  // the snapshot's size (checked: a regular file of the target's user)
};

AttachOutcome attach_to_process(const AttachOptions& options);

}  // namespace heapdiff::cli
