#include "attach/attach_request.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

#include "attach_agent_text.h"
#include "heapdiff/error.h"

namespace heapdiff::cli {
namespace {

namespace sf = safe_files;

const char kHex[] = "0123456789abcdef";
const char kPrefix[] = "heapdiff-attach-";

// Every name a request directory can hold: removal takes these and nothing else.
const std::vector<std::string> kTopNames = {"agent.py", "stub.py"};
const std::vector<std::string> kWorkNames = {"request", "request.claimed", "request.withdrawn", "status", "status.tmp"};

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// Creates `name` in `dir` (exclusively, never through a link) with exactly `mode`, owned by `owner`.
void write_file(const sf::Directory& dir, const std::string& name, const std::string& content, mode_t mode,
                uid_t owner) {
    const int fd = sf::create_file(dir, name, mode);
    const bool written = ::write(fd, content.data(), content.size()) == ssize_t(content.size());
    const int err = errno;
    try {
        if (!written) throw Error("cannot write " + dir.entry(name) + ": " + std::strerror(err));
        sf::set_mode_and_owner(fd, mode, owner, dir.entry(name));
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
}

// The target's /tmp, held open. /proc/PID/root is the kernel's link to the target's root
// and is followed on purpose; /tmp inside it is not (a link there is the target's to
// point anywhere). A /tmp others may write must be sticky, or they could rename the
// request away; one owned by neither root, us nor the target's user is somebody else's.
sf::Directory open_target_tmp(const TargetProcess& target) {
    sf::Directory root = sf::Directory::open(target.root, sf::Follow::Yes);
    sf::Directory tmp = root.child("tmp");
    const struct stat& st = tmp.info();
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0)
        throw Error("cannot use the target's /tmp (" + tmp.path() +
                    "): other users may write it and it is not sticky, so they could swap heapdiff's request");
    if (st.st_uid != 0 && st.st_uid != ::geteuid() && st.st_uid != target.uid)
        throw Error("cannot use the target's /tmp (" + tmp.path() + "): it belongs to uid " +
                    std::to_string(st.st_uid) + ", neither root nor the target's user");
    return tmp;
}

// "heapdiff-attach-PID-XXXXXX" exactly, as create_directory names them: its PID, or 0.
long request_pid(const std::string& name) {
    const std::size_t prefix = sizeof kPrefix - 1;
    if (name.compare(0, prefix, kPrefix) != 0) return 0;
    const std::size_t dash = name.find('-', prefix);
    if (dash == std::string::npos || dash == prefix || name.size() != dash + 7) return 0;
    long pid = 0;
    for (std::size_t i = prefix; i < dash; ++i) {
        if (name[i] < '0' || name[i] > '9' || pid > 100000000) return 0;
        pid = pid * 10 + (name[i] - '0');
    }
    for (std::size_t i = dash + 1; i < name.size(); ++i)
        if (!std::isalnum(static_cast<unsigned char>(name[i]))) return 0;
    return pid;
}

// Removes the request directory `name` of `tmp` when it is still the directory `top_id`:
// work/'s known names (work/ cannot have been swapped: it is an entry of a directory only
// we may write), work/, the known names beside it, and it. What it does not know stays.
bool remove_request(const sf::Directory& tmp, const std::string& name, const sf::Identity& top_id) {
    try {
        sf::Directory top = tmp.child(name);
        if (!(sf::identity_of(top.info()) == top_id)) return false;
        struct stat st {};
        if (::fstatat(top.fd(), "work", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
            sf::remove_directory(top, "work", sf::identity_of(st), kWorkNames);
    } catch (const Error&) {
        return false;
    }
    return sf::remove_directory(tmp, name, top_id, kTopNames);
}

// What an attach left when its request never ran (the target exited first): a directory
// of ours (this user made it: fstat, not the name, says so) for a PID no longer running.
// Anything else under such a name, a symlink above all, is somebody else's and not touched.
void remove_stale_requests(const sf::Directory& tmp) {
    const int fd = ::openat(tmp.fd(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);  // the directory we hold
    if (fd < 0) return;
    DIR* d = ::fdopendir(fd);
    if (!d) {
        ::close(fd);
        return;
    }
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d))
        if (request_pid(e->d_name) > 0) names.push_back(e->d_name);
    ::closedir(d);
    for (const std::string& name : names) {
        struct stat st {};
        if (::fstatat(tmp.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) continue;
        if (process_alive(pid_t(request_pid(name)))) continue;
        remove_request(tmp, name, sf::identity_of(st));
    }
}

std::string quoted_python(const std::string& text) {  // a Python str literal of ASCII text
    std::string out = "'";
    for (char c : text) {
        if (c == '\\' || c == '\'') out += '\\';
        out += c;
    }
    return out + "'";
}

[[noreturn]] void bad_fields(const std::string& why) { throw Error("malformed fields: " + why); }

// A text the target sent, shortened to `limit` bytes (printable() escapes what is left).
std::string bounded(const std::string& text, std::size_t limit) {
    if (text.size() <= limit) return text;
    return text.substr(0, limit) + "... (" + std::to_string(text.size() - limit) + " more bytes)";
}

double strict_seconds(const std::string& text) {
    if (text.empty() || text.size() > 32 || text.find_first_not_of("0123456789.e-+") != std::string::npos)
        throw Error("a pause that is not a number");
    char* end = nullptr;
    errno = 0;
    const double value = std::strtod(text.c_str(), &end);
    if (errno != 0 || *end != '\0' || !std::isfinite(value) || value < 0 || value > 1e7)
        throw Error("a pause that is not a number of seconds");
    return value;
}

}  // namespace

std::string encode_fields(const Fields& fields) {
    std::string out;
    for (const auto& [key, value] : fields) {
        out += key + "=";
        for (unsigned char c : value) out += kHex[c >> 4], out += kHex[c & 15];
        out += "\n";
    }
    return out;
}

Fields decode_fields(const std::string& text) {
    Fields out;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        if (end == std::string::npos) bad_fields("the last line is not ended");
        const std::string line = text.substr(start, end - start);
        start = end + 1;
        const std::size_t eq = line.find('=');
        if (eq == std::string::npos) bad_fields("a line without '='");
        const std::string key = line.substr(0, eq);
        if (key.empty() || key.size() > 32 || key.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos)
            bad_fields("a key that is not a lower-case name");
        if ((line.size() - eq - 1) % 2 != 0) bad_fields("field '" + key + "' is not whole hex bytes");
        std::string value;
        for (std::size_t i = eq + 1; i < line.size(); i += 2) {
            const int hi = hex_value(line[i]), lo = hex_value(line[i + 1]);
            if (hi < 0 || lo < 0) bad_fields("field '" + key + "' is not hex");
            value += char(hi * 16 + lo);
        }
        if (!out.emplace(key, std::move(value)).second) bad_fields("field '" + key + "' given twice");
    }
    return out;
}

AgentStatus parse_status(const std::string& text) {
    const Fields f = decode_fields(text);
    static const std::set<std::string> kKeys = {"state", "path", "message", "note", "python", "pause"};
    static const std::set<std::string> kStates = {"started", "walking", "installing", "done", "error"};
    for (const auto& kv : f)
        if (!kKeys.count(kv.first)) throw Error("an unknown field '" + bounded(kv.first, 32) + "'");
    auto get = [&](const char* key) {
        auto it = f.find(key);
        return it == f.end() ? std::string() : it->second;
    };
    AgentStatus s;
    s.state = get("state");
    if (!kStates.count(s.state)) throw Error("an unknown state '" + bounded(s.state, 32) + "'");
    s.path = get("path");
    if (s.path.size() > 4096 || s.path.find('\0') != std::string::npos) throw Error("a path that is not one");
    s.python = get("python");
    if (s.python.size() > 32 || s.python.find_first_not_of("0123456789.abcdefghijklmnopqrstuvwxyz+") != std::string::npos)
        throw Error("a Python version that is not one");
    s.message = bounded(get("message"), 2000);
    s.note = bounded(get("note"), 500);
    const std::string pause = get("pause");
    s.pause_seconds = pause.empty() ? 0 : strict_seconds(pause);
    return s;
}

RequestDirectory::RequestDirectory(const TargetProcess& target, const Fields& request)
    : tmp_(open_target_tmp(target)), pid_(target.pid) {
    remove_stale_requests(tmp_);
    sf::Directory top = sf::create_directory(tmp_, kPrefix + std::to_string(target.pid) + "-", 0755);
    name_ = top.path().substr(tmp_.path().size() + 1);
    top_id_ = sf::identity_of(top.info());
    top_.emplace(std::move(top));
    in_target_ = "/tmp/" + name_;
    stub_in_target_ = in_target_ + "/stub.py";
    try {
        const uid_t me = ::geteuid();
        sf::set_mode_and_owner(top_->fd(), 0755, me, top_->path());
        write_file(*top_, "agent.py", std::string(kAttachAgentText), 0644, me);
        write_file(*top_, "stub.py", stub_code() + "\n", 0644, me);
        // work/: an entry of a directory only we may write, so its name stays ours; what is
        // in it is the target's user's (the agent runs as that user).
        if (::mkdirat(top_->fd(), "work", 0700) != 0)
            throw Error("cannot make " + top_->entry("work") + ": " + std::strerror(errno));
        sf::Directory work = top_->child("work");
        work_id_ = sf::identity_of(work.info());
        work_.emplace(std::move(work));
        write_file(*work_, "request", encode_fields(request), 0600, target.uid);
        sf::set_mode_and_owner(work_->fd(), 0700, target.uid, work_->path());
    } catch (...) {
        remove();
        throw;
    }
}

RequestDirectory::~RequestDirectory() { remove(); }

void RequestDirectory::remove() {
    if (work_) {
        work_.reset();
        sf::remove_directory(*top_, "work", work_id_, kWorkNames);
    }
    if (!top_) return;
    if (keep_stub_) {
        sf::remove_file(*top_, "agent.py", ::geteuid());
        return;
    }
    top_.reset();
    remove_request(tmp_, name_, top_id_);
}

std::string RequestDirectory::stub_code() const {
    const std::string agent = quoted_python(in_target_ + "/agent.py");
    // exec with a fresh dict: the statement binds nothing in the target's __main__ (where
    // PyRun_SimpleString and sys.remote_exec run code).
    return "exec(\"try:\\n f = open(" + agent +
           ", 'rb')\\nexcept OSError:\\n f = None\\nif f is not None:\\n with f:\\n  s = f.read()\\n exec(compile(s, " +
           agent + ", 'exec'), {'__name__': '__heapdiff_attach__', '__file__': " + agent + "})\\n\", {})";
}

std::optional<AgentStatus> RequestDirectory::status() const {
    try {
        std::optional<std::string> text = sf::read_small_file(*work_, "status", kStatusLimit);
        if (!text) return std::nullopt;
        return parse_status(*text);
    } catch (const Error& e) {
        throw Error("process " + std::to_string(pid_) + " answered with a status no heapdiff agent writes (" +
                    e.what() + "); it was not used");
    }
}

bool RequestDirectory::withdraw() {
    // Renames the name, never what a link there points to.
    return ::renameat(work_->fd(), "request", work_->fd(), "request.withdrawn") == 0;
}

bool RequestDirectory::claimed() const {
    struct stat st {};
    return ::fstatat(work_->fd(), "request", &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT;
}

}  // namespace heapdiff::cli
