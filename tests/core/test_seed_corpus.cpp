// Small valid snapshots for the fuzzer to start from (tests/fuzz). They are always built
// and loaded here; with HEAPDIFF_SEED_CORPUS=<dir> in the environment they are also
// written there, one file each.
#include <doctest/doctest.h>

#include <cstdlib>

#include "fixtures.h"
#include "payloads.h"
#include "snapshot_builder.h"
#include "temp_dir.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

std::vector<std::pair<std::string, Bytes>> seeds() {
    std::vector<std::pair<std::string, Bytes>> out;
    out.emplace_back("empty.hds", snapshot_bytes(Snapshot()));
    out.emplace_back("tiny.hds", snapshot_bytes(tiny_snapshot()));
    out.emplace_back("tiny-chunked.hds", snapshot_bytes(tiny_snapshot(), small_chunks()));
    out.emplace_back("full.hds", snapshot_bytes(full_snapshot()));
    out.emplace_back("full-chunked.hds", snapshot_bytes(full_snapshot(), small_chunks()));
    out.emplace_back("hand-made.hds", build(base_sections()));

    std::vector<RawSection> with_optional = base_sections();
    with_optional.insert(with_optional.begin() + 2, section(format::tag("ZZZZ"), {1, 2, 3}));
    with_optional[2].flags = 0;
    out.emplace_back("unknown-optional.hds", build(with_optional));

    SnapshotBuilder b;  // one object per edge kind, so each label path has a seed
    TypeId t = b.type("builtins.object", 0xa000);
    StringId name = b.string("name");
    for (std::uint8_t k = 0; k <= kMaxEdgeKind; ++k) {
        b.object(0x1000 + 0x100 * k, t, 16, 1, k, {}, k % 2 ? "v" : "");
        b.edge(0x1000, EdgeKind::DictKey);
        b.edge(0x1000 + 0x100 * k, static_cast<EdgeKind>(k), k == 2 ? 0 : name.value);
    }
    out.emplace_back("edge-kinds.hds", snapshot_bytes(b.take(), small_chunks()));
    return out;
}

}  // namespace

TEST_CASE("fuzz seed corpus") {
    const char* dir = std::getenv("HEAPDIFF_SEED_CORPUS");
    for (const auto& seed : seeds()) {
        CAPTURE(seed.first);
        CHECK(load_error(seed.second).empty());
        if (dir) write_file_bytes(std::string(dir) + "/" + seed.first, seed.second);
    }
}
