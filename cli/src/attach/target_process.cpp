#include "attach/target_process.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <regex>
#include <vector>

#include "heapdiff/elf_symbols.h"
#include "heapdiff/error.h"
#include "heapdiff/proc_files.h"

namespace heapdiff::cli {
namespace {

std::string proc_path(pid_t pid, const char* what) { return process::process_dir(pid) + "/" + what; }

using process::read_small_file;
using process::status_field;

std::string user_name(uid_t uid) {
    const passwd* pw = ::getpwuid(uid);
    return pw ? std::string(pw->pw_name) : "uid " + std::to_string(uid);
}

bool have_cap_sys_ptrace() {
    std::string caps = status_field(read_small_file("/proc/self/status"), "CapEff");
    if (caps.empty()) return false;
    unsigned long long bits = std::strtoull(caps.c_str(), nullptr, 16);
    return (bits >> 19) & 1;  // CAP_SYS_PTRACE
}

// Why the kernel refused to let us trace `pid`, as precisely as we can tell.
[[noreturn]] void refuse_tracing(pid_t pid, uid_t target_uid, const std::string& command) {
    const std::string who = "process " + std::to_string(pid) + " (" + command + ")";
    const uid_t me = ::geteuid();
    if (me != 0 && me != target_uid)
        throw Error("no permission to attach to " + who + ": it belongs to " + user_name(target_uid) +
                    "; run heapdiff attach as that user or as root");
    if (me == 0 && !have_cap_sys_ptrace())
        throw Error("no permission to attach to " + who +
                    ": this root has no CAP_SYS_PTRACE (a container? start it with --cap-add=SYS_PTRACE)");
    std::string scope = read_small_file("/proc/sys/kernel/yama/ptrace_scope");
    if (!scope.empty() && scope[0] != '0') {
        const char level = scope[0];
        if (level == '1')
            throw Error("no permission to attach to " + who +
                        ": kernel.yama.ptrace_scope is 1 (only a parent may trace); run as root, or set it to 0 "
                        "(echo 0 | sudo tee /proc/sys/kernel/yama/ptrace_scope)");
        throw Error("no permission to attach to " + who + ": kernel.yama.ptrace_scope is " + std::string(1, level) +
                    (level == '2' ? " (only CAP_SYS_PTRACE may trace); run as root" : " (tracing is disabled until reboot)"));
    }
    throw Error("no permission to attach to " + who +
                ": the kernel refused (a security module such as AppArmor or SELinux, or a seccomp policy)");
}

// "python3.11", "libpython3.14t.so.1.0": the version a file name gives.
bool build_from_name(const std::string& path, PythonBuild& build) {
    static const std::regex pattern(R"((?:^|/)(?:lib)?python(\d+)\.(\d+)(t?)(?:[^/]*)$)");
    std::smatch m;
    if (!std::regex_search(path, m, pattern)) return false;
    build.major = std::stoi(m[1]);
    build.minor = std::stoi(m[2]);
    build.free_threaded = m[3].length() > 0;
    return true;
}

const std::vector<std::string> kInterpreterSymbols = {"Py_Initialize", "PyRun_SimpleString", "Py_AddPendingCall",
                                                      "Py_Version"};

bool has_symbol(const std::vector<process::ElfSymbol>& symbols, const std::string& name) {
    for (const process::ElfSymbol& s : symbols)
        if (s.name == name) return true;
    return false;
}

// Py_Version (3.11+) holds PY_VERSION_HEX; its initial value is in the file.
void read_micro_version(const std::string& file, const std::vector<process::ElfSymbol>& symbols, PythonBuild& build) {
    for (const process::ElfSymbol& s : symbols) {
        if (s.name != "Py_Version" || s.size < 4) continue;
        auto bytes = process::read_file_bytes_at(file, s.value, 4);
        if (!bytes) return;
        std::uint32_t hex = (*bytes)[0] | ((*bytes)[1] << 8) | ((*bytes)[2] << 16) | (std::uint32_t((*bytes)[3]) << 24);
        build.major = int(hex >> 24), build.minor = int((hex >> 16) & 0xff), build.micro = int((hex >> 8) & 0xff);
    }
}

}  // namespace

std::string PythonBuild::text() const {
    std::string s = std::to_string(major) + "." + std::to_string(minor);
    if (micro >= 0) s += "." + std::to_string(micro);
    return free_threaded ? s + "t" : s;
}

bool process_alive(pid_t pid) {
    if (::kill(pid, 0) != 0 && errno != EPERM) return false;
    // A zombie has exited; only its parent has not collected its status yet.
    const char state = process::process_state(process::process_dir(pid));
    return state != 0 && state != 'Z' && state != 'X';
}

bool process_stopped(pid_t pid) {
    const char state = process::process_state(process::process_dir(pid));
    return state == 'T' || state == 't';
}

TargetProcess inspect_target(pid_t pid) {
    TargetProcess t;
    t.pid = pid;
    struct stat st {};
    if (pid <= 0 || ::stat(proc_path(pid, "").c_str(), &st) != 0)
        throw Error("no process with pid " + std::to_string(pid));
    t.uid = st.st_uid;
    t.command = read_small_file(proc_path(pid, "comm"));
    if (!t.command.empty() && t.command.back() == '\n') t.command.pop_back();
    if (status_field(read_small_file(proc_path(pid, "status")), "State").rfind("Z", 0) == 0)
        throw Error("process " + std::to_string(pid) + " (" + t.command + ") has exited (a zombie waiting for its parent)");
    // Opening its memory asks the kernel the question gdb and sys.remote_exec will ask.
    int fd = ::open(proc_path(pid, "mem").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ESRCH) throw Error("no process with pid " + std::to_string(pid));
        refuse_tracing(pid, t.uid, t.command);
    }
    ::close(fd);
    if (pid == ::getpid()) throw Error("process " + std::to_string(pid) + " is heapdiff itself");

