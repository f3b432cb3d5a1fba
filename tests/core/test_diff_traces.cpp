// diff_snapshots grouped by traceback, filename and lineno: the numbers come from
// tracemalloc's statistics of every traced block (Snapshot::trace_stats), the walked
// objects only fill walked_size; --frames, --cumulative and the file filters.
#include <doctest/doctest.h>

#include "heapdiff/diff.h"
#include "test_diff_helpers.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

// Four allocation sites (most recent frame first, as stored):
//   T1 app.py:10 <- main.py:5              grows 2 -> 5 blocks, spread over two domains
//   T2 app.py:20 <- main.py:5              1 block, gone in the newer snapshot
//   T3 lib.py:7  <- app.py:11 <- main.py:5 unchanged, and no walked object was allocated there
//   T4 lib.py:7  <- app.py:12 <- main.py:6 new
struct Sites {
    DiffSnap a, b;
    Sites() {
        TracebackId t1 = a.traceback({{"/srv/app.py", 10}, {"/srv/main.py", 5}});
        TracebackId t2 = a.traceback({{"/srv/app.py", 20}, {"/srv/main.py", 5}});
        TracebackId t3 = a.traceback({{"/venv/lib.py", 7}, {"/srv/app.py", 11}, {"/srv/main.py", 5}});
        a.tracing().trace(t1, 2, 200).trace(t2, 1, 50).trace(t3, 3, 300);
        a.object(0x900, a.type("builtins.bytes", "builtins"), 50, t2);  // walked, but only the newest counts

        TracebackId u4 = b.traceback({{"/venv/lib.py", 7}, {"/srv/app.py", 12}, {"/srv/main.py", 6}});
        TracebackId u3 = b.traceback({{"/venv/lib.py", 7}, {"/srv/app.py", 11}, {"/srv/main.py", 5}});
        TracebackId u1 = b.traceback({{"/srv/app.py", 10}, {"/srv/main.py", 5}});
        b.tracing().trace(u1, 4, 400).trace(u3, 3, 300).trace(u4, 4, 1000).trace(u1, 1, 100, 7);
        b.object(0x10, b.type("builtins.bytes", "builtins"), 120, u1);
        b.object(0x20, b.type("builtins.dict", "builtins"), 60, u1);
        b.object(0x30, b.type("builtins.list", "builtins"), 100, u4);
        b.object(0x40, b.type("builtins.str", "builtins"), 500);  // no traceback: in no row
    }
    DiffReport run(GroupBy g, std::size_t frames = 0, bool cumulative = false, std::vector<std::string> include = {},
                   std::vector<std::string> exclude = {}) {
        DiffOptions o;
        o.group_by = g;
        o.frames = frames;
        o.cumulative = cumulative;
        o.include = std::move(include);
        o.exclude = std::move(exclude);
        return diff({a, b}, o);
    }
};

const char* const kT1 = "/srv/app.py:10 <- /srv/main.py:5";
const char* const kT2 = "/srv/app.py:20 <- /srv/main.py:5";
const char* const kT3 = "/venv/lib.py:7 <- /srv/app.py:11 <- /srv/main.py:5";
const char* const kT4 = "/venv/lib.py:7 <- /srv/app.py:12 <- /srv/main.py:6";

}  // namespace

TEST_CASE("diff by traceback: every traced block counts, objects fill walked_size") {
    Sites s;
    DiffReport r = s.run(GroupBy::Traceback);
    CHECK(r.group_by == GroupBy::Traceback);
    CHECK(trace_rows(r) == std::string(kT4) + ": 4 1000 (+4 +1000) walked 100\n" +  //
                               kT1 + ": 5 500 (+3 +300) walked 180\n" +              //
                               kT2 + ": 0 0 (-1 -50) walked 0\n" +                   //
                               kT3 + ": 3 300 (0 0) walked 0\n");
    // Displayed most recent call last.
    CHECK(frames_text(r.groups[0]) == "/srv/main.py:6 > /srv/app.py:12 > /venv/lib.py:7");
    CHECK(frames_text(r.groups[2]) == "/srv/main.py:5 > /srv/app.py:20");
    for (const GroupDiff& g : r.groups) {
        CHECK(g.new_objects == 0);
        CHECK(g.freed_objects == 0);
    }
}

