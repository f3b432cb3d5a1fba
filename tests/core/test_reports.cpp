// The report values that backrefs, refs and suspects render (and the HTML report reads):
// what each carries, on hand-made heaps, without any rendering.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "heap_fixtures.h"
#include "heapdiff/backrefs_report.h"
#include "heapdiff/refs_report.h"
#include "heapdiff/source_lines.h"
#include "heapdiff/suspects_report.h"
#include "snapshot_builder.h"
#include "temp_dir.h"

using namespace heapdiff;

namespace {

std::vector<std::uint64_t> addresses(const Snapshot& s, const LabelledChain& c) {
    std::vector<std::uint64_t> out;
    for (ObjectIndex i : c.objects) out.push_back(s.address[i]);
    return out;
}

}  // namespace

TEST_CASE("backrefs report: the target named, its chains labelled, no cycle when a root reaches it") {
    Snapshot s = test::error_log_heap();
    HeapGraph g(s, true);
    ObjectNames names(g);
    ChainOptions o;
    o.paths = 2;
    const ObjectIndex db = g.index().find(0x700);
    BackrefsReport r = backrefs_report(g, names, db, o);
    CHECK(r.target.object == db);
    CHECK(r.target.name == "app.conn");
    CHECK(r.retained == s.size[db] + s.size[g.index().find(0x800)]);
    CHECK(r.root_reasons == 0);
    REQUIRE(r.chains.size() == 2);
    CHECK(addresses(s, r.chains[0]) == std::vector<std::uint64_t>{0x900, 0x980, 0x700});
    CHECK(r.chains[0].edges == std::vector<std::string>{"", "__dict__", "['conn']"});
    CHECK(r.chains[1].references() == 6);
    CHECK(r.chains[1].edges.back() == "local 'db'");
    CHECK(r.cycle.empty());
    CHECK(r.cycle_to_target.empty());

    const ObjectIndex module = g.index().find(0x100);
    BackrefsReport root = backrefs_report(g, names, module, o);
    CHECK((root.root_reasons & root_reason::kModule) != 0);
}

TEST_CASE("backrefs report: cyclic trash carries the cycle that holds it, for each of several targets") {
    Snapshot s = test::error_log_heap();
    HeapGraph g(s, true);
    ObjectNames names(g);
    const ObjectIndex a = g.index().find(0xb00), bytes = g.index().find(0xc00), db = g.index().find(0x700);
    std::vector<BackrefsReport> rs = backrefs_reports(g, names, {a, db, bytes}, ChainOptions{});
    REQUIRE(rs.size() == 3);
    CHECK(rs[0].chains.empty());
    CHECK(rs[0].retained == 0);
    CHECK(rs[0].target.name.empty());
    REQUIRE(rs[0].cycle.objects.size() == 3);  // [a, b, a]
    CHECK(rs[0].cycle.objects.front() == a);
    CHECK(rs[0].cycle.objects.back() == a);
    CHECK(rs[0].cycle_to_target.objects == std::vector<ObjectIndex>{a});
    CHECK(rs[1].cycle.empty());  // reachable: no cycle
    // The bytes are not in the cycle: the cycle holds them, and the path leads down to them.
    REQUIRE(!rs[2].cycle.empty());
    CHECK(rs[2].cycle_to_target.objects.back() == bytes);
    CHECK(rs[2].cycle_to_target.objects.front() == rs[2].cycle.objects.front());
    CHECK(rs[2].cycle_to_target.edges.size() == rs[2].cycle_to_target.objects.size());
}

TEST_CASE("refs report: every reference, labelled, in edge order, and several objects share one walk") {
    Snapshot s = test::error_log_heap();
    HeapGraph g(s, false);
    ObjectNames names(g);
    const ObjectIndex entry = g.index().find(0x400), db = g.index().find(0x700);
    RefsReport r = refs_report(g, names, entry);
    CHECK(r.object.object == entry);
    CHECK(r.object.name == "errorlog._temp_logs[0]");
    const std::uint64_t n = s.edge_begin[entry + 1] - s.edge_begin[entry];
    REQUIRE(r.refs.size() == n);
    bool tb = false;
    for (std::uint64_t k = 0; k < n; ++k) {
        CHECK(r.refs[k].address == s.edge_target[s.edge_begin[entry] + k]);
        CHECK(r.refs[k].object == g.index().find(r.refs[k].address));
        if (r.refs[k].edge == "['tb']") tb = r.refs[k].address == 0x500;
    }
    CHECK(tb);
    std::vector<RefsReport> both = refs_reports(g, names, {entry, db});
    REQUIRE(both.size() == 2);
    CHECK(both[0].retained == r.retained);
    CHECK(both[1].retained == refs_report(g, names, db).retained);
    CHECK(both[1].object.name == "app.conn");
}

