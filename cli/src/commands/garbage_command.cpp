// heapdiff garbage SNAP: cyclic trash, the objects no root reaches, per type; objects
// with finalizers (__del__) and objects saved in gc.garbage are counted apart.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "commands/commands.h"
#include "commands/count_option.h"
#include "render/format_text.h"
#include "heapdiff/cycles.h"
#include "heapdiff/garbage.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/printable_text.h"
#include "heapdiff/reader.h"
#include "commands/phase_timer.h"
#include "render/report_json.h"

namespace heapdiff::cli {
namespace {

struct GarbageCommandOptions {
    std::string path;
    std::size_t top = 20;
    std::size_t shapes = 3;
    bool json = false;
};

void print_text(const GarbageCommandOptions& o, const Snapshot& s, const GarbageReport& r, std::size_t rows) {
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
        const GarbageType& t = r.types[k];
        std::printf("%14s %11s %11s %14s  %s\n", with_commas(t.stat.count).c_str(), human_size(t.stat.size).c_str(),
                    t.finalizers ? with_commas(t.finalizers).c_str() : "-",
                    t.in_gc_garbage ? with_commas(t.in_gc_garbage).c_str() : "-", printable(t.stat.name).c_str());
        for (const CycleShape& c : t.cycles)
            std::printf("%14s %s of %zu sampled: %s\n", "", with_commas(c.count).c_str(), t.sampled,
                        printable(c.shape).c_str());
    }
    if (rows < r.types.size()) std::printf("... %zu more types (--top)\n", r.types.size() - rows);
}

void run(const GarbageCommandOptions& o) {
    LoadOptions load;
    // Reachability needs the targets only; the cycles' shapes need labels (dict keys).
    load.values = o.shapes > 0;
    load.edge_labels = o.shapes > 0;
    PhaseTimer timer;
    Snapshot s = read_snapshot(o.path, load);
    timer.done("load");
    HeapGraph g(s, false);
    timer.done("graph");
    // A table shapes only the rows it shows; JSON has every type, each with its shapes.
    GarbageOptions options;
    options.shapes = o.shapes;
    options.shaped_types = o.json || o.top == 0 ? SIZE_MAX : o.top;
    const GarbageReport r = garbage_report(g, options);
    timer.done("garbage");
    const std::size_t rows = o.json ? r.types.size() : rows_to_show(r.types.size(), o.top);
    if (o.json)
        print_json(to_json(r));
    else
        print_text(o, s, r, rows);
}

}  // namespace

void set_garbage_command(CLI::App& app) {
    auto o = std::make_shared<GarbageCommandOptions>();
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
