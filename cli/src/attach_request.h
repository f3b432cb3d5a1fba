// The files attach and its agent exchange, in a private directory in the target's /tmp:
// agent.py (the embedded agent), stub.py (what the target is told to run: it runs
// agent.py if it is still there), request (what to do) and status (how it went). Both
// request and status are "key=hexbytes" lines, written by encode_fields and read by
// decode_fields here and by the agent's twin helpers, so any path fits.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "target_process.h"

namespace heapdiff::cli {

using Fields = std::map<std::string, std::string>;
std::string encode_fields(const Fields& fields);
Fields decode_fields(const std::string& text);

// What the agent reports in `status`.
struct AgentStatus {
    std::string state;    // "started", "done" or "error"
    std::string path;     // the snapshot written (or the triggers' directory)
    std::string message;  // the error, one line
    std::string note;     // something the user should know about a good result
    std::string python;   // the target's version, as it says
    double pause_seconds = 0;  // from the agent's start to its end: the target's pause
};

class RequestDirectory {
public:
    // Makes /tmp/heapdiff-attach-PID-XXXXXX in the target's view, owned by the target's
    // user, with the agent, its stub and the request in it. Removes directories that
    // earlier attaches left for processes that are gone.
    RequestDirectory(const TargetProcess& target, const Fields& request);
    ~RequestDirectory();
    RequestDirectory(const RequestDirectory&) = delete;
    RequestDirectory& operator=(const RequestDirectory&) = delete;

    const std::string& stub_in_target() const { return stub_in_target_; }
    // One statement that runs the stub's job inline (for PyRun_SimpleString): binds no
    // name in the target's __main__.
    std::string stub_code() const;

    std::optional<AgentStatus> status() const;
    // True: the request is withdrawn and will never run. False: the agent claimed it first.
    bool withdraw();
    // Keep the directory at exit (a withdrawn request: a late agent removes it).
    void keep() { keep_ = true; }

private:
    std::string here_;            // the directory as we reach it (through /proc/PID/root)
    std::string in_target_;       // the directory as the target names it
    std::string stub_in_target_;
    bool keep_ = false;
};

}  // namespace heapdiff::cli
