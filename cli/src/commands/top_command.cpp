// heapdiff top SNAP [--by retained|size|count] [--group-by object|type]: the biggest
// retainers (what would be freed if each went away, from the dominator tree), the
// largest objects, or the types that hold the most.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <optional>

#include "commands/commands.h"
#include "commands/count_option.h"
#include "render/format_text.h"
#include "heapdiff/error.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/object_names.h"
#include "heapdiff/object_text.h"
#include "heapdiff/printable_text.h"
#include "heapdiff/reader.h"
#include "heapdiff/top.h"
#include "render/object_output.h"
#include "commands/phase_timer.h"
#include "render/report_json.h"

namespace heapdiff::cli {
namespace {

struct TopOptions {
    std::string path;
    std::string by = "retained";
    std::string group_by;  // default: object, or type for --by count
    std::size_t top = 20;
    bool json = false;
};

void print_objects(const TopOptions& o, const Snapshot& s, const ObjectNames& names, const TopReport& r) {
    if (r.heap_objects == 0) {
        std::printf("no objects in %s\n", printable(o.path).c_str());
        return;
    }
    const bool retained = r.by == TopMeasure::Retained;
    std::printf("%zu %s of %s objects in %s\n", r.objects.size(), retained ? "biggest retainers" : "largest objects",
                with_commas(r.heap_objects).c_str(), printable(o.path).c_str());
    std::printf("%11s %11s  %-18s %-32s%s\n", "retained", "size", "address", "object", "name");
    for (const TopObject& row : r.objects)
        std::printf("%11s %11s  %-18s %s\n", retained ? human_size(row.retained).c_str() : "-",
                    human_size(s.size[row.object]).c_str(), hex_address(s.address[row.object]).c_str(),
                    object_cell(s, row.object, &names).c_str());
}

void print_types(const TopOptions& o, const TopReport& r) {
    if (r.types.empty()) {
        std::printf("no objects in %s\n", printable(o.path).c_str());
        return;
    }
    std::printf("%zu types by %s in %s (retained: what freeing every instance would free at least)\n", r.types.size(),
                o.by.c_str(), printable(o.path).c_str());
    std::printf("%11s %11s %12s  %s\n", "retained", "size", "count", "type");
    for (const TypeStat& t : r.types)
        std::printf("%11s %11s %12s  %s\n", human_size(t.retained).c_str(), human_size(t.size).c_str(),
                    with_commas(t.count).c_str(), printable(t.name).c_str());
}

void run(TopOptions o) {
    if (o.group_by.empty()) o.group_by = o.by == "count" ? "type" : "object";
    const TopGrouping group_by = o.group_by == "object" ? TopGrouping::Object : TopGrouping::Type;
    const std::optional<TopMeasure> by = parse_top_measure(o.by);
    if (!by) throw usage_error("unknown --by '" + o.by + "': use retained, size or count");
    if (group_by == TopGrouping::Object && *by == TopMeasure::Count)
        throw usage_error("--by count counts objects per type: use it with --group-by type");
    LoadOptions load;
    load.values = group_by == TopGrouping::Object;
    PhaseTimer timer;
    Snapshot s = read_snapshot(o.path, load);
    timer.done("load");
    HeapGraph g(s, false);
    std::optional<ObjectNames> names;  // the rows' names, walked while the edges are here
    if (group_by == TopGrouping::Object) names.emplace(g);
    // The graph holds the references now; what the rest needs of the snapshot is types,
    // sizes, values and edge kinds (for "list len 5"). Freeing the other columns before
    // the dominator tree is built takes ~40 bytes per object off the peak.
    std::vector<std::uint64_t>().swap(s.edge_target);
    std::vector<std::uint64_t>().swap(s.edge_arg);
    std::vector<std::uint64_t>().swap(s.refcount);
    std::vector<TracebackId>().swap(s.traceback);
    timer.done("graph");
    const TopReport report = top_report(g, *by, group_by, o.top);
    timer.done("analysis");
    if (o.json)
        print_json(to_json(report, s, names ? &*names : nullptr));
    else if (group_by == TopGrouping::Object)
        print_objects(o, s, *names, report);
    else
        print_types(o, report);
}

}  // namespace

void set_top_command(CLI::App& app) {
    auto o = std::make_shared<TopOptions>();
    CLI::App* cmd = app.add_subcommand("top", "The biggest retainers: objects (or types) by retained size, size or count");
    cmd->add_option("snapshot", o->path, "Snapshot file written by heapdiff.dump()")->required();
    cmd->add_option("--by", o->by, "retained (what freeing it would free), size, or count (with --group-by type)")
        ->check(CLI::IsMember({"retained", "size", "count"}))
        ->capture_default_str();
    cmd->add_option("--group-by", o->group_by, "object or type (default: object; type for --by count)")
        ->check(CLI::IsMember({"object", "type"}));
    add_count_option(cmd, "--top", o->top, "Rows to show (0: all)")->capture_default_str();
    cmd->add_flag("--json", o->json, "Print JSON");
    cmd->callback([o] { run(*o); });
}

}  // namespace heapdiff::cli
