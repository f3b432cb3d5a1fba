// heapdiff refs SNAP (--type NAME [--pick ...] | --address 0x... ...): what an object
// refers to, with edge labels (the forward view, like objgraph.show_refs); -o draws
// its referents a few levels deep. Several objects (--pick all, --address repeated):
// one block (one JSON line) each, drawn together.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "commands.h"
#include "count_option.h"
#include "format_text.h"
#include "heapdiff/edge_label.h"
#include "heapdiff/error.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/neighbourhood.h"
#include "heapdiff/object_text.h"
#include "heapdiff/reader.h"
#include "heapdiff/retained.h"
#include "object_choice.h"
#include "object_output.h"

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

struct Ref {
    std::string edge;
    ObjectIndex object;
};

// Every reference of `source`, in its edge order, including ones to objects the
// snapshot does not hold (shown by address only).
std::vector<Ref> references(const HeapGraph& g, ObjectIndex source) {
    const Snapshot& s = g.snapshot();
    std::vector<Ref> out;
    for (std::uint64_t e = s.edge_begin[source]; e < s.edge_begin[source + 1]; ++e)
        out.push_back({edge_label(s, source, e, g.index()), g.index().find(s.edge_target[e])});
    return out;
}

// One object's refs: a JSON line, or a text block.
void print_refs(const HeapGraph& g, const ObjectNames& names, ObjectIndex object, std::uint64_t retained, bool json) {
    const Snapshot& s = g.snapshot();
    std::vector<Ref> refs = references(g, object);
    if (json) {
        std::string out = "{\"object\": {" + object_json_fields(s, object, &names) + ", \"retained\": " + std::to_string(retained) +
                          "}, \"refs\": [";
        for (std::size_t k = 0; k < refs.size(); ++k) {
            out += std::string(k ? ", " : "") + "{\"edge\": " + json_string(refs[k].edge) + ", ";
            out += refs[k].object == kNoObject ? "\"address\": \"" + hex_address(s.edge_target[s.edge_begin[object] + k]) +
                                                     "\", \"type\": null, \"label\": null, \"size\": null"
                                               : object_json_fields(s, refs[k].object);
            out += "}";
        }
        out += "]}\n";
        std::fwrite(out.data(), 1, out.size(), stdout);
        return;
    }
    std::printf("%s, retains %s, refers to %zu object%s:\n", object_text(s, object, &names).c_str(), human_size(retained).c_str(),
                refs.size(), refs.size() == 1 ? "" : "s");
    for (std::size_t k = 0; k < refs.size(); ++k) {
        std::string what = refs[k].object == kNoObject ? "(not in the snapshot)" : describe_object(s, refs[k].object);
        std::uint64_t address = s.edge_target[s.edge_begin[object] + k];
        std::printf("%s\n", hop_line(refs[k].edge.empty() ? "(referent)" : refs[k].edge, what, address, true).c_str());
    }
}

void run(const RefsOptions& o) {
    if (!o.output.empty()) drawing_format(o.output);
    Snapshot s = read_snapshot(o.path);
    HeapGraph g(s, false);
    std::vector<ObjectIndex> objects = choose_objects(g, o.choice, o.path);
    ObjectNames names(g);
    // One object: its retained size alone; several: the whole dominator tree once.
    std::vector<std::uint64_t> retained;
    if (objects.size() > 1) retained = retained_sizes(g).retained;
    for (std::size_t k = 0; k < objects.size(); ++k) {
        if (k && !o.json) std::printf("\n");
        print_refs(g, names, objects[k], retained.empty() ? retained_size_of(g, objects[k]) : retained[objects[k]], o.json);
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
