// The bounds of report_bounds.h on hand-made heaps a report could not show whole: a
// linked list longer than any chain shown, a dict whose keys all refer to one value,
// chains and drawings over the node budget.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "heapdiff/backrefs_report.h"
#include "heapdiff/drawing.h"
#include "heapdiff/error.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/labelled_chain.h"
#include "heapdiff/neighbourhood.h"
#include "heapdiff/object_names.h"
#include "heapdiff/report_bounds.h"
#include "heapdiff/retained.h"
#include "heapdiff/suspects_report.h"
#include "snapshot_builder.h"
#include "temp_dir.h"

using namespace heapdiff;

namespace {

constexpr std::uint64_t kModule = 0x100, kModuleDict = 0x200, kHeadKey = 0x300, kFirstNode = 0x10000;

// module m; m.__dict__['head'] = node 0; node k.next = node k + 1, for `nodes` nodes.
Snapshot linked_list(std::size_t nodes) {
    test::SnapshotBuilder b;
    TypeId module = b.type("builtins.module", 0xf000);
    TypeId dict = b.type("builtins.dict", 0xf100);
    TypeId str = b.type("builtins.str", 0xf300);
    TypeId node = b.type("app.Node", 0xf800, format::type_flag::kHeapType);
    const StringId dict_field = b.string("__dict__"), next = b.string("next");
    b.object(kModule, module, 72, 2, 0, {}, "m");
    b.edge(kModuleDict, EdgeKind::Field, dict_field.value);
    b.object(kModuleDict, dict, 232, 1);
    b.edge(kHeadKey, EdgeKind::DictKey);
    b.edge(kFirstNode, EdgeKind::DictValue, 0);
    b.object(kHeadKey, str, 53, 1, 0, {}, "head");
    for (std::size_t k = 0; k < nodes; ++k) {
        b.object(kFirstNode + 16 * k, node, 48, 1, format::object_flag::kGcTracked);
        if (k + 1 < nodes) b.edge(kFirstNode + 16 * (k + 1), EdgeKind::Attribute, next.value);
    }
    b.snapshot().module_roots.push_back({kModule, b.string("m")});
    return b.take();
}

// A dict of `keys` int keys, every value the one None: dict.fromkeys(range(keys)).
Snapshot fromkeys(std::size_t keys) {
    test::SnapshotBuilder b;
    TypeId module = b.type("builtins.module", 0xf000);
    TypeId dict = b.type("builtins.dict", 0xf100);
    TypeId integer = b.type("builtins.int", 0xf200);
    TypeId none = b.type("builtins.NoneType", 0xf300);
    const StringId dict_field = b.string("__dict__");
    b.object(kModule, module, 72, 2, 0, {}, "m");
    b.edge(kModuleDict, EdgeKind::Field, dict_field.value);
    b.object(kModuleDict, dict, 232, 1);
    b.edge(0x400, EdgeKind::DictValue, 0);
    b.object(0x400, dict, 1000, 1);
    for (std::size_t k = 0; k < keys; ++k) {
        b.edge(0x10000 + 32 * k, EdgeKind::DictKey);
        b.edge(0x500, EdgeKind::DictValue, 2 * k);  // the key: the edge before it
    }
    b.object(0x500, none, 16, keys + 1, 0, {}, "None");
    for (std::size_t k = 0; k < keys; ++k) b.object(0x10000 + 32 * k, integer, 28, 1, 0, {}, std::to_string(k));
    b.snapshot().module_roots.push_back({kModule, b.string("m")});
    return b.take();
}

std::vector<ObjectIndex> whole_list(const HeapGraph& g, std::size_t nodes) {
    std::vector<ObjectIndex> chain = {g.index().find(kModule), g.index().find(kModuleDict)};
    for (std::size_t k = 0; k < nodes; ++k) chain.push_back(g.index().find(kFirstNode + 16 * k));
    return chain;
}

}  // namespace

TEST_CASE("labelled_chain: a chain longer than kMaxChainReferences keeps its start and its end, the rest counted") {
    const std::size_t nodes = 3000;
    Snapshot s = linked_list(nodes);
    HeapGraph g(s, true);
    const std::vector<ObjectIndex> whole = whole_list(g, nodes);
    LabelledChain c = labelled_chain(g, whole);
    REQUIRE(c.objects.size() == kMaxChainReferences + 1);
    CHECK(c.edges.size() == c.objects.size());
    CHECK(c.references() == whole.size() - 1);  // the whole chain's length, still
    CHECK(c.gap == kChainHeadObjects - 1);
    CHECK(c.left_out == whole.size() - c.objects.size());
    CHECK(c.objects.front() == whole.front());
    CHECK(c.objects.back() == whole.back());
    CHECK(c.objects[c.gap] == whole[c.gap]);
    CHECK(c.objects[c.gap + 1] == whole[c.gap + 1 + c.left_out]);
    CHECK(c.edges[1] == "__dict__");
    CHECK(c.edges[2] == "['head']");
    CHECK(c.edges[c.gap + 1] == ".next");  // the reference into the first object after the gap
    CHECK(left_out_label(c.left_out) == "\xE2\x80\xA6 2,901 objects left out \xE2\x80\xA6");

    // Short chains are whole.
    LabelledChain shorter = labelled_chain(g, std::vector<ObjectIndex>(whole.begin(), whole.begin() + 101));
    CHECK(shorter.objects.size() == 101);
    CHECK(shorter.left_out == 0);

    // Cut again (a drawing's share): the old gap stays inside the new one.
    for (std::size_t max : {2, 3, 8, 20, 79}) {
        CAPTURE(max);
        LabelledChain cut = shortened_chain(c, max);
        CHECK(cut.objects.size() == max);
        CHECK(cut.references() == c.references());
        CHECK(cut.objects.front() == whole.front());
        CHECK(cut.objects.back() == whole.back());
        CHECK(cut.objects[cut.gap + 1] == whole[cut.gap + 1 + cut.left_out]);
    }
}

