// diff_snapshots with three or more snapshots: rows count the survivors (born between
// the first two snapshots, alive in every later one); the other objects born then are
// churn. Identity across snapshots follows the same rules as with two.
#include <doctest/doctest.h>

#include "heapdiff/diff.h"
#include "test_diff_helpers.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

// s0: a dict and a Temp that live before the window.
// s1: two Leaks, a dict and three Temps are born.
// s2: the Leaks and the new dict (grown) are still there; the Temps are gone: 0x400
//     freed, 0x440's address now holds a dict, 0x480's holds another Temp allocated
//     elsewhere. A Leak born after s1 is not counted at all.
struct Window {
    DiffSnap s0, s1, s2;
    Window() {
        s0.object(0x100, s0.type("builtins.dict", "builtins"), 232);
        s0.object(0x200, s0.type("app.Temp", "app"), 40);

        TypeId leak = s1.type("app.Leak", "app"), temp = s1.type("app.Temp", "app");
        TypeId dict = s1.type("builtins.dict", "builtins");
        s1.object(0x100, dict, 232);
        s1.object(0x300, leak, 64, s1.traceback({{"/srv/leak.py", 3}, {"/srv/main.py", 1}}));
        s1.object(0x340, leak, 64, s1.traceback({{"/srv/leak.py", 3}, {"/srv/main.py", 1}}));
        s1.object(0x500, dict, 232, s1.traceback({{"/srv/leak.py", 4}, {"/srv/main.py", 1}}));
        s1.object(0x400, temp, 40, s1.traceback({{"/srv/temp.py", 9}}));
        s1.object(0x440, temp, 40, s1.traceback({{"/srv/temp.py", 9}}));
        s1.object(0x480, temp, 48, s1.traceback({{"/srv/temp.py", 9}}));

        leak = s2.type("app.Leak", "app"), temp = s2.type("app.Temp", "app");
        dict = s2.type("builtins.dict", "builtins");
        s2.object(0x100, dict, 232);
        s2.object(0x300, leak, 64, s2.traceback({{"/srv/leak.py", 3}, {"/srv/main.py", 1}}));
        s2.object(0x340, leak, 64);  // traceback unknown here: still the same object
        s2.object(0x500, dict, 640, s2.traceback({{"/srv/leak.py", 4}, {"/srv/main.py", 1}}));
        s2.object(0x440, dict, 232, s2.traceback({{"/srv/temp.py", 9}}));
        s2.object(0x480, temp, 48, s2.traceback({{"/srv/other.py", 2}}));
        s2.object(0x600, leak, 64, s2.traceback({{"/srv/leak.py", 3}, {"/srv/main.py", 1}}));
    }
};

}  // namespace

TEST_CASE("three snapshots: rows count what was born between the first two and is still alive") {
    Window w;
    DiffReport r = diff({w.s0, w.s1, w.s2});
    CHECK(r.snapshots == 3);
    // Sizes are the newest snapshot's; with no older count to subtract, diffs equal totals.
    CHECK(object_rows(r) ==
          "builtins.dict: 1 640 (+1 +640) new 1 freed 0\n"
          "app.Leak: 2 128 (+2 +128) new 2 freed 0\n");
    CHECK(r.churn_count == 3);
    CHECK(r.churn_size == 40 + 40 + 48);  // as big as they were in the second snapshot
}

TEST_CASE("three snapshots grouped by module, or by the survivors' allocation site") {
    Window w;
    DiffOptions o;
    o.group_by = GroupBy::Module;
    CHECK(object_rows(diff({w.s0, w.s1, w.s2}, o)) ==
          "builtins: 1 640 (+1 +640) new 1 freed 0\n"
          "app: 2 128 (+2 +128) new 2 freed 0\n");

    // Trace groupings count the survivors by the traceback they have in the newest
    // snapshot (walked objects, not tracemalloc's blocks); the first snapshot need not
    // have been traced. The Leak whose traceback is unknown there is in no row.
    w.s1.tracing();
    w.s2.tracing();
    o.group_by = GroupBy::Lineno;
    DiffReport r = diff({w.s0, w.s1, w.s2}, o);
    CHECK(trace_rows(r) ==
          "/srv/leak.py:4: 1 640 (+1 +640) walked 640\n"
          "/srv/leak.py:3: 1 64 (+1 +64) walked 64\n");
    CHECK(r.groups[0].new_objects == 1);
    o.group_by = GroupBy::Traceback;
    r = diff({w.s0, w.s1, w.s2}, o);
    REQUIRE(r.groups.size() == 2);
    CHECK(r.groups[0].key == "/srv/leak.py:4 <- /srv/main.py:1");
    CHECK(frames_text(r.groups[0]) == "/srv/main.py:1 > /srv/leak.py:4");
    CHECK(r.churn_count == 3);
}