TEST_CASE("diff by lineno and by filename: the newest frame") {
    Sites s;
    DiffReport r = s.run(GroupBy::Lineno);
    CHECK(trace_rows(r) ==
          "/venv/lib.py:7: 7 1300 (+4 +1000) walked 100\n"
          "/srv/app.py:10: 5 500 (+3 +300) walked 180\n"
          "/srv/app.py:20: 0 0 (-1 -50) walked 0\n");
    CHECK(frames_text(r.groups[0]) == "/venv/lib.py:7");

    r = s.run(GroupBy::Filename);
    CHECK(trace_rows(r) ==
          "/venv/lib.py: 7 1300 (+4 +1000) walked 100\n"
          "/srv/app.py: 5 500 (+2 +250) walked 180\n");
    CHECK(frames_text(r.groups[0]) == "/venv/lib.py:0");
}

TEST_CASE("--cumulative counts a block once under each distinct frame") {
    Sites s;
    CHECK(trace_rows(s.run(GroupBy::Lineno, 0, true)) ==
          "/venv/lib.py:7: 7 1300 (+4 +1000) walked 100\n"
          "/srv/app.py:12: 4 1000 (+4 +1000) walked 100\n"
          "/srv/main.py:6: 4 1000 (+4 +1000) walked 100\n"
          "/srv/app.py:10: 5 500 (+3 +300) walked 180\n"
          "/srv/main.py:5: 8 800 (+2 +250) walked 180\n"
          "/srv/app.py:20: 0 0 (-1 -50) walked 0\n"
          "/srv/app.py:11: 3 300 (0 0) walked 0\n");
    CHECK(trace_rows(s.run(GroupBy::Filename, 0, true)) ==
          "/srv/app.py: 12 1800 (+6 +1250) walked 280\n"
          "/srv/main.py: 12 1800 (+6 +1250) walked 280\n"
          "/venv/lib.py: 7 1300 (+4 +1000) walked 100\n");
}

TEST_CASE("--cumulative: a file or line that repeats in one traceback counts once") {
    DiffSnap a, b;
    a.tracing();
    TracebackId rec = b.traceback({{"/srv/a.py", 1}, {"/srv/a.py", 1}, {"/srv/a.py", 2}, {"/srv/b.py", 3}});
    b.tracing().trace(rec, 2, 64);
    b.object(0x10, b.type("builtins.list", "builtins"), 56, rec);
    DiffOptions o;
    o.cumulative = true;
    o.group_by = GroupBy::Filename;
    CHECK(trace_rows(diff({a, b}, o)) ==
          "/srv/a.py: 2 64 (+2 +64) walked 56\n"
          "/srv/b.py: 2 64 (+2 +64) walked 56\n");
    o.group_by = GroupBy::Lineno;
    CHECK(trace_rows(diff({a, b}, o)) ==
          "/srv/a.py:1: 2 64 (+2 +64) walked 56\n"
          "/srv/a.py:2: 2 64 (+2 +64) walked 56\n"
          "/srv/b.py:3: 2 64 (+2 +64) walked 56\n");
}

TEST_CASE("--frames N keeps the N most recent frames; rows that become equal merge") {
    Sites s;
    DiffReport r = s.run(GroupBy::Traceback, 1);
    CHECK(trace_rows(r) ==
          "/venv/lib.py:7: 7 1300 (+4 +1000) walked 100\n"
          "/srv/app.py:10: 5 500 (+3 +300) walked 180\n"
          "/srv/app.py:20: 0 0 (-1 -50) walked 0\n");
    CHECK(frames_text(r.groups[0]) == "/venv/lib.py:7");

    r = s.run(GroupBy::Traceback, 2);
    CHECK(trace_rows(r) ==
          "/venv/lib.py:7 <- /srv/app.py:12: 4 1000 (+4 +1000) walked 100\n"
          "/srv/app.py:10 <- /srv/main.py:5: 5 500 (+3 +300) walked 180\n"
          "/srv/app.py:20 <- /srv/main.py:5: 0 0 (-1 -50) walked 0\n"
          "/venv/lib.py:7 <- /srv/app.py:11: 3 300 (0 0) walked 0\n");
    CHECK(frames_text(r.groups[0]) == "/srv/app.py:12 > /venv/lib.py:7");

    // More frames than any traceback has: nothing is cut.
    CHECK(trace_rows(s.run(GroupBy::Traceback, 25)) == trace_rows(s.run(GroupBy::Traceback)));
    // Non-cumulative filename and lineno rows only ever look at the newest frame.
    CHECK(trace_rows(s.run(GroupBy::Lineno, 1)) == trace_rows(s.run(GroupBy::Lineno)));

    // Cumulative rows only see the frames that are kept: main.py drops out of T3 and T4.
    r = s.run(GroupBy::Lineno, 2, true);
    CHECK(find_row(r, "/srv/main.py:6") == nullptr);
    REQUIRE(find_row(r, "/srv/main.py:5") != nullptr);
    CHECK(find_row(r, "/srv/main.py:5")->count == 5);
    CHECK(find_row(r, "/srv/main.py:5")->size_diff == 250);
}

