// heapdiff suspects A [B ...]: the leak hunt in one command (graph/suspects_report.h
// computes, suspects_output.h renders; this file parses options and loads): each suspect's holder by name, one labelled chain, how many
// objects and bytes, what they hold, where they were allocated, and what to run next.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstdio>
#include <memory>

#include "commands/commands.h"
#include "commands/count_option.h"
#include "heapdiff/error.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/neighbourhood.h"
#include "heapdiff/object_names.h"
#include "heapdiff/reader.h"
#include "heapdiff/retained.h"
#include "heapdiff/suspects_report.h"
#include "render/object_output.h"
#include "commands/phase_timer.h"
#include "render/suspects_output.h"

namespace heapdiff::cli {
namespace {

struct SuspectsCommandOptions {
    std::vector<std::string> paths;
    std::size_t top = 5;
    std::size_t holds = 5;
    std::string output;
    bool json = false;
};

void run(const SuspectsCommandOptions& o) {
    if (!o.output.empty()) drawing_format(o.output);
    PhaseTimer timer;
    LoadOptions objects_only;
    objects_only.edges = objects_only.values = objects_only.refcounts = objects_only.flags = false;
    std::vector<Snapshot> earlier;
    for (std::size_t k = 0; k + 1 < o.paths.size(); ++k) earlier.push_back(read_snapshot(o.paths[k], objects_only));
    Snapshot last = read_snapshot(o.paths.back());
    timer.done("load");
    HeapGraph g(last, false);
    timer.done("graph");
    ObjectNames names(g);
    timer.done("names");
    RetainedSizes sizes = retained_sizes(g);
    timer.done("retained");
    std::vector<const Snapshot*> before;
    for (const Snapshot& s : earlier) before.push_back(&s);
    LeakSuspectsOptions options;
    options.find.held_types = o.holds ? o.holds : SIZE_MAX;
    options.shown = o.top;
    options.first_path = o.paths.front();
    options.last_path = o.paths.back();
    LeakSuspectsReport r = leak_suspects_report(g, sizes, names, before, options);
    timer.done("suspects");
    if (o.json) print_json(suspects_json(last, r));
    else print_suspects_text(last, r, o.paths.front(), o.paths.back());
    if (o.output.empty()) return;
    if (r.details.empty()) throw not_found_error("-o: there is no suspect to draw");
    write_drawing(draw_chains(g, {r.details.front().chain}, &sizes.retained, &names), o.output);
}

}  // namespace

void set_suspects_command(CLI::App& app) {
    auto o = std::make_shared<SuspectsCommandOptions>();
    CLI::App* cmd = app.add_subcommand(
        "suspects", "Leak suspects: objects born between the first snapshot and the last and still alive, clustered "
                    "by what holds them (one snapshot: what retains 10% of the heap)");
    cmd->add_option("snapshots", o->paths, "Snapshot files, oldest first (one, or two and more)")->required();
    add_count_option(cmd, "--top", o->top, "Suspects to show (0: all)")->capture_default_str();
    add_count_option(cmd, "--holds", o->holds, "Types each suspect lists among what it holds, largest first (0: all)")
        ->capture_default_str();
    cmd->add_option("-o,--output", o->output, "Draw the top suspect's chain into FILE.png, .svg or .dot");
    cmd->add_flag("--json", o->json, "Print JSON");
    cmd->callback([o] { run(*o); });
}

}  // namespace heapdiff::cli
