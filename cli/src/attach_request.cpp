#include "attach_request.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "attach_agent_text.h"
#include "heapdiff/error.h"

namespace heapdiff::cli {
namespace {

const char kHex[] = "0123456789abcdef";

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

void write_file(const std::string& path, const std::string& content, uid_t owner) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) throw Error("cannot write " + path + ": " + std::strerror(errno));
    bool ok = ::write(fd, content.data(), content.size()) == ssize_t(content.size());
    if (ok && owner != ::geteuid()) ok = ::fchown(fd, owner, gid_t(-1)) == 0;
    ::close(fd);
    if (!ok) throw Error("cannot write " + path + ": " + std::strerror(errno));
}

void remove_tree(const std::string& dir) {
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d)) {
            std::string name = e->d_name;
            if (name != "." && name != "..") ::unlink((dir + "/" + name).c_str());
        }
        ::closedir(d);
    }
    ::rmdir(dir.c_str());
}

// A directory "heapdiff-attach-PID-XXXXXX" whose PID is no longer running is what an
// attach left when its request never ran (the target exited first).
void remove_stale_requests(const std::string& tmp) {
    DIR* d = ::opendir(tmp.c_str());
    if (!d) return;
    const std::string prefix = "heapdiff-attach-";
    std::vector<std::string> stale;
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name.compare(0, prefix.size(), prefix) != 0) continue;
        long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
        if (pid > 0 && !process_alive(pid_t(pid))) stale.push_back(tmp + "/" + name);
    }
    ::closedir(d);
    for (const std::string& dir : stale) remove_tree(dir);
}

std::string quoted_python(const std::string& text) {  // a Python str literal of ASCII text
    std::string out = "'";
    for (char c : text) {
        if (c == '\\' || c == '\'') out += '\\';
        out += c;
    }
    return out + "'";
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
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::size_t eq = line.find('=');
        if (eq == std::string::npos) continue;
        std::string value;
        for (std::size_t i = eq + 1; i + 1 < line.size(); i += 2) {
            int hi = hex_value(line[i]), lo = hex_value(line[i + 1]);
            if (hi < 0 || lo < 0) break;
            value += char(hi * 16 + lo);
        }
        out[line.substr(0, eq)] = value;
    }
    return out;
}

RequestDirectory::RequestDirectory(const TargetProcess& target, const Fields& request) {
    const std::string tmp_here = target.in_target_view("/tmp");
    remove_stale_requests(tmp_here);
    std::string pattern = tmp_here + "/heapdiff-attach-" + std::to_string(target.pid) + "-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    if (!::mkdtemp(name.data()))
        throw Error("cannot make a request directory in the target's /tmp (" + tmp_here + "): " + std::strerror(errno));
    here_ = name.data();
    in_target_ = "/tmp" + here_.substr(tmp_here.size());
    try {
        // The target runs as its own user: the directory and its files are that user's.
        if (target.uid != ::geteuid() && ::chown(here_.c_str(), target.uid, gid_t(-1)) != 0)
            throw Error("cannot give " + here_ + " to the target's user: " + std::strerror(errno));
        write_file(here_ + "/agent.py", std::string(kAttachAgentText), target.uid);
        stub_in_target_ = in_target_ + "/stub.py";
        write_file(here_ + "/stub.py", stub_code() + "\n", target.uid);
        write_file(here_ + "/request", encode_fields(request), target.uid);
    } catch (...) {
        remove_tree(here_);
        throw;
    }
}

RequestDirectory::~RequestDirectory() {
    if (!keep_) remove_tree(here_);
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
    std::ifstream in(here_ + "/status", std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    Fields f = decode_fields(text.str());
    AgentStatus s;
    s.state = f["state"];
    s.path = f["path"];
    s.message = f["message"];
    s.note = f["note"];
    s.python = f["python"];
    s.pause_seconds = std::atof(f["pause"].c_str());
    return s;
}

bool RequestDirectory::withdraw() {
    return ::rename((here_ + "/request").c_str(), (here_ + "/request.withdrawn").c_str()) == 0;
}

}  // namespace heapdiff::cli
