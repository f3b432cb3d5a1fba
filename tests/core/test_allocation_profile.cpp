// tracemalloc's statistics as flame-graph stacks: outermost frame first, a traceback's
// domains added up, shared sites interned once, cut tracebacks counted.
#include <doctest/doctest.h>

#include "heapdiff/allocation_profile.h"
#include "heapdiff/error.h"
#include "snapshot_builder.h"

using namespace heapdiff;

TEST_CASE("allocation profile: one stack per traceback, root first, weighted by its bytes") {
    test::SnapshotBuilder b;
    const StringId app = b.string("app.py"), lib = b.string("lib.py");
    // Stored most recent first, as tracemalloc keeps them.
    const TracebackId deep = b.traceback({{lib, 7}, {app, 20}, {app, 3}}, 3);
    const TracebackId cut = b.traceback({{lib, 9}}, 12);
    const TracebackId idle = b.traceback({{app, 1}}, 1);
    Snapshot& s = b.snapshot();
    s.trace_stats = {{deep, 0, 10, 4000}, {deep, 1, 2, 96}, {cut, 0, 1, 50}, {idle, 0, 0, 0}};
    b.fact("tracemalloc.tracing", std::int64_t(1));

    AllocationProfile p = allocation_profile(s, "a.hds");
    REQUIRE(p.stacks.size() == 2);  // a traceback with nothing left allocated is no stack
    auto site = [&](std::uint32_t k) { return p.sites[k].file + ":" + std::to_string(p.sites[k].line); };
    CHECK(site(p.stacks[0][0]) == "app.py:3");
    CHECK(site(p.stacks[0][1]) == "app.py:20");
    CHECK(site(p.stacks[0][2]) == "lib.py:7");
    CHECK(p.bytes[0] == 4096);  // both domains
    CHECK(p.blocks[0] == 12);
    CHECK(site(p.stacks[1][0]) == "lib.py:9");
    CHECK(p.total_bytes == 4146);
    CHECK(p.cut_stacks == 1);
    CHECK(p.sites.size() == 4);
}

TEST_CASE("allocation profile: a snapshot taken without tracemalloc is a usage error") {
    test::SnapshotBuilder b;
    try {
        allocation_profile(b.snapshot(), "plain.hds");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Usage);
        CHECK(std::string(e.what()).rfind("plain.hds was taken while tracemalloc was not tracing", 0) == 0);
    }
}
