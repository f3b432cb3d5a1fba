// heapdiff garbage SNAP: cyclic trash, the objects no root reaches, per type; objects
// with finalizers (__del__) and objects saved in gc.garbage are counted apart.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "commands.h"
#include "count_option.h"
#include "format_text.h"
#include "heapdiff/cycles.h"
#include "heapdiff/garbage.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/printable_text.h"
#include "heapdiff/reader.h"
#include "phase_timer.h"

namespace heapdiff::cli {
namespace {

struct GarbageOptions {
    std::string path;
    std::size_t top = 20;
    std::size_t shapes = 3;
    bool json = false;
};

// Cycle shapes of the types shown: the shortest cycle through up to this many objects
// of each, spread over them all.
constexpr std::size_t kShapeSamples = 20;

struct TypeShapes {
    std::size_t sampled = 0;
    std::vector<CycleShape> shapes;
};

void run(const GarbageOptions& o) {
    LoadOptions load;
    // Reachability needs the targets only; the cycles' shapes need labels (dict keys).
    load.values = o.shapes > 0;
    load.edge_labels = o.shapes > 0;
    PhaseTimer timer;
    Snapshot s = read_snapshot(o.path, load);
    timer.done("load");
    HeapGraph g(s, false);
    timer.done("graph");
    GarbageReport r = find_garbage(g);
    timer.done("garbage");
    const std::size_t rows = o.json ? r.types.size() : rows_to_show(r.types.size(), o.top);
    std::vector<TypeShapes> shapes(rows);
    if (o.shapes > 0 && r.objects > 0) {
        std::vector<bool> trash = reachable_from_roots(g);
        trash.flip();
        std::vector<std::vector<ObjectIndex>> members = trash_by_type(g, trash);
        for (std::size_t k = 0; k < rows; ++k) {
            shapes[k].shapes = cycle_shapes(g, trash, members[r.types[k].type.value], kShapeSamples, shapes[k].sampled);
            if (shapes[k].shapes.size() > o.shapes) shapes[k].shapes.resize(o.shapes);
        }
        timer.done("cycles");
    }
    if (o.json) {
        std::string out = "{\"objects\": " + std::to_string(r.objects) + ", \"bytes\": " + std::to_string(r.bytes) +
                          ", \"finalizers\": " + std::to_string(r.finalizers) +
                          ", \"in_gc_garbage\": " + std::to_string(r.in_gc_garbage) + ", \"types\": [";
        for (std::size_t k = 0; k < r.types.size(); ++k) {
            const GarbageTypeStat& t = r.types[k];
            out += std::string(k ? ", " : "") + "{\"type\": " + json_string(s.type_name(t.type)) +
                   ", \"count\": " + std::to_string(t.count) + ", \"size\": " + std::to_string(t.size) +
                   ", \"finalizers\": " + std::to_string(t.finalizers) +
                   ", \"in_gc_garbage\": " + std::to_string(t.in_gc_garbage) +
                   ", \"sampled\": " + std::to_string(shapes[k].sampled) + ", \"cycles\": [";
            for (std::size_t c = 0; c < shapes[k].shapes.size(); ++c)
                out += std::string(c ? ", " : "") + "{\"shape\": " + json_string(shapes[k].shapes[c].shape) +
                       ", \"count\": " + std::to_string(shapes[k].shapes[c].count) + "}";
            out += "]}";
        }
        out += "]}\n";
        std::fwrite(out.data(), 1, out.size(), stdout);
        return;
    }
    if (s.object_count() == 0) {
        std::printf("no objects in %s, so no cyclic trash\n", printable(o.path).c_str());
        return;
    }
    std::printf("cyclic trash in %s: %s objects, %s that no root reaches\n", printable(o.path).c_str(),
                with_commas(r.objects).c_str(), human_size(r.bytes).c_str());
    if (r.objects == 0) return;
    if (r.objects > r.in_gc_garbage)
        std::printf("(they refer only to each other: only the cyclic collector frees them, at its next collection of\n"
                    "the generation they are in; high gc thresholds, gc.disable() or gc.freeze() let them pile up)\n");
    if (r.in_gc_garbage)
        std::printf("%s objects are in gc.garbage (and what they hold with them): the collector found them\n"
                    "unreachable but kept them (gc.DEBUG_SAVEALL, or uncollectable); they stay until gc.garbage is emptied\n",
                    with_commas(r.in_gc_garbage).c_str());
    std::printf("%14s %11s %11s %14s  %s\n", "count", "size", "__del__", "in gc.garbage", "type");
    for (std::size_t k = 0; k < rows; ++k) {
        const GarbageTypeStat& t = r.types[k];
        std::printf("%14s %11s %11s %14s  %s\n", with_commas(t.count).c_str(), human_size(t.size).c_str(),
                    t.finalizers ? with_commas(t.finalizers).c_str() : "-",
                    t.in_gc_garbage ? with_commas(t.in_gc_garbage).c_str() : "-",
                    printable(s.type_name(t.type)).c_str());
        for (const CycleShape& c : shapes[k].shapes)
            std::printf("%14s %s of %zu sampled: %s\n", "", with_commas(c.count).c_str(), shapes[k].sampled,
                        printable(c.shape).c_str());
    }
    if (rows < r.types.size()) std::printf("... %zu more types (--top)\n", r.types.size() - rows);
}

}  // namespace

void set_garbage_command(CLI::App& app) {
    auto o = std::make_shared<GarbageOptions>();
    CLI::App* cmd = app.add_subcommand("garbage", "Cyclic trash: objects no root reaches, which only the cyclic "
                                                  "collector can free, per type");
    cmd->add_option("snapshot", o->path, "Snapshot file written by heapdiff.dump()")->required();
    add_count_option(cmd, "--top", o->top, "Types to show in the table (0: all; JSON has them all)")
        ->capture_default_str();
    add_count_option(cmd, "--shapes", o->shapes,
                     "Most common cycle shapes shown per type (from the shortest cycles through up to 20 of its "
                     "objects; 0: none, and the snapshot loads without labels)")
        ->capture_default_str();
    cmd->add_flag("--json", o->json, "Print JSON");
    cmd->callback([o] { run(*o); });
}

}  // namespace heapdiff::cli
