// The files attach and its agent exchange, in the target's /tmp, laid out so that the
// target's user (and every other local user) can change nothing the attacher later
// removes or trusts (docs/SECURITY.md):
//   /tmp/heapdiff-attach-PID-XXXXXX/   the attacher's, 0755: nobody else can rename it
//       agent.py, stub.py              the attacher's, 0644: the code the target runs
//       work/                          given to the target's user, 0700: all it writes
//           request                    what to do; claimed by renaming it to request.claimed,
//                                      withdrawn by the attacher renaming it to request.withdrawn
//           status, status.tmp         how it went (the agent's)
// Every operation goes through directory descriptors (core's safe_files); removal takes
// only these names, and only from the directories this attach made (their inodes).
// request and status are "key=hexbytes" lines, written by encode_fields and read by
// decode_fields here and by the agent's twin helpers, so any path fits.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "heapdiff/safe_files.h"
#include "attach/target_process.h"

namespace heapdiff::cli {

using Fields = std::map<std::string, std::string>;
std::string encode_fields(const Fields& fields);
// Strict: a line without "=", a key that is not [a-z_]+, a value that is not whole hex
// bytes, or a key given twice is an Error (the status comes from a process we do not trust).
Fields decode_fields(const std::string& text);

// What the agent reports in `status`, validated (parse_status): the target wrote it.
struct AgentStatus {
    std::string state;    // "started" (claimed, importing heapdiff), "walking", "done" or "error"
    std::string path;     // the snapshot written (or the triggers' directory)
    std::string message;  // the error, one line
    std::string note;     // something the user should know about a good result
    std::string python;   // the target's version, as it says
    double pause_seconds = 0;  // from the agent's start to its end: the target's pause
};

// The most of `status` that is read: far more than any real one (a few hundred bytes).
inline constexpr std::size_t kStatusLimit = 64 * 1024;

// Fields → AgentStatus, or an Error naming what is wrong: a state outside the known set,
// a pause that is not a plain non-negative number, a text field longer than its bound.
AgentStatus parse_status(const std::string& text);

class RequestDirectory {
public:
    // Makes the layout above in the target's view of /tmp. Before, removes what earlier
    // attaches left for processes that are gone: only directories this user made, with
    // the names above. Throws Error (one line, nothing left behind) when the target's
    // /tmp is not one heapdiff can use safely.
    RequestDirectory(const TargetProcess& target, const Fields& request);
    ~RequestDirectory();  // removes what it made (see keep_stub)
    RequestDirectory(const RequestDirectory&) = delete;
    RequestDirectory& operator=(const RequestDirectory&) = delete;

    const std::string& stub_in_target() const { return stub_in_target_; }
    // One statement that runs the stub's job inline (for PyRun_SimpleString): binds no
    // name in the target's __main__.
    std::string stub_code() const;

    // The agent's status so far (nullopt: none yet). Error when it is not a small regular
    // file or does not parse: the target wrote something no agent writes.
    std::optional<AgentStatus> status() const;
    // True: the request is withdrawn and will never run. False: the agent claimed it first.
    bool withdraw();
    // The agent took the request (or it was withdrawn): `request` is gone from work/.
    bool claimed() const;
    // At removal, leave the directory with stub.py alone (without agent.py the stub does
    // nothing): a withdrawn sys.remote_exec still opens stub.py when the target reaches a
    // safe point. A later attach removes it once the process is gone.
    void keep_stub() { keep_stub_ = true; }

private:
    void remove();

    safe_files::Directory tmp_;             // the target's /tmp, held open
    pid_t pid_ = 0;
    std::string name_;                      // heapdiff-attach-PID-XXXXXX
    std::optional<safe_files::Directory> top_, work_;
    safe_files::Identity top_id_, work_id_;
    std::string in_target_;                 // the directory as the target names it
    std::string stub_in_target_;
    bool keep_stub_ = false;
};

}  // namespace heapdiff::cli
