// diff_snapshots grouped by type and by module, from the walked objects: exact rows,
// object identity (address + type name + allocation traceback where both are known),
// groups that vanished, --type globs and the file filters on objects.
#include <doctest/doctest.h>

#include "heapdiff/diff.h"
#include "heapdiff/error.h"
#include "test_diff_helpers.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

DiffOptions by(GroupBy g) {
    DiffOptions o;
    o.group_by = g;
    return o;
}

// Nodes grow by two, one dict is freed and the other grows in place, one str is new,
// and the only lib.Cache is gone.
struct Growth {
    DiffSnap a, b;
    Growth() {
        TypeId node = a.type("app.Node", "app"), dict = a.type("builtins.dict", "builtins");
        TypeId str = a.type("builtins.str", "builtins"), cache = a.type("lib.Cache", "lib");
        a.object(0x1000, node, 48).object(0x1040, node, 48);
        a.object(0x2000, dict, 232).object(0x2100, dict, 232);
        a.object(0x3000, str, 60);
        a.object(0x4000, cache, 56);
        // Declared in another order, so the type ids differ from a's: names are compared.
        str = b.type("builtins.str", "builtins"), dict = b.type("builtins.dict", "builtins");
        node = b.type("app.Node", "app");
        b.object(0x5000, str, 70);  // new
        b.object(0x10c0, node, 48).object(0x1080, node, 48);  // both new
        b.object(0x1040, node, 48).object(0x1000, node, 48);  // the same two
        b.object(0x2000, dict, 360);                           // the same dict, grown
        b.object(0x3000, str, 60);                             // the same str
    }
};

}  // namespace

TEST_CASE("diff by type: count, size, diffs, new and freed per row") {
    Growth g;
    DiffReport r = diff({g.a, g.b});
    CHECK(r.group_by == GroupBy::Type);
    CHECK(r.snapshots == 2);
    CHECK(r.warnings.empty());
    CHECK(r.churn_count == 0);
    CHECK(r.churn_size == 0);
    CHECK(object_rows(r) ==
          "builtins.dict: 1 360 (-1 -104) new 0 freed 1\n"
          "app.Node: 4 192 (+2 +96) new 2 freed 0\n"
          "builtins.str: 2 130 (+1 +70) new 1 freed 0\n"
          "lib.Cache: 0 0 (-1 -56) new 0 freed 1\n");
    for (const GroupDiff& row : r.groups) {
        CHECK(row.traceback.empty());
        CHECK(row.walked_size == 0);
    }
}

TEST_CASE("diff by module: the module that defines each object's type") {
    Growth g;
    DiffReport r = diff({g.a, g.b}, by(GroupBy::Module));
    CHECK(r.group_by == GroupBy::Module);
    CHECK(object_rows(r) ==
          "app: 4 192 (+2 +96) new 2 freed 0\n"
          "lib: 0 0 (-1 -56) new 0 freed 1\n"
          "builtins: 3 490 (0 -34) new 1 freed 1\n");
}

TEST_CASE("objects without a type, and types without a module, are grouped as ?") {
    DiffSnap a, b;
    a.type("mystery.Thing");  // no module recorded
    b.object(0x10, b.type("mystery.Thing"), 40);
    b.object(0x20, TypeId(), 16);
    b.object(0x30, b.type("app.Known", "app"), 8);
    CHECK(object_rows(diff({a, b})) ==
          "mystery.Thing: 1 40 (+1 +40) new 1 freed 0\n"
          "?: 1 16 (+1 +16) new 1 freed 0\n"
          "app.Known: 1 8 (+1 +8) new 1 freed 0\n");
    CHECK(object_rows(diff({a, b}, by(GroupBy::Module))) ==
          "?: 2 56 (+2 +56) new 2 freed 0\n"
          "app: 1 8 (+1 +8) new 1 freed 0\n");
}

TEST_CASE("rows without change are kept, rows with nothing are not") {
    DiffSnap a, b;
    a.type("app.Unused", "app");
    a.object(0x10, a.type("app.Same", "app"), 24);
    b.type("app.Unused", "app");
    b.object(0x10, b.type("app.Same", "app"), 24);
    DiffReport r = diff({a, b});
    CHECK(object_rows(r) == "app.Same: 1 24 (0 0) new 0 freed 0\n");

    DiffSnap empty1, empty2;
    CHECK(diff({empty1, empty2}).groups.empty());
}

TEST_CASE("a group that appears has diffs equal to its totals; one that vanishes keeps a row at zero") {
    DiffSnap a, b;
    a.object(0x10, a.type("app.Old", "app"), 100).object(0x20, a.type("app.Old", "app"), 100);
    b.object(0x30, b.type("app.Young", "app"), 30);
    CHECK(object_rows(diff({a, b})) ==
          "app.Old: 0 0 (-2 -200) new 0 freed 2\n"
          "app.Young: 1 30 (+1 +30) new 1 freed 0\n");
}