TEST_CASE("three snapshots: tracemalloc's statistics play no part") {
    Window w;
    w.s1.tracing();
    w.s2.tracing().trace(w.s2.traceback({{"/srv/leak.py", 3}, {"/srv/main.py", 1}}), 1000, 1000000);
    DiffOptions o;
    o.group_by = GroupBy::Lineno;
    DiffReport r = diff({w.s0, w.s1, w.s2}, o);
    REQUIRE(find_row(r, "/srv/leak.py:3") != nullptr);
    CHECK(find_row(r, "/srv/leak.py:3")->count == 1);
    CHECK(find_row(r, "/srv/leak.py:3")->size == 64);
}

TEST_CASE("three snapshots: filters select survivors and churn alike") {
    Window w;
    DiffOptions o;
    o.types = {"Leak"};
    DiffReport r = diff({w.s0, w.s1, w.s2}, o);
    CHECK(object_rows(r) == "app.Leak: 2 128 (+2 +128) new 2 freed 0\n");
    CHECK(r.churn_count == 0);
    CHECK(r.churn_size == 0);

    o.types = {"Temp"};
    r = diff({w.s0, w.s1, w.s2}, o);
    CHECK(r.groups.empty());
    CHECK(r.churn_count == 3);
    CHECK(r.churn_size == 128);

    o.types = {};
    o.include = {"*/temp.py"};
    r = diff({w.s0, w.s1, w.s2}, o);
    CHECK(r.groups.empty());
    CHECK(r.churn_count == 3);
    o.include = {};
    o.exclude = {"*/temp.py"};
    r = diff({w.s0, w.s1, w.s2}, o);
    CHECK(object_rows(r) ==
          "builtins.dict: 1 640 (+1 +640) new 1 freed 0\n"
          "app.Leak: 2 128 (+2 +128) new 2 freed 0\n");
    CHECK(r.churn_count == 0);
}

TEST_CASE("three snapshots: an address reused by the same type, traceback unknown, looks like a survivor") {
    // The documented limit of identity by address: a lower bound for churn.
    DiffSnap s0, s1, s2;
    s1.object(0x700, s1.type("app.Temp", "app"), 40, s1.traceback({{"/srv/temp.py", 9}}));
    s2.object(0x700, s2.type("app.Temp", "app"), 40);  // another Temp, in the freed one's place
    DiffReport r = diff({s0, s1, s2});
    CHECK(object_rows(r) == "app.Temp: 1 40 (+1 +40) new 1 freed 0\n");
    CHECK(r.churn_count == 0);
}

TEST_CASE("four snapshots: a survivor must be alive in every later snapshot") {
    DiffSnap s0, s1, s2, s3;
    s0.object(0x10, s0.type("app.Old", "app"), 8);
    for (DiffSnap* s : {&s1, &s2, &s3}) s->object(0x10, s->type("app.Old", "app"), 8);  // born before: never counted
    TypeId x = s1.type("app.X", "app");
    s1.object(0x100, x, 10).object(0x200, x, 20).object(0x300, x, 40).object(0x400, x, 80);
    x = s2.type("app.X", "app");
    s2.object(0x100, x, 11).object(0x200, x, 20).object(0x400, x, 80);  // 0x300 gone
    s2.object(0x500, x, 1000);  // born between the second and third: not counted
    x = s3.type("app.X", "app");
    s3.object(0x100, x, 12);                                // alive throughout
    s3.object(0x300, x, 40);                                // back at the same address: too late
    s3.object(0x400, s3.type("app.Y", "app"), 80);          // address taken by another type
    s3.object(0x500, x, 1000);
    DiffReport r = diff({s0, s1, s2, s3});
    CHECK(r.snapshots == 4);
    CHECK(object_rows(r) == "app.X: 1 12 (+1 +12) new 1 freed 0\n");
    CHECK(r.churn_count == 3);
    CHECK(r.churn_size == 20 + 40 + 80);

    // The same objects as three snapshots: 0x200 and 0x400 survive to s2.
    r = diff({s0, s1, s2});
    CHECK(object_rows(r) == "app.X: 3 111 (+3 +111) new 3 freed 0\n");
    CHECK(r.churn_count == 1);
    CHECK(r.churn_size == 40);
}