TEST_CASE("leak suspects report: names, labelled chain, allocation lines read from the file, next commands") {
    test::TempDir dir;
    const std::string source = dir.file("app.py");
    std::FILE* f = std::fopen(source.c_str(), "w");
    REQUIRE(f);
    std::fputs("import x\n    CACHE[n] = Record(n)   \n", f);
    std::fclose(f);
    auto heap = [&](bool grown) {
        test::SnapshotBuilder b;
        TypeId module = b.type("builtins.module", 0xf000), dict = b.type("builtins.dict", 0xf100),
               str = b.type("builtins.str", 0xf300), record = b.type("app.Record", 0xf800, format::type_flag::kHeapType);
        b.object(0x100, module, 72, 2, 0, {}, "app");
        b.edge(0x200, EdgeKind::Field, b.string("__dict__").value);
        b.object(0x200, dict, 232, 1);
        b.edge(0x210, EdgeKind::DictKey);
        b.edge(0x300, EdgeKind::DictValue, 0);
        b.object(0x210, str, 55, 1, 0, {}, "CACHE");
        b.object(0x300, dict, 232, 1);
        if (grown) {
            TracebackId site = b.traceback({{b.string(source), 2}, {b.string(dir.file("gone.py")), 7}}, 2);
            b.edge(0xa00, EdgeKind::DictKey);
            b.edge(0xb00, EdgeKind::DictValue, 0);
            b.edge(0xa10, EdgeKind::DictKey);
            b.edge(0xb10, EdgeKind::DictValue, 1);
            b.object(0xa00, str, 50, 1, 0, {}, "k1");
            b.object(0xa10, str, 50, 1, 0, {}, "k2");
            b.object(0xb00, record, 400, 1, format::object_flag::kGcTracked, site);
            b.object(0xb10, record, 300, 1, format::object_flag::kGcTracked, site);
        }
        b.snapshot().module_roots.push_back({0x100, b.string("app")});
        return b.take();
    };
    Snapshot a = heap(false), b = heap(true);
    HeapGraph g(b, true);
    RetainedSizes sizes = retained_sizes(g);
    ObjectNames names(g);
    LeakSuspectsOptions o;
    o.first_path = "a.hds";
    o.last_path = "b.hds";
    LeakSuspectsReport r = leak_suspects_report(g, sizes, names, {&a}, o);
    REQUIRE(r.found.suspects.size() == 1);
    REQUIRE(r.details.size() == 1);
    const Suspect& sp = r.found.suspects[0];
    const SuspectDetails& d = r.details[0];
    CHECK(sp.count == 2);
    CHECK(d.holder.object == g.index().find(0x300));
    CHECK(d.holder.name == "app.CACHE");
    CHECK(d.representative.object == g.index().find(0xb00));  // the member that retains the most
    CHECK(d.representative.name == "app.CACHE['k1']");
    CHECK(d.chain.objects == sp.chain);
    CHECK(d.chain.edges == std::vector<std::string>{"", "__dict__", "['CACHE']", "['k1']"});
    CHECK(d.held_examples.size() == sp.held.size());
    REQUIRE(d.allocated.size() == 2);
    CHECK(d.allocated[0].filename == source);
    CHECK(d.allocated[0].lineno == 2);
    CHECK(d.allocated[0].line == "CACHE[n] = Record(n)");
    CHECK(d.allocated[1].line.empty());  // no such file
    CHECK(d.next == std::vector<std::string>{"heapdiff backrefs b.hds --address 0xb00",
                                             "heapdiff retained b.hds --address 0xb00"});

    o.source_lines = false;
    CHECK(leak_suspects_report(g, sizes, names, {&a}, o).details[0].allocated[0].line.empty());
    o.shown = 0;  // all
    CHECK(leak_suspects_report(g, sizes, names, {&a}, o).details.size() == 1);
}

TEST_CASE("source lines: stripped, one-based, empty past the end or for a missing file") {
    test::TempDir dir;
    const std::string path = dir.file("m.py");
    std::FILE* f = std::fopen(path.c_str(), "w");
    REQUIRE(f);
    std::fputs("a = 1\r\n\t  b = [a]  \nlast", f);
    std::fclose(f);
    SourceLines lines;
    CHECK(lines.get(path, 1) == "a = 1");
    CHECK(lines.get(path, 2) == "b = [a]");
    CHECK(lines.get(path, 3) == "last");
    CHECK(lines.get(path, 0).empty());
    CHECK(lines.get(path, 4).empty());
    CHECK(lines.get(dir.file("missing.py"), 1).empty());
    CHECK(lines.get(dir.path(), 1).empty());  // a directory is no source file
}