TEST_CASE("identity: same address and type name is the same object, whatever its size") {
    DiffSnap a, b;
    a.object(0x10, a.type("builtins.list", "builtins"), 56);
    b.object(0x10, b.type("builtins.list", "builtins"), 120);
    CHECK(object_rows(diff({a, b})) == "builtins.list: 1 120 (0 +64) new 0 freed 0\n");
}

TEST_CASE("identity: same address with another type is one freed and one new object") {
    DiffSnap a, b;
    a.object(0x10, a.type("builtins.list", "builtins"), 56);
    b.object(0x10, b.type("builtins.tuple", "builtins"), 56);
    CHECK(object_rows(diff({a, b})) ==
          "builtins.tuple: 1 56 (+1 +56) new 1 freed 0\n"
          "builtins.list: 0 0 (-1 -56) new 0 freed 1\n");  // same |size diff|: the larger size first
    // Grouped by module both land in one row: no change in count or size, yet one
    // object was freed and another born.
    CHECK(object_rows(diff({a, b}, by(GroupBy::Module))) == "builtins: 1 56 (0 0) new 1 freed 1\n");
}

TEST_CASE("identity: same address and type, allocation tracebacks known and different") {
    DiffSnap a, b;
    a.object(0x10, a.type("app.Req", "app"), 48, a.traceback({{"/srv/app.py", 10}, {"/srv/main.py", 3}}));
    b.object(0x10, b.type("app.Req", "app"), 48, b.traceback({{"/srv/app.py", 11}, {"/srv/main.py", 3}}));
    CHECK(object_rows(diff({a, b})) == "app.Req: 1 48 (0 0) new 1 freed 1\n");

    SUBCASE("a difference in an older frame counts too, also beyond --frames") {
        DiffSnap c;
        c.object(0x10, c.type("app.Req", "app"), 48, c.traceback({{"/srv/app.py", 10}, {"/srv/main.py", 4}}));
        DiffOptions o;
        o.frames = 1;
        CHECK(object_rows(diff({a, c}, o)) == "app.Req: 1 48 (0 0) new 1 freed 1\n");
    }
}

TEST_CASE("identity: an unknown traceback on either side does not tell objects apart") {
    DiffSnap with, without;
    with.object(0x10, with.type("app.Req", "app"), 48, with.traceback({{"/srv/app.py", 10}}));
    without.object(0x10, without.type("app.Req", "app"), 48);
    CHECK(object_rows(diff({with, without})) == "app.Req: 1 48 (0 0) new 0 freed 0\n");
    CHECK(object_rows(diff({without, with})) == "app.Req: 1 48 (0 0) new 0 freed 0\n");
}

TEST_CASE("identity: tracebacks are compared by their frames, not by their ids") {
    DiffSnap a, b;
    a.object(0x10, a.type("app.Req", "app"), 48, a.traceback({{"/srv/app.py", 10}, {"/srv/main.py", 3}}));
    b.traceback({{"/srv/other.py", 1}});  // shifts b's traceback ids and string ids
    b.traceback({{"/srv/app.py", 10}});   // a prefix only: not the same traceback
    b.object(0x10, b.type("app.Req", "app"), 48, b.traceback({{"/srv/app.py", 10}, {"/srv/main.py", 3}}));
    CHECK(object_rows(diff({a, b})) == "app.Req: 1 48 (0 0) new 0 freed 0\n");

    DiffSnap prefix;
    prefix.object(0x10, prefix.type("app.Req", "app"), 48, prefix.traceback({{"/srv/app.py", 10}}));
    CHECK(object_rows(diff({a, prefix})) == "app.Req: 1 48 (0 0) new 1 freed 1\n");
}

TEST_CASE("identity does not depend on the order objects are listed in") {
    DiffSnap a, b;
    TypeId ta = a.type("builtins.int", "builtins"), tb = b.type("builtins.int", "builtins");
    for (std::uint64_t addr : {0x50, 0x10, 0x40, 0x20, 0x30}) a.object(addr, ta, 28);
    for (std::uint64_t addr : {0x60, 0x30, 0x20, 0x70, 0x10}) b.object(addr, tb, 28);
    // Same: 0x10 0x20 0x30. Freed: 0x40 0x50. New: 0x60 0x70.
    CHECK(object_rows(diff({a, b})) == "builtins.int: 5 140 (0 0) new 2 freed 2\n");
}

