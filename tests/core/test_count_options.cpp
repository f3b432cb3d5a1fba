// One rule for every count option of every command: a whole number in decimal from the
// option's minimum up to what it can hold. -1 used to mean "everything" for --top, pass
// silently for --min-size and --frames, and be refused for --max-depth; now a negative,
// non-numeric or too large value is a usage error (exit 2, one line naming the option)
// wherever it is given, and 0 means what each option's help says.
#include <doctest/doctest.h>

#include "cli_run.h"
#include "commands/count_option.h"
#include "heapdiff/writer.h"
#include "snapshot_builder.h"
#include "temp_dir.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

// Three types: one str, two ints, three dicts (each dict refers to the next).
std::string small_snapshot(const TempDir& dir) {
    SnapshotBuilder b;
    TypeId str = b.type("builtins.str", 0xa0), integer = b.type("builtins.int", 0xb0), dict = b.type("builtins.dict", 0xc0);
    b.object(0x1000, str, 50, 1, 0, {}, "x");
    b.object(0x2000, integer, 28, 1);
    b.object(0x2100, integer, 28, 1);
    b.object(0x3000, dict, 200, 1, 1);
    b.edge(0x3100, EdgeKind::Unknown);
    b.object(0x3100, dict, 200, 1, 1);
    b.edge(0x3200, EdgeKind::Unknown);
    b.object(0x3200, dict, 200, 1, 1);
    const std::string path = dir.file("s.hds");
    write_snapshot(b.take(), path);
    return path;
}

struct CountOption {
    std::vector<std::string> command;  // the command and what it needs besides the option
    std::string option;
};

std::vector<CountOption> every_count_option(const std::string& s, const std::string& picture) {
    return {
        {{"summary", s}, "--top"},
        {{"diff", s, s}, "--top"},
        {{"diff", s, s}, "--min-size"},
        {{"diff", s, s}, "--frames"},
        {{"orphans", s}, "--top"},
        {{"backrefs", s, "--type", "dict"}, "--paths"},
        {{"backrefs", s, "--type", "dict"}, "--max-depth"},
        {{"backrefs", s, "--type", "dict", "-o", picture}, "--too-many"},
        {{"refs", s, "--type", "dict"}, "--max-depth"},
        {{"refs", s, "--type", "dict", "-o", picture}, "--too-many"},
        {{"retained", s, "--type", "dict"}, "--top"},
        {{"retained", s, "--type", "dict"}, "--max-depth"},
        {{"retained", s, "--type", "dict", "-o", picture}, "--too-many"},
        {{"top", s}, "--top"},
        {{"garbage", s}, "--top"},
    };
}

std::vector<std::string> with(std::vector<std::string> args, const std::string& option, const std::string& value) {
    args.push_back(option);
    args.push_back(value);
    return args;
}

}  // namespace

TEST_CASE("every count option of every command refuses -1 as a usage error naming it") {
    TempDir dir;
    const std::string s = small_snapshot(dir);
    for (const CountOption& c : every_count_option(s, dir.file("p.dot"))) {
        for (const std::string bad : {"-1", "-0", "1.5", "0x10", "many", "", "18446744073709551616"}) {
            CAPTURE(c.command[0]);
            CAPTURE(c.option);
            CAPTURE(bad);
            CliResult r = run_cli(with(c.command, c.option, bad));
            CAPTURE(r.err);
            CHECK(r.exit_code == 2);
            CHECK(r.out.empty());
            CHECK(r.err.rfind("heapdiff: " + c.option + ": '" + bad + "' ", 0) == 0);
            CHECK(r.err.find('\n') == r.err.size() - 1);
        }
        // And takes a count, even one written with a leading zero.
        CAPTURE(c.command[0]);
        CAPTURE(c.option);
        CliResult r = run_cli(with(c.command, c.option, "02"));
        CAPTURE(r.err);
        CHECK(r.exit_code == 0);
    }
}

TEST_CASE("the count validator: digits only, within the option's range") {
    using heapdiff::cli::count_error;
    CHECK(count_error("0", 0, 10).empty());
    CHECK(count_error("10", 0, 10).empty());
    CHECK(count_error("0010", 0, 10).empty());
    CHECK(count_error("11", 0, 10) == "'11' is too large (at most 10)");
    CHECK(count_error("4294967296", 0, 4294967295u) == "'4294967296' is too large (at most 4294967295)");
    CHECK(count_error("99999999999999999999999", 0, UINT64_MAX).find("too large") != std::string::npos);
    CHECK(count_error("0", 1, 10) == "'0' is too small: give a whole number of at least 1");
    CHECK(count_error("-1", 0, 10) == "'-1' is not a count: give a whole number of at least 0");
    CHECK(count_error("+1", 0, 10).find("is not a count") != std::string::npos);
    CHECK(count_error(" 1", 0, 10).find("is not a count") != std::string::npos);
    CHECK(cli::rows_to_show(5, 0) == 5);
    CHECK(cli::rows_to_show(5, 3) == 3);
    CHECK(cli::rows_to_show(5, 9) == 5);
}

TEST_CASE("--paths starts at 1: no chain is not a number of chains") {
    TempDir dir;
    CliResult r = run_cli({"backrefs", small_snapshot(dir), "--type", "dict", "--paths", "0"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.rfind("heapdiff: --paths: '0' is too small: give a whole number of at least 1", 0) == 0);
}

TEST_CASE("--top 0 shows every row, in every command that has it") {
    TempDir dir;
    const std::string s = small_snapshot(dir);
    CliResult summary = run_cli({"summary", s, "--top", "0"});
    CHECK(summary.out.find("All 3 types by count") != std::string::npos);
    CHECK(summary.out.find("builtins.str") != std::string::npos);
    CliResult one = run_cli({"summary", s, "--top", "1"});
    CHECK(one.out.find("Top 1 types by count") != std::string::npos);
    CHECK(one.out.find("builtins.str") == std::string::npos);

    CliResult top = run_cli({"top", s, "--by", "size", "--top", "0"});
    CHECK(top.out.find("6 largest objects of 6 objects") != std::string::npos);
    CliResult types = run_cli({"top", s, "--group-by", "type", "--top", "0"});
    CHECK(types.out.find("3 types by retained") != std::string::npos);
    CliResult garbage = run_cli({"garbage", s, "--top", "0"});
    CHECK(garbage.out.find("more types (--top)") == std::string::npos);
    CliResult retained = run_cli({"retained", s, "--type", "dict", "--pick", "first", "--top", "0"});
    CHECK(retained.out.find("more types") == std::string::npos);
}

TEST_CASE("--max-depth 0 is no reference at all, not the default") {
    TempDir dir;
    const std::string s = small_snapshot(dir);
    // The last dict is reached from the first (a root: nothing refers to it, its
    // refcount says something does) in two references.
    CliResult deep = run_cli({"backrefs", s, "--type", "dict", "--to", "root"});
    CHECK(deep.out.find("shortest chain from a root, 2 references") != std::string::npos);
    CliResult none = run_cli({"backrefs", s, "--type", "dict", "--to", "root", "--max-depth", "0"});
    CHECK(none.exit_code == 0);
    CHECK(none.out.find("no chain from a root within 0 references") != std::string::npos);
}
