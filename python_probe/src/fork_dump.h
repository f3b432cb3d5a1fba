// A dump walked by a fork()ed copy of the process: the parent pauses only for the fork,
// the child walks its copy-on-write view of the heap, writes the snapshot through the same
// writer (temporary name, atomic rename), sends one status line through a pipe and
// _exits without running any Python code. A thread of the probe reaps each child by its
// pid only (waitpid(pid)), so the program's own SIGCHLD handler and wait() callers keep
// working; a child the program reaped first is reported from its pipe (docs/PROBE.md,
// "Forked dumps").
#pragma once

#include <sys/types.h>

#include <string>

#include "heap_walk.h"

namespace heapdiff::probe {

// Why a dump cannot be forked here (a sub-interpreter), or "" when it can be tried.
std::string fork_refusal();

struct ForkStart {
    pid_t pid = 0;        // 0: not forked; why_not says why (fork() failed)
    std::string why_not;
    double pause_seconds = 0;  // the parent's: from the call to fork()'s return
};

// The caller holds the GIL and has checked fork_refusal(). The child dies on SIGALRM after
// child_limit_seconds whatever it is doing (a lock nobody will release, a huge heap).
ForkStart start_forked_dump(const DumpRequest& request, double child_limit_seconds);

struct ForkOutcome {
    bool finished = false;  // false: still running after the wait asked for
    bool ok = false;
    std::string message;    // the child's error, or how it died
    DumpStats stats;        // when ok
    std::int64_t child_private_dirty = -1;  // bytes, after its walk
};

// Waits up to timeout_seconds (0: only looks) for a child start_forked_dump started. Call
// without the GIL when waiting. A finished outcome is handed out once, then forgotten.
ForkOutcome forked_dump_outcome(pid_t pid, double timeout_seconds);
// Waits up to timeout_seconds for the child to end, without taking its outcome; true once
// it has (or is unknown). Call without the GIL.
bool wait_forked_dump_finished(pid_t pid, double timeout_seconds);
// SIGKILL to a child of ours that is still running; false when it is not (or not ours).
bool kill_forked_dump(pid_t pid);
// Drops the parent's references the finished children no longer need (the gc lists made
// for them before 3.11). The GIL held.
void release_finished_forks();

}  // namespace heapdiff::probe