TEST_CASE("suspects and backrefs: a chain down a long linked list is shown cut, never whole") {
    const std::size_t nodes = 5000;
    Snapshot s = linked_list(nodes);
    HeapGraph g(s, true);
    ObjectNames names(g);
    RetainedSizes sizes = retained_sizes(g);
    LeakSuspectsOptions o;
    o.source_lines = false;
    LeakSuspectsReport r = leak_suspects_report(g, sizes, names, {}, o);  // one snapshot: where memory piles up
    REQUIRE_FALSE(r.details.empty());
    const LabelledChain& chain = r.details.front().chain;
    CHECK(chain.objects.size() <= kMaxChainReferences + 1);
    CHECK(chain.references() == r.found.suspects.front().chain.size() - 1);
    CHECK(chain.left_out > 0);

    // backrefs with a --max-depth past the list's length: found, and cut the same way.
    ChainOptions deep;
    deep.max_depth = 100000;
    BackrefsReport b = backrefs_report(g, names, g.index().find(kFirstNode + 16 * (nodes - 1)), deep);
    REQUIRE(b.chains.size() == 1);
    CHECK(b.chains[0].references() == nodes + 1);
    CHECK(b.chains[0].objects.size() == kMaxChainReferences + 1);
}

TEST_CASE("label_between: the labels of a million parallel references are a few, then a count") {
    Snapshot s = fromkeys(1000);
    HeapGraph g(s, true);
    const std::string label = g.label_between(g.index().find(0x400), g.index().find(0x500));
    CHECK(label == "[0], [1], [2], [3], [4], \xE2\x80\xA6 and 995 more");
    Snapshot few = fromkeys(kMaxJoinedLabels);
    HeapGraph h(few, true);
    CHECK(h.label_between(h.index().find(0x400), h.index().find(0x500)) == "[0], [1], [2], [3], [4]");
}

TEST_CASE("draw_chains: within the node budget, the gap one folded node, chains that do not fit counted") {
    const std::size_t nodes = 500;
    Snapshot s = linked_list(nodes);
    HeapGraph g(s, true);
    const std::vector<ObjectIndex> whole = whole_list(g, nodes);
    Drawing d = draw_chains(g, std::vector<std::vector<ObjectIndex>>{whole});
    CHECK(d.nodes.size() == kMaxDrawingNodes);
    std::size_t folded = 0;
    for (const DrawingNode& n : d.nodes) folded += n.folded;
    CHECK(folded == 1);
    CHECK(d.nodes.back().folded);
    CHECK(d.nodes.back().label == left_out_label(whole.size() - (kMaxDrawingNodes - 1)));
    CHECK(d.edges.size() == kMaxDrawingNodes - 1);  // still one path: start ... gap ... target
    CHECK(d.title.empty());

    // A hundred distinct chains: each gets a share of the budget; those past it are counted.
    std::vector<std::vector<ObjectIndex>> many;
    for (std::size_t k = 0; k < 100; ++k) many.push_back({whole[0], whole[1], whole[2 + k]});
    Drawing m = draw_chains(g, many);
    CHECK(m.nodes.size() <= kMaxDrawingNodes);
    CHECK(m.title == "22 chains not drawn (node budget 80)");  // 2 shared + 78 targets drawn

    // A neighbourhood asked for more than the budget gets the budget.
    NeighbourhoodOptions n;
    n.direction = Direction::Referents;
    n.max_depth = 1000;
    n.node_budget = 100000;
    CHECK(draw_neighbourhood(g, {whole[0]}, n).nodes.size() <= kMaxDrawingNodes);
}

TEST_CASE("render_drawing and drawing_svg refuse a drawing over the budget before Graphviz sees it") {
    Drawing big;
    for (std::size_t k = 0; k <= kMaxDrawingNodes; ++k) big.nodes.push_back({"n" + std::to_string(k), "", false, false});
    test::TempDir dir;
    CHECK_THROWS_WITH_AS(render_drawing(big, dir.file("big.svg")),
                         "internal error: a drawing of 81 nodes and 0 edges is over the budget of 80 nodes", Error);
    CHECK_THROWS_AS(drawing_svg(big), Error);
    CHECK_FALSE(std::filesystem::exists(dir.file("big.svg")));
    big.nodes.pop_back();
    CHECK(drawing_svg(big).find("<svg") == 0);
}
