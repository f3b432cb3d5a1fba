// heapdiff attach PID [-o FILE] [--tracebacks] [--fork] [--label TEXT] [--timeout S]
// heapdiff attach PID --install SPEC
// A snapshot of (or dump triggers in) a running CPython that never imported heapdiff;
// attach_session does the work, this prints it.
#include <CLI/CLI.hpp>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "attach/attach_session.h"
#include "commands/commands.h"
#include "render/format_text.h"
#include "heapdiff/printable_text.h"

namespace heapdiff::cli {
namespace {

std::string pause_text(double seconds) {
    char buf[32];
    if (seconds < 1)
        std::snprintf(buf, sizeof buf, "%.0f ms", seconds * 1000);
    else
        std::snprintf(buf, sizeof buf, "%.2f s", seconds);
    return buf;
}

void print(const AttachOptions& o, const AttachOutcome& r) {
    const TargetProcess& t = r.target;
    std::printf("attached to process %d (%s, CPython %s) with %s\n", int(t.pid), printable(t.command).c_str(),
                printable(r.status.python.empty() ? t.python.text() : r.status.python).c_str(), r.queued.method.c_str());
    if (!o.install.empty()) {
        std::printf("dump triggers installed (%s); snapshots go to %s\n", printable(o.install).c_str(),
                    printable(r.path_here).c_str());
    } else {
        // The size attach_session checked (a regular file of the target's user), not a new lookup by name.
        std::string size = r.snapshot_bytes >= 0 ? ", " + human_size(std::uint64_t(r.snapshot_bytes)) : "";
        std::printf("snapshot written to %s%s\n", printable(r.path_here).c_str(), size.c_str());
    }
    std::string stopped = r.queued.stopped_seconds > 0
                              ? ", and stopped " + pause_text(r.queued.stopped_seconds) + " by gdb to queue the request"
                              : "";
    std::printf("the process was paused %s while its probe ran%s\n", pause_text(r.status.pause_seconds).c_str(),
                stopped.c_str());
    // Worth saying only when the main thread was away from Python code for a while.
    if (r.wait_seconds >= 0.05)
        std::printf("(it reached a point where Python code can run %s after the request)\n",
                    pause_text(r.wait_seconds).c_str());
    if (!r.same_root)
        std::printf("(the process has its own root directory: that path is %s inside it)\n",
                    printable(r.status.path).c_str());
    if (!r.status.note.empty()) std::printf("note: %s\n", printable(r.status.note).c_str());
}

}  // namespace

void set_attach_command(CLI::App& app) {
    auto o = std::make_shared<AttachOptions>();
    CLI::App* cmd = app.add_subcommand(
        "attach", "Snapshot a running CPython process by pid (it need not import heapdiff), or arm its dump triggers");
    cmd->add_option("pid", o->pid, "The process id")
        ->required()
        ->check(CLI::Validator(
            [](std::string& text) {
                char* end = nullptr;
                errno = 0;
                long value = std::strtol(text.c_str(), &end, 10);
                bool whole = !text.empty() && *end == '\0' && errno == 0 && text.find_first_not_of("0123456789") == std::string::npos;
                return whole && value > 0 && value <= INT_MAX ? std::string()
                                                              : "'" + printable(text) + "' is not a process id";
            },
            "PID"));
    auto* output = cmd->add_option("-o,--output", o->output,
                                   "Snapshot file (default heapdiff-PID-DATE-TIME-attach.hds here); written by the "
                                   "target, atomically");
    auto* tracebacks = cmd->add_flag("--tracebacks", o->tracebacks,
                                     "Record allocation tracebacks (when the target's tracemalloc is tracing)");
    auto* fork = cmd->add_flag("--fork", o->fork,
                               "Walk a fork()ed copy of the target: it pauses only for the fork, not for the walk "
                               "(docs/PROBE.md, \"Forked dumps\")");
    auto* label = cmd->add_option("--label", o->label, "A note stored in the snapshot")->capture_default_str();
    cmd->add_option("--timeout", o->timeout_seconds,
                    "Seconds to wait, once the request is queued, for the target's answer (reaching a point where "
                    "Python code can run, and the snapshot); at expiry the target is left running")
        ->capture_default_str();
    cmd->add_option("--install", o->install,
                    "Install the dump triggers instead, e.g. \"rss=80%,signal=USR2,dir=/var/tmp\" (the "
                    "HEAPDIFF_TRIGGERS spec; a relative dir is relative to this directory)")
        ->excludes(output)
        ->excludes(tracebacks)
        ->excludes(fork)
        ->excludes(label);
    cmd->callback([o] { print(*o, attach_to_process(*o)); });
}

}  // namespace heapdiff::cli
