// diff_snapshots refuses what it cannot do (one Error line naming the snapshot and the
// fix) and warns about what makes a diff suspect: other processes, other Python
// versions, snapshots given newest first. Also the fixed sort orders and name parsing.
#include <doctest/doctest.h>

#include "heapdiff/diff.h"
#include "heapdiff/error.h"
#include "test_diff_helpers.h"

using namespace heapdiff;
using namespace heapdiff::test;

TEST_CASE("fewer than two snapshots is an Error") {
    DiffSnap a;
    CHECK_THROWS_WITH_AS(diff({}), doctest::Contains("at least two snapshots"), Error);
    CHECK_THROWS_WITH_AS(diff({a}), doctest::Contains("at least two snapshots"), Error);
}

TEST_CASE("trace grouping of a snapshot taken without tracemalloc is an Error naming it and the fix") {
    for (GroupBy g : {GroupBy::Traceback, GroupBy::Filename, GroupBy::Lineno}) {
        CAPTURE(group_by_name(g));
        DiffOptions o;
        o.group_by = g;
        {
            DiffSnap a, b;
            a.tracing();
            b.tracing(0);  // tracemalloc was off
            CHECK_THROWS_WITH_AS(diff({a, b}, o), doctest::Contains("s1 was taken while tracemalloc was not tracing"),
                                 Error);
            CHECK_THROWS_WITH_AS(diff({a, b}, o), doctest::Contains("tracemalloc.start(25)"), Error);
        }
        {
            DiffSnap a, b;  // no fact at all: an old or hand-made snapshot
            b.tracing();
            CHECK_THROWS_WITH_AS(diff({a, b}, o), doctest::Contains("s0 was taken while tracemalloc"), Error);
        }
        {
            // Three snapshots: only the later ones need tracebacks (the survivors'),
            // so an untraced first snapshot is fine, an untraced second is not.
            DiffSnap a, b, c;
            b.tracing();
            c.tracing();
            CHECK_NOTHROW(diff({a, b, c}, o));
            DiffSnap d, e, f;
            d.tracing();
            f.tracing();
            CHECK_THROWS_WITH_AS(diff({d, e, f}, o), doctest::Contains("s1 was taken"), Error);
        }
    }
    // Object groupings need no tracing.
    DiffSnap a, b;
    DiffOptions o;
    o.group_by = GroupBy::Module;
    CHECK_NOTHROW(diff({a, b}, o));
}

TEST_CASE("the Error message is one line") {
    DiffSnap a, b;
    DiffOptions o;
    o.group_by = GroupBy::Traceback;
    try {
        diff_snapshots({a, b}, {"before.hds", "after.hds"}, o);
        FAIL("no Error");
    } catch (const Error& e) {
        std::string m = e.what();
        CHECK(m.find('\n') == std::string::npos);
        CHECK(m.rfind("before.hds was taken while tracemalloc was not tracing", 0) == 0);
    }
}

TEST_CASE("no warning when the facts agree, or when either snapshot lacks them") {
    DiffSnap a, b, c, d;
    a.pid(42).python_version("3.12.1").time(1000.0);
    b.pid(42).python_version("3.12.1").time(1000.0);  // the same time is not reversed
    CHECK(diff({a, b}).warnings.empty());
    CHECK(diff({c, d}).warnings.empty());
    CHECK(diff({a, c}).warnings.empty());
    d.python_version("3.11.0");  // only the version can be compared with a
    DiffReport r = diff({a, d});
    REQUIRE(r.warnings.size() == 1);
    CHECK(r.warnings[0] == "warning: s0 and s1 come from different Python versions");
}

TEST_CASE("warnings: different processes, different Python versions, reversed time") {
    DiffSnap a, b;
    a.pid(100).python_version("3.12.1 (main)").time(2000.5);
    b.pid(200).python_version("3.11.7 (main)").time(1000.25);
    DiffReport r = diff_snapshots({a, b}, {"first.hds", "second.hds"}, {});
    REQUIRE(r.warnings.size() == 3);
    CHECK(r.warnings[0] ==
          "warning: first.hds and second.hds come from different processes (pid 100 and 200): objects are matched "
          "by address, so new/freed counts mean little");
    CHECK(r.warnings[1] == "warning: first.hds and second.hds come from different Python versions");
    CHECK(r.warnings[2] == "warning: second.hds was taken before first.hds: pass snapshots oldest first, or the "
                           "diff runs backwards");
    // A warning does not stop the diff.
    CHECK(r.snapshots == 2);
}