TEST_CASE("--type globs match the qualified or the short name") {
    DiffSnap a, b;
    TypeId node = b.type("app.tree.Node", "app.tree"), inner = b.type("app.Outer.Inner", "app");
    TypeId dict = b.type("builtins.dict", "builtins"), nodes = b.type("app.Nodes", "app");
    b.object(0x10, node, 100).object(0x20, inner, 50).object(0x30, dict, 300).object(0x40, nodes, 10);
    auto rows = [&](std::vector<std::string> globs, GroupBy g = GroupBy::Type) {
        DiffOptions o;
        o.group_by = g;
        o.types = std::move(globs);
        std::string keys;
        for (const GroupDiff& row : diff({a, b}, o).groups) keys += row.key + ";";
        return keys;
    };
    CHECK(rows({}) == "builtins.dict;app.tree.Node;app.Outer.Inner;app.Nodes;");
    CHECK(rows({"Node"}) == "app.tree.Node;");
    CHECK(rows({"app.tree.Node"}) == "app.tree.Node;");
    CHECK(rows({"Node*"}) == "app.tree.Node;app.Nodes;");
    CHECK(rows({"app.*"}) == "app.tree.Node;app.Outer.Inner;app.Nodes;");
    CHECK(rows({"Inner"}) == "app.Outer.Inner;");
    // A glob that matches no type is a typo, not "no difference": the short name is what
    // follows the last dot, and case matters.
    auto unknown = [&](std::vector<std::string> globs) {
        try {
            rows(std::move(globs));
        } catch (const Error& e) {
            return e.kind() == ErrorKind::NotFound && std::string(e.what()).find("no type of that name") != std::string::npos;
        }
        return false;
    };
    CHECK(unknown({"Outer.Inner"}));
    CHECK(rows({"*.Outer.Inner"}) == "app.Outer.Inner;");
    CHECK(rows({"Nod?"}) == "app.tree.Node;");
    CHECK(rows({"dict", "Inner"}) == "builtins.dict;app.Outer.Inner;");
    CHECK(unknown({"node"}));
    CHECK(unknown({"nothing"}));
    CHECK(unknown({"dict", "nothing"}));
    // The filter picks objects; the rows can still be modules.
    CHECK(rows({"Node*"}, GroupBy::Module) == "app.tree;app;");
}

TEST_CASE("--include and --exclude on objects look at the newest frame's file") {
    DiffSnap a, b;
    TypeId t = b.type("app.Obj", "app");
    TypeId u = b.type("app.Other", "app");
    b.object(0x10, t, 1, b.traceback({{"/srv/app/models.py", 5}, {"/srv/app/main.py", 1}}));
    b.object(0x20, t, 2, b.traceback({{"/usr/lib/python3.12/json/decoder.py", 353}, {"/srv/app/models.py", 9}}));
    b.object(0x30, t, 4);  // no traceback
    b.object(0x40, u, 8, b.traceback({{"/srv/app/main.py", 2}}));
    auto total = [&](std::vector<std::string> include, std::vector<std::string> exclude) {
        DiffOptions o;
        o.group_by = GroupBy::Module;
        o.include = std::move(include);
        o.exclude = std::move(exclude);
        DiffReport r = diff({a, b}, o);
        return r.groups.empty() ? std::uint64_t(0) : r.groups.at(0).size;
    };
    CHECK(total({}, {}) == 15);
    CHECK(total({"*/models.py"}, {}) == 1);           // only the newest frame counts
    CHECK(total({"/srv/*"}, {}) == 1 + 8);            // * matches across '/'
    CHECK(total({"*.py"}, {}) == 1 + 2 + 8);          // no traceback: no file to include
    CHECK(total({"*models.py", "*main.py"}, {}) == 1 + 8);  // any include glob
    CHECK(total({}, {"*/json/*"}) == 1 + 4 + 8);      // no traceback: nothing to exclude
    CHECK(total({"/srv/*"}, {"*main.py"}) == 1);      // included, then excluded
    CHECK(total({}, {"*"}) == 4);
    CHECK(total({"*"}, {"*"}) == 0);
}

TEST_CASE("filters decide freed objects by the older snapshot's traceback, new ones by the newer's") {
    DiffSnap a, b;
    a.object(0x10, a.type("app.Obj", "app"), 10, a.traceback({{"/srv/old.py", 1}}));
    b.object(0x10, b.type("app.Obj", "app"), 10, b.traceback({{"/srv/new.py", 1}}));
    DiffOptions o;
    o.include = {"*/old.py"};
    CHECK(object_rows(diff({a, b}, o)) == "app.Obj: 0 0 (-1 -10) new 0 freed 1\n");
    o.include = {"*/new.py"};
    CHECK(object_rows(diff({a, b}, o)) == "app.Obj: 1 10 (+1 +10) new 1 freed 0\n");
}