TEST_CASE("--include and --exclude on traces look at the newest frame's file only") {
    Sites s;
    auto keys = [](const DiffReport& r) {
        std::string out;
        for (const GroupDiff& g : r.groups) out += g.key + "\n";
        return out;
    };
    CHECK(keys(s.run(GroupBy::Traceback, 0, false, {"/venv/*"})) == std::string(kT4) + "\n" + kT3 + "\n");
    CHECK(keys(s.run(GroupBy::Traceback, 0, false, {}, {"*/app.py"})) == std::string(kT4) + "\n" + kT3 + "\n");
    CHECK(keys(s.run(GroupBy::Traceback, 0, false, {"*/app.py"}, {"*:20"})) ==
          std::string(kT1) + "\n" + kT2 + "\n");  // globs see the file name, not the line
    CHECK(s.run(GroupBy::Traceback, 0, false, {"*/main.py"}).groups.empty());  // never the newest frame
    CHECK(keys(s.run(GroupBy::Traceback, 0, false, {"/srv/app.py", "/venv/lib.py"})) ==
          keys(s.run(GroupBy::Traceback)));
    // The newest frame stays the newest when tracebacks are cut.
    CHECK(keys(s.run(GroupBy::Traceback, 1, false, {"/venv/*"})) == "/venv/lib.py:7\n");
    // Cumulative: a block is selected by its newest frame, then counted under all of them.
    CHECK(trace_rows(s.run(GroupBy::Filename, 0, true, {"/venv/*"})) ==
          "/srv/app.py: 7 1300 (+4 +1000) walked 100\n"
          "/srv/main.py: 7 1300 (+4 +1000) walked 100\n"
          "/venv/lib.py: 7 1300 (+4 +1000) walked 100\n");
}

TEST_CASE("walked_size is what the newest snapshot's objects say, whether more or less than the blocks") {
    DiffSnap a, b;
    a.tracing();
    TracebackId buf = b.traceback({{"/srv/buf.py", 1}});
    TracebackId raw = b.traceback({{"/srv/raw.py", 2}});
    b.tracing().trace(buf, 1, 64).trace(raw, 10, 10000);
    // getsizeof of a container counts memory it holds in other blocks, allocated elsewhere.
    b.object(0x10, b.type("builtins.bytearray", "builtins"), 4153, buf);
    // raw.py's blocks are not objects the walk found (a C buffer, say).
    DiffOptions o;
    o.group_by = GroupBy::Lineno;
    CHECK(trace_rows(diff({a, b}, o)) ==
          "/srv/raw.py:2: 10 10000 (+10 +10000) walked 0\n"
          "/srv/buf.py:1: 1 64 (+1 +64) walked 4153\n");
}

TEST_CASE("trace groupings ignore --type for the counts, which come from blocks without a type") {
    Sites s;
    DiffOptions o;
    o.group_by = GroupBy::Lineno;
    o.types = {"dict"};
    DiffReport r = diff({s.a, s.b}, o);
    REQUIRE(find_row(r, "/srv/app.py:10") != nullptr);
    CHECK(find_row(r, "/srv/app.py:10")->count == 5);
    CHECK(find_row(r, "/srv/app.py:10")->walked_size == 60);  // only the dict's share
}
