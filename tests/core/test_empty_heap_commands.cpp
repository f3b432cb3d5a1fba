// A valid snapshot of no objects (a heap can be empty, or a probe can miss every object)
// is an input like any other: every command treats it as empty, with zero totals and
// "no objects", or, where it needs an object, gives its usual one line. It used to end
// in "internal error" in six commands: the reader left an empty heap without its (empty)
// edge columns, and the graph took that for a snapshot loaded without edges.
#include <doctest/doctest.h>

#include <algorithm>

#include "cli_run.h"
#include "heapdiff/writer.h"
#include "temp_dir.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

std::string empty_snapshot(const TempDir& dir) {
    Snapshot s;
    s.facts.push_back({"label", format::FactKind::String, 0, 0, "nothing"});
    const std::string path = dir.file("empty.hds");
    write_snapshot(s, path);
    return path;
}

// Succeeded, said nothing on stderr, and printed `expected` somewhere on stdout.
void check_ok(const std::vector<std::string>& args, const std::string& expected) {
    CliResult r = run_cli(args);
    CAPTURE(args[0]);
    CAPTURE(args.back());
    CAPTURE(r.out);
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK(r.out.find(expected) != std::string::npos);
}

// Failed as "not found" (exit 4) with one line on stderr that says `expected`, and nothing
// on stdout but, with --json, the JSON error.
void check_one_line(const std::vector<std::string>& args, const std::string& expected) {
    CliResult r = run_cli(args);
    CAPTURE(r.err);
    CHECK(r.exit_code == 4);
    if (std::find(args.begin(), args.end(), "--json") == args.end())
        CHECK(r.out.empty());
    else
        CHECK(r.out.rfind("{\"error\":{\"kind\":\"not_found\",\"message\":\"" + expected, 0) == 0);  // json_output.h: compact
    CHECK(r.err.find(expected) != std::string::npos);
    CHECK(r.err.find('\n') == r.err.size() - 1);
    CHECK(r.err.find("internal error") == std::string::npos);
}

}  // namespace

TEST_CASE("summary of an empty heap: zero totals and no objects") {
    TempDir dir;
    const std::string path = empty_snapshot(dir);
    check_ok({"summary", path}, "objects 0  bytes 0 B  gc-tracked 0");
    check_ok({"summary", path}, "\nno objects\n");
    check_ok({"summary", path, "--json"},
             "{\"bytes\":0,\"garbage\":{\"bytes\":0,\"objects\":0},\"gc_tracked\":0,\"label\":\"nothing\","
             "\"objects\":0,\"types\":[],\"unreferenced\":{\"objects\":0,\"search\":\"\",\"searched\":false}}\n");
    // A snapshot without the allocator scan's facts says so, never "none found".
    check_ok({"summary", path}, "unreferenced objects not searched");
}

TEST_CASE("diff and orphans of empty heaps: no difference, no orphans") {
    TempDir dir;
    const std::string path = empty_snapshot(dir);
    check_ok({"diff", path, path}, "no difference");
    check_ok({"diff", path, path, path}, "no survivors");
    check_ok({"diff", path, path, "--json"}, "\"groups\":[]");
    check_ok({"diff", path, path, "--csv"}, "key,count,size");
    check_ok({path, path, "--group-by", "module"}, "no difference");
    check_ok({"orphans", path}, "0 objects (0 B)");
    check_ok({"orphans", path, path}, "0 objects (0 B)");
    check_ok({"orphans", path, "--json"},
             "{\"bytes\":0,\"objects\":0,\"types\":[],\"unreferenced_objects\":0,\"unreferenced_search\":\"\","
             "\"unreferenced_searched\":false}\n");
    check_ok({"orphans", path}, "unreferenced objects not searched");
    check_ok({"diff", path, path}, "note: unreferenced objects not searched");
}

TEST_CASE("top and garbage of an empty heap: no objects") {
    TempDir dir;
    const std::string path = empty_snapshot(dir);
    check_ok({"top", path}, "no objects in " + path);
    check_ok({"top", path, "--by", "size"}, "no objects in " + path);
    check_ok({"top", path, "--group-by", "type"}, "no objects in " + path);
    check_ok({"top", path, "--by", "count"}, "no objects in " + path);
    check_ok({"top", path, "--json"}, "\"rows\":[]");
    check_ok({"top", path, "--group-by", "type", "--json"}, "\"rows\":[]");
    check_ok({"garbage", path}, "no objects in " + path + ", so no cyclic trash");
    check_ok({"garbage", path, "--json"}, "{\"bytes\":0,\"finalizers\":0,\"in_gc_garbage\":0,\"objects\":0,\"types\":[]}\n");
}

TEST_CASE("commands that need an object say there is none, as for any other heap") {
    TempDir dir;
    const std::string path = empty_snapshot(dir);
    for (const char* command : {"backrefs", "refs", "retained"}) {
        CAPTURE(command);
        check_one_line({command, path, "--type", "DB"}, "no object of type 'DB' in " + path);
        check_one_line({command, path, "--type", "DB", "--json"}, "no object of type 'DB' in " + path);
        check_one_line({command, path, "--address", "0x1000"}, "no object at 0x1000 in " + path + " (it holds no objects)");
    }
    check_one_line({"backrefs", path, "--chain", "0x10,0x20"}, "no object at 0x10");
    check_one_line({"backrefs", path, "--type", "DB", "--to", "root", "-o", dir.file("x.png")}, "no object of type 'DB'");
}
