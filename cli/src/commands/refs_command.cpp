// heapdiff refs SNAP (--type NAME [--pick ...] | --address 0x... ...): what an object
// refers to, with edge labels (the forward view, like objgraph.show_refs); -o draws
// its referents a few levels deep. Several objects (--pick all, --address repeated):
// one block (one JSON line) each, drawn together.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "commands/commands.h"
#include "commands/count_option.h"
#include "heapdiff/error.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/neighbourhood.h"
#include "heapdiff/reader.h"
#include "heapdiff/refs_report.h"
#include "commands/object_choice.h"
#include "render/object_output.h"
#include "render/refs_output.h"

namespace heapdiff::cli {
namespace {

struct RefsOptions {
    std::string path;
    ObjectChoice choice;
    std::uint32_t max_depth = 3;
    std::uint32_t too_many = 10;
    std::string output;
    bool json = false;
};

void run(const RefsOptions& o) {
    if (!o.output.empty()) drawing_format(o.output);
    Snapshot s = read_snapshot(o.path);
    HeapGraph g(s, false);
    std::vector<ObjectIndex> objects = choose_objects(g, o.choice, o.path);
    ObjectNames names(g);
    std::vector<RefsReport> reports = refs_reports(g, names, objects);
    for (std::size_t k = 0; k < reports.size(); ++k) {
        if (o.json) {
            print_json(refs_json(s, reports[k]));  // one document (line) per object
        } else {
            if (k) std::printf("\n");
            print_refs_text(s, reports[k]);
        }
    }
    if (o.output.empty()) return;
    NeighbourhoodOptions n;
    n.direction = Direction::Referents;
    n.max_depth = o.max_depth;
    n.too_many = o.too_many;
    n.names = &names;
    write_drawing(draw_neighbourhood(g, objects, n), o.output);
}

}  // namespace

void set_refs_command(CLI::App& app) {
    auto o = std::make_shared<RefsOptions>();
    CLI::App* cmd = app.add_subcommand("refs", "What an object refers to, with labels (like objgraph.show_refs); several "
                                               "objects: one block, or one JSON line, each");
    cmd->add_option("snapshot", o->path, "Snapshot file written by heapdiff.dump()")->required();
    add_object_choice(cmd, o->choice, true);
    add_count_option(cmd, "--max-depth", o->max_depth, "Levels drawn with -o (0: only the object itself)")
        ->capture_default_str();
    add_count_option(cmd, "--too-many", o->too_many,
                     "Referents drawn per object; the rest fold into one node (0: fold them all)")
        ->capture_default_str();
    cmd->add_option("-o,--output", o->output, "Draw the referents into FILE.png, .svg or .dot");
    cmd->add_flag("--json", o->json, "Print JSON");
    cmd->callback([o] { run(*o); });
}

}  // namespace heapdiff::cli