TEST_CASE("four snapshots: tracebacks that differ in a later pair end the object's life") {
    DiffSnap s0, s1, s2, s3;
    s1.object(0x100, s1.type("app.X", "app"), 10, s1.traceback({{"/srv/x.py", 1}}));
    s2.object(0x100, s2.type("app.X", "app"), 10);  // unknown: same
    s3.object(0x100, s3.type("app.X", "app"), 10, s3.traceback({{"/srv/x.py", 2}}));
    // Each pair is compared on its own: s1~s2 and s2~s3 both match, since s2 knows no
    // traceback, although s1 and s3 disagree.
    DiffReport r = diff({s0, s1, s2, s3});
    CHECK(object_rows(r) == "app.X: 1 10 (+1 +10) new 1 freed 0\n");
    CHECK(r.churn_count == 0);

    DiffSnap t2;
    t2.object(0x100, t2.type("app.X", "app"), 10, t2.traceback({{"/srv/x.py", 1}}));
    r = diff({s0, s1, t2, s3});
    CHECK(r.groups.empty());
    CHECK(r.churn_count == 1);
}

TEST_CASE("three snapshots with nothing born") {
    DiffSnap s0, s1, s2;
    for (DiffSnap* s : {&s0, &s1, &s2}) s->object(0x10, s->type("app.Old", "app"), 8);
    DiffReport r = diff({s0, s1, s2});
    CHECK(r.groups.empty());
    CHECK(r.churn_count == 0);
    CHECK(r.churn_size == 0);
}

TEST_CASE("three snapshots grouped by traces: churn counts the objects that have a traceback") {
    DiffSnap s0, s1, s2;
    s1.tracing();
    s2.tracing();
    TypeId t = s1.type("app.Temp", "app");
    s1.object(0x100, t, 10, s1.traceback({{"/srv/temp.py", 9}}));
    s1.object(0x200, t, 20);  // no traceback: in no row, alive or not
    DiffOptions o;
    o.group_by = GroupBy::Filename;
    DiffReport r = diff({s0, s1, s2}, o);
    CHECK(r.groups.empty());
    CHECK(r.churn_count == 1);
    CHECK(r.churn_size == 10);
    CHECK(diff({s0, s1, s2}).churn_count == 2);  // by type, both count
}

// The same window over traced blocks (raw buffers: no object at all), grouped by line.
TEST_CASE("three snapshots grouped by lineno follow traced blocks, so leaked buffers survive and churn does not") {
    DiffSnap s0, s1, s2;
    for (DiffSnap* s : {&s0, &s1, &s2}) s->tracing();
    auto leak = [](DiffSnap& s) { return s.traceback({{"/srv/ujson.py", 12}, {"/srv/main.py", 1}}); };
    auto temp = [](DiffSnap& s) { return s.traceback({{"/srv/temp.py", 9}}); };
    s0.block(0x1000, 512, temp(s0));  // before the window
    s1.block(0x1000, 512, temp(s1));
    s1.block(0x2000, 524288, leak(s1)).block(0x90000, 524288, leak(s1));  // two leaked buffers
    s1.block(0x3000, 100, temp(s1)).block(0x3100, 100, temp(s1));         // churn
    s2.block(0x1000, 512, temp(s2));
    s2.block(0x2000, 524288, leak(s2)).block(0x90000, 524288, leak(s2));
    s2.block(0x3000, 200, temp(s2));  // the address reused by another block: not the same
    s2.block(0x5000, 524288, leak(s2));  // born after s1: not counted
    DiffOptions o;
    o.group_by = GroupBy::Lineno;
    DiffReport r = diff({s0, s1, s2}, o);
    CHECK(object_rows(r) == "/srv/ujson.py:12: 2 1048576 (+2 +1048576) new 2 freed 0\n");
    CHECK(r.churn_count == 2);
    CHECK(r.churn_size == 200);
    CHECK(r.notes.empty());
}

TEST_CASE("three snapshots grouped by traces without block lists say that only objects are followed") {
    Window w;
    for (DiffSnap* s : {&w.s0, &w.s1, &w.s2}) s->tracing();
    DiffOptions o;
    o.group_by = GroupBy::Lineno;
    DiffReport r = diff({w.s0, w.s1, w.s2}, o);
    REQUIRE(r.notes.size() == 1);
    CHECK(r.notes[0].find("no list of traced blocks") != std::string::npos);
}
