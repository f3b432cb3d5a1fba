// The parts of `heapdiff attach` that need no target process: the request/status field
// encoding (shared with the agent's Python twin), the ELF symbol reader, and the
// refusals that come before anything is touched. Attaching itself is tested on real
// processes in tests/python/test_attach.py.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>

#include <fstream>
#include <sstream>
#include <string>

#include "attach/attach_injectors.h"
#include "attach/attach_request.h"
#include "attach/target_process.h"
#include "heapdiff/elf_symbols.h"
#include "heapdiff/error.h"
#include "temp_dir.h"

using namespace heapdiff;
using namespace heapdiff::cli;
using namespace heapdiff::process;

namespace {

std::string loaded_library(const std::string& name_part) {
    std::ifstream maps("/proc/self/maps");
    for (std::string line; std::getline(maps, line);) {
        std::size_t slash = line.find('/');
        if (slash != std::string::npos && line.find(name_part, slash) != std::string::npos) return line.substr(slash);
    }
    return {};
}

}  // namespace

TEST_CASE("request fields carry any bytes, one key per line") {
    Fields f;
    f["output"] = std::string("/tmp/a b\n\xff\0z.hds", 16);
    f["label"] = "";
    f["packages"] = std::string("/x/heapdiff\0/y/heapdiff", 23);
    std::string text = encode_fields(f);
    CHECK(std::count(text.begin(), text.end(), '\n') == 3);
    CHECK(text.find("label=\n") != std::string::npos);
    CHECK(decode_fields(text) == f);
    // What the agent writes (binascii.hexlify) reads back.
    CHECK(decode_fields("state=646f6e65\npause=302e3035\n")["state"] == "done");
    CHECK(decode_fields("").empty());
}

TEST_CASE("fields the target wrote are refused unless well-formed") {
    // The status comes from the target's user: anything but what the agent writes is an Error.
    for (const char* bad : {"message=41zz42\n", "message=414\n", "no equals sign\n", "state=646f6e65",
                            "State=41\n", "=41\n", "state=41\nstate=42\n", "a b=41\n"})
        CHECK_THROWS_WITH_AS(decode_fields(bad), doctest::Contains("malformed fields"), Error);
}

TEST_CASE("a status is validated: known state and fields, strict numbers, bounded text") {
    auto status = [](const Fields& f) { return parse_status(encode_fields(f)); };
    AgentStatus s = status({{"state", "done"}, {"path", "/tmp/x.hds"}, {"pause", "0.25"}, {"python", "3.11.7"}});
    CHECK(s.state == "done");
    CHECK(s.path == "/tmp/x.hds");
    CHECK(s.pause_seconds == doctest::Approx(0.25));
    CHECK(status({{"state", "walking"}}).state == "walking");
    CHECK_THROWS_WITH_AS(status({{"state", "owned"}}), doctest::Contains("unknown state"), Error);
    CHECK_THROWS_WITH_AS(status({{"state", "done"}, {"extra", "1"}}), doctest::Contains("unknown field"), Error);
    for (const char* pause : {"nan", "inf", "-1", "1e400", "0x10", "1.5s", " 1", ""})
        if (*pause) CHECK_THROWS_AS(status({{"state", "done"}, {"pause", pause}}), Error);
    CHECK_THROWS_AS(status({{"state", "done"}, {"python", "3.11\n\x1b[2J"}}), Error);
    CHECK_THROWS_AS(status({{"state", "done"}, {"path", std::string(5000, 'a')}}), Error);
    CHECK_THROWS_AS(status({{"state", "done"}, {"path", std::string("/a\0b", 4)}}), Error);
    // An error's text is kept short; printable() escapes what it holds when it is shown.
    AgentStatus e = status({{"state", "error"}, {"message", std::string(100000, 'x')}});
    CHECK(e.message.size() < 2100);
    CHECK(e.message.find("more bytes") != std::string::npos);
}

TEST_CASE("dynamic symbols of a real library, and none in what is not an ELF") {
    std::string libc = loaded_library("libc.so");
    REQUIRE(!libc.empty());
    auto found = find_dynamic_symbols(libc, {"malloc", "free", "no_such_symbol_here"});
    REQUIRE(found.size() >= 2);
    for (const ElfSymbol& s : found) {
        CHECK((s.name == "malloc" || s.name == "free"));
        CHECK(s.value != 0);
    }
    test::TempDir dir;
    std::string text = dir.path() + "/not-elf";
    std::ofstream(text) << "#!/bin/sh\necho hello\n";
    CHECK(find_dynamic_symbols(text, {"malloc"}).empty());
    CHECK_THROWS_WITH_AS(find_dynamic_symbols(dir.path() + "/missing", {"malloc"}),
                         doctest::Contains("cannot read"), Error);
}

TEST_CASE("refusals before touching anything") {
    CHECK_THROWS_WITH_AS(inspect_target(0), "no process with pid 0", Error);
    CHECK_THROWS_WITH_AS(inspect_target(999999999), "no process with pid 999999999", Error);
    CHECK_THROWS_WITH_AS(inspect_target(::getpid()), doctest::Contains("is heapdiff itself"), Error);
    CHECK(process_alive(::getpid()));
    CHECK_FALSE(process_alive(999999999));
}

TEST_CASE("a program found through the target runs only when nobody else could have changed it") {
    CHECK(only_caller_or_root_can_change("/bin/sh") == only_caller_or_root_can_change("/usr/bin/sh"));
    test::TempDir dir;
    const std::string program = dir.path() + "/python3.14";
    std::ofstream(program) << "#!/bin/sh\n";
    ::chmod(dir.path().c_str(), 0755);
    ::chmod(program.c_str(), 0755);
    const bool trusted_parent = only_caller_or_root_can_change(dir.path());
    CHECK(only_caller_or_root_can_change(program) == trusted_parent);
    ::chmod(program.c_str(), 0775);  // a group may rewrite it
    CHECK_FALSE(only_caller_or_root_can_change(program));
    ::chmod(program.c_str(), 0755);
    ::chmod(dir.path().c_str(), 0777);  // anyone may replace it
    CHECK_FALSE(only_caller_or_root_can_change(program));
    ::chmod(dir.path().c_str(), 0755);
    if (::geteuid() == 0) {
        REQUIRE(::chown(program.c_str(), 65534, 65534) == 0);  // the target's user's own build
        CHECK_FALSE(only_caller_or_root_can_change(program));
    }
    CHECK_FALSE(only_caller_or_root_can_change("relative/python"));
    CHECK_FALSE(only_caller_or_root_can_change(dir.path() + "/missing"));
}
