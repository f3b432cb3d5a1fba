// heapdiff retained SNAP (--type NAME [--pick ...] | --address 0x...): what one object
// keeps alive, i.e. everything that would be freed if it went away (its dominator
// subtree), grouped by type; -o draws it.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <unordered_set>

#include "commands/commands.h"
#include "commands/count_option.h"
#include "render/format_text.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/neighbourhood.h"
#include "heapdiff/object_text.h"
#include "heapdiff/printable_text.h"
#include "heapdiff/reader.h"
#include "heapdiff/retained.h"
#include "commands/object_choice.h"
#include "render/object_output.h"
#include "commands/phase_timer.h"
#include "render/report_json.h"

namespace heapdiff::cli {
namespace {

struct RetainedOptions {
    std::string path;
    ObjectChoice choice;
    std::size_t top = 20;
    std::uint32_t max_depth = 3;
    std::uint32_t too_many = 10;
    std::string output;
    bool json = false;
};

void print_text(const RetainedOptions& o, const Snapshot& s, const ObjectNames& names, const RetainedReport& r) {
    if (r.kept.empty()) {
        std::printf("%s is not reachable from any root: it is cyclic trash and retains nothing (heapdiff garbage %s)\n",
                    object_text(s, r.object, &names).c_str(), printable(o.path).c_str());
        return;
    }
    std::printf("%s retains %s in %s objects: what would be freed if it went away\n",
                object_text(s, r.object, &names).c_str(), human_size(r.bytes).c_str(), with_commas(r.kept.size()).c_str());
    std::printf("%14s %11s  %s\n", "count", "size", "type");
    const std::size_t rows = rows_to_show(r.types.size(), o.top);
    for (std::size_t k = 0; k < rows; ++k)
        std::printf("%14s %11s  %s\n", with_commas(r.types[k].count).c_str(), human_size(r.types[k].size).c_str(),
                    printable(r.types[k].name).c_str());
    if (rows < r.types.size()) std::printf("... %zu more types (--top)\n", r.types.size() - rows);
}

void run(const RetainedOptions& o) {
    if (!o.output.empty()) drawing_format(o.output);
    PhaseTimer timer;
    Snapshot s = read_snapshot(o.path);
    timer.done("load");
    HeapGraph g(s, false);
    timer.done("graph");
    ObjectIndex object = choose_object(g, o.choice, o.path);
    ObjectNames names(g);
    const RetainedReport report = retained_report(g, object);
    timer.done("retained");
    if (o.json)
        print_json(to_json(report, s, &names));
    else
        print_text(o, s, names, report);
    if (o.output.empty()) return;
    // The picture: the object's referents, limited to what it retains, with every
    // object's own retained size (this needs the whole dominator tree).
    RetainedSizes sizes = retained_sizes(g);
    std::unordered_set<ObjectIndex> members(report.kept.begin(), report.kept.end());
    NeighbourhoodOptions n;
    n.direction = Direction::Referents;
    n.max_depth = o.max_depth;
    n.too_many = o.too_many;
    n.allowed = [&](ObjectIndex i) { return members.count(i) != 0; };
    n.retained = &sizes.retained;
    n.names = &names;
    write_drawing(draw_neighbourhood(g, {object}, n), o.output);
}

}  // namespace

void set_retained_command(CLI::App& app) {
    auto o = std::make_shared<RetainedOptions>();
    CLI::App* cmd = app.add_subcommand("retained", "What an object keeps alive (its dominator subtree), by type");
    cmd->add_option("snapshot", o->path, "Snapshot file written by heapdiff.dump()")->required();
    add_object_choice(cmd, o->choice);
    add_count_option(cmd, "--top", o->top, "Types to show in the table (0: all; JSON has them all)")
        ->capture_default_str();
    add_count_option(cmd, "--max-depth", o->max_depth, "Levels drawn with -o (0: only the object itself)")
        ->capture_default_str();
    add_count_option(cmd, "--too-many", o->too_many,
                     "Referents drawn per object; the rest fold into one node (0: fold them all)")
        ->capture_default_str();
    cmd->add_option("-o,--output", o->output, "Draw what it retains into FILE.png, .svg or .dot");
    cmd->add_flag("--json", o->json, "Print JSON");
    cmd->callback([o] { run(*o); });
}

}  // namespace heapdiff::cli