TEST_CASE("warnings compare each snapshot with the one before it") {
    DiffSnap a, b, c;
    a.pid(7).time(1.0);
    b.pid(7).time(3.0);
    c.pid(8).time(2.0);
    DiffReport r = diff({a, b, c});
    REQUIRE(r.warnings.size() == 2);
    CHECK(r.warnings[0].find("s1 and s2 come from different processes (pid 7 and 8)") != std::string::npos);
    CHECK(r.warnings[1].find("s2 was taken before s1") != std::string::npos);
}

TEST_CASE("sort orders: size, count and name, ties broken by key") {
    auto row = [](const char* key, std::uint64_t count, std::uint64_t size, std::int64_t count_diff,
                  std::int64_t size_diff) {
        GroupDiff g;
        g.key = key;
        g.count = count;
        g.size = size;
        g.count_diff = count_diff;
        g.size_diff = size_diff;
        return g;
    };
    const std::vector<GroupDiff> rows{
        row("k5", 2, 20, +5, +100), row("k0", 100, 1000, +50, +5), row("k2", 1, 20, 0, +100),
        row("k1", 1, 10, 0, -100),  row("k4", 2, 20, +5, +100),    row("k3", 1, 20, -5, +100),
    };
    auto order = [&](SortBy s) {
        std::vector<GroupDiff> g = rows;
        sort_groups(g, s);
        std::string keys;
        for (const GroupDiff& r : g) keys += r.key + " ";
        return keys;
    };
    // |size diff|, size, |count diff|, count: all descending; then key ascending.
    CHECK(order(SortBy::Size) == "k4 k5 k3 k2 k1 k0 ");
    // |count diff|, count, |size diff|, size: all descending; then key ascending.
    CHECK(order(SortBy::Count) == "k0 k4 k5 k3 k2 k1 ");
    CHECK(order(SortBy::Name) == "k0 k1 k2 k3 k4 k5 ");
}

TEST_CASE("diff_snapshots sorts its rows as DiffOptions::sort says") {
    DiffSnap a, b;
    TypeId big = b.type("app.Big", "app"), many = b.type("app.Many", "app"), zed = b.type("app.A", "app");
    b.object(0x10, big, 1000);
    for (std::uint64_t i = 0; i < 5; ++i) b.object(0x100 + 0x10 * i, many, 10);
    b.object(0x20, zed, 1);
    auto keys = [&](SortBy s) {
        DiffOptions o;
        o.sort = s;
        std::string out;
        for (const GroupDiff& g : diff({a, b}, o).groups) out += g.key + " ";
        return out;
    };
    CHECK(keys(SortBy::Size) == "app.Big app.Many app.A ");
    CHECK(keys(SortBy::Count) == "app.Many app.Big app.A ");  // Big and A tie on counts
    CHECK(keys(SortBy::Name) == "app.A app.Big app.Many ");
}

TEST_CASE("group and sort names parse, and print back") {
    for (GroupBy g : {GroupBy::Type, GroupBy::Module, GroupBy::Traceback, GroupBy::Filename, GroupBy::Lineno})
        CHECK(parse_group_by(group_by_name(g)) == g);
    CHECK(parse_group_by("types") == std::nullopt);
    CHECK(parse_group_by("") == std::nullopt);
    CHECK(parse_sort_by("size") == SortBy::Size);
    CHECK(parse_sort_by("count") == SortBy::Count);
    CHECK(parse_sort_by("name") == SortBy::Name);
    CHECK(parse_sort_by("Size") == std::nullopt);
    CHECK(!groups_traces(GroupBy::Type));
    CHECK(!groups_traces(GroupBy::Module));
    CHECK(groups_traces(GroupBy::Traceback));
    CHECK(groups_traces(GroupBy::Filename));
    CHECK(groups_traces(GroupBy::Lineno));
}
