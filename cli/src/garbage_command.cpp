// heapdiff garbage SNAP: cyclic trash, the objects no root reaches, per type; objects
// with finalizers (__del__) and objects saved in gc.garbage are counted apart.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "commands.h"
#include "count_option.h"
#include "format_text.h"
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
    bool json = false;
};

void run(const GarbageOptions& o) {
    LoadOptions load;
    load.values = false;
    load.edge_labels = false;  // reachability needs the targets only
    PhaseTimer timer;
    Snapshot s = read_snapshot(o.path, load);
    timer.done("load");
    HeapGraph g(s, false);
    timer.done("graph");
    GarbageReport r = find_garbage(g);
    timer.done("garbage");
    if (o.json) {
        std::string out = "{\"objects\": " + std::to_string(r.objects) + ", \"bytes\": " + std::to_string(r.bytes) +
                          ", \"finalizers\": " + std::to_string(r.finalizers) +
                          ", \"in_gc_garbage\": " + std::to_string(r.in_gc_garbage) + ", \"types\": [";
        for (std::size_t k = 0; k < r.types.size(); ++k) {
            const GarbageTypeStat& t = r.types[k];
            out += std::string(k ? ", " : "") + "{\"type\": " + json_string(s.type_name(t.type)) +
                   ", \"count\": " + std::to_string(t.count) + ", \"size\": " + std::to_string(t.size) +
                   ", \"finalizers\": " + std::to_string(t.finalizers) +
                   ", \"in_gc_garbage\": " + std::to_string(t.in_gc_garbage) + "}";
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
    const std::size_t rows = rows_to_show(r.types.size(), o.top);
    for (std::size_t k = 0; k < rows; ++k) {
        const GarbageTypeStat& t = r.types[k];
        std::printf("%14s %11s %11s %14s  %s\n", with_commas(t.count).c_str(), human_size(t.size).c_str(),
                    t.finalizers ? with_commas(t.finalizers).c_str() : "-",
                    t.in_gc_garbage ? with_commas(t.in_gc_garbage).c_str() : "-",
                    printable(s.type_name(t.type)).c_str());
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
    cmd->add_flag("--json", o->json, "Print JSON");
    cmd->callback([o] { run(*o); });
}

}  // namespace heapdiff::cli