    std::optional<std::string> exe = process::executable_link(process::process_dir(pid));
    if (!exe) throw Error("process " + std::to_string(pid) + " (" + t.command + ") has no executable (a kernel thread?)");
    t.exe = *exe;
    t.root = proc_path(pid, "root");
    const std::string gone = " (deleted)";
    if (t.exe.size() > gone.size() && t.exe.compare(t.exe.size() - gone.size(), gone.size(), gone) == 0)
        throw Error("the executable of process " + std::to_string(pid) + " was replaced since it started (" + t.exe +
                    "): restart it to attach");

    // The interpreter is the executable itself (python3.X) or a libpython it loaded.
    std::vector<std::string> candidates = {t.exe};
    for (const process::FileMapping& m : process::file_mappings(process::process_dir(pid)))
        if (m.path.find("libpython") != std::string::npos &&
            std::find(candidates.begin(), candidates.end(), m.path) == candidates.end())
            candidates.push_back(m.path);
    std::vector<process::ElfSymbol> symbols;
    for (const std::string& file : candidates) {
        std::vector<process::ElfSymbol> found;
        try {
            // Through the target's root: right in a chroot or a container too.
            found = process::find_dynamic_symbols(t.in_target_view(file), kInterpreterSymbols);
        } catch (const Error&) {
            continue;
        }
        if (has_symbol(found, "Py_Initialize") && has_symbol(found, "PyRun_SimpleString")) {
            t.interpreter = file;
            symbols = std::move(found);
            break;
        }
    }
    const std::string who = "process " + std::to_string(pid) + " (" + t.command + ")";
    if (t.interpreter.empty())
        throw Error(who + " is not a Python process: neither " + t.exe + " nor a library it loaded holds CPython");
    t.exe_is_python = t.interpreter == t.exe && build_from_name(t.exe, t.python);
    if (!build_from_name(t.interpreter, t.python) && !has_symbol(symbols, "Py_Version"))
        throw Error("cannot tell which CPython " + who + " runs (" + t.interpreter + " does not say)");
    read_micro_version(t.in_target_view(t.interpreter), symbols, t.python);

    const PythonBuild& py = t.python;
    if (py.free_threaded)
        throw Error(who + " runs a free-threaded CPython (" + py.text() +
                    "), which heapdiff does not support yet (docs/PROBE.md)");
    if (py.major != 3 || py.minor < 8)
        throw Error(who + " runs CPython " + py.text() + "; heapdiff supports CPython 3.8 to 3.15");
    if (py.major == 3 && py.minor == 14 && py.micro >= 0 && py.micro < 5)
        throw Error(who + " runs CPython " + py.text() +
                    ", whose collector heapdiff does not support (3.14.0-3.14.4 had the incremental collector "
                    "that 3.14.5 reverted); upgrade it to 3.14.5 or later");
    if (py.at_least(3, 16))
        throw Error(who + " runs CPython " + py.text() + ", newer than heapdiff knows (3.8 to 3.15)");
    return t;
}

void check_remote_debug_enabled(const TargetProcess& target) {
    const std::string who = "process " + std::to_string(target.pid) + " (" + target.command + ")";
    for (const std::string& item : process::nul_separated(proc_path(target.pid, "environ")))
        if (item.rfind("PYTHON_DISABLE_REMOTE_DEBUG=", 0) == 0 && item.size() > 28)
            throw Error("remote debugging is disabled in " + who +
                        " (PYTHON_DISABLE_REMOTE_DEBUG is set in its environment): restart it without it to attach");
    const std::vector<std::string> args = process::nul_separated(proc_path(target.pid, "cmdline"));
    std::string previous;
    // args[0] is the program's own name.
    for (std::size_t i = 1; i < args.size(); previous = args[i], ++i) {
        const std::string& arg = args[i];
        // Interpreter options end at the script, -c or -m; what follows is the program's.
        if (previous != "-X" && previous != "-W" && (arg.empty() || arg[0] != '-' || arg == "-c" || arg == "-m"))
            break;
        std::string option = previous == "-X" ? arg : (arg.rfind("-X", 0) == 0 ? arg.substr(2) : "");
        if (option == "disable_remote_debug" || option == "disable-remote-debug")
            throw Error("remote debugging is disabled in " + who +
                        " (it was started with -X disable_remote_debug): restart it without it to attach");
    }
}

}  // namespace heapdiff::cli
