// heapdiff retained SNAP (--type NAME [--pick ...] | --address 0x...): what one object
// keeps alive, i.e. everything that would be freed if it went away (its dominator
// subtree), grouped by type; -o draws it.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <tuple>
#include <unordered_set>

#include "commands.h"
#include "count_option.h"
#include "format_text.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/neighbourhood.h"
#include "heapdiff/object_text.h"
#include "heapdiff/printable_text.h"
#include "heapdiff/reader.h"
#include "heapdiff/retained.h"
#include "object_choice.h"
#include "object_output.h"
#include "phase_timer.h"

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

struct TypeRow {
    TypeId type;
    std::uint64_t count = 0, size = 0;
};

void run(const RetainedOptions& o) {
    if (!o.output.empty()) drawing_format(o.output);
    PhaseTimer timer;
    Snapshot s = read_snapshot(o.path);
    timer.done("load");
    HeapGraph g(s, false);
    timer.done("graph");
    ObjectIndex object = choose_object(g, o.choice, o.path);
    ObjectNames names(g);
    std::vector<ObjectIndex> kept = retained_objects(g, object);
    timer.done("retained");
    std::vector<TypeRow> by_type(s.types.size() + 1);
    std::uint64_t bytes = 0;
    for (ObjectIndex i : kept) {
        TypeRow& r = by_type[s.type[i].value];
        r.type = s.type[i];
        ++r.count;
        r.size += s.size[i];
        bytes += s.size[i];
    }
    by_type.erase(std::remove_if(by_type.begin(), by_type.end(), [](const TypeRow& r) { return r.count == 0; }),
                  by_type.end());
    std::sort(by_type.begin(), by_type.end(), [&](const TypeRow& a, const TypeRow& b) {
        if (std::tie(a.size, a.count) != std::tie(b.size, b.count)) return std::tie(a.size, a.count) > std::tie(b.size, b.count);
        return s.type_name(a.type) < s.type_name(b.type);
    });
    const std::size_t rows = o.json ? by_type.size() : rows_to_show(by_type.size(), o.top);
    if (o.json) {
        std::string out = "{\"object\": {" + object_json_fields(s, object, &names) + ", \"retained\": " + std::to_string(bytes) +
                          "}, \"objects\": " + std::to_string(kept.size()) + ", \"bytes\": " + std::to_string(bytes) +
                          ", \"types\": [";
        for (std::size_t k = 0; k < rows; ++k)
            out += std::string(k ? ", " : "") + "{\"type\": " + json_string(s.type_name(by_type[k].type)) +
                   ", \"count\": " + std::to_string(by_type[k].count) + ", \"size\": " + std::to_string(by_type[k].size) + "}";
        out += "]}\n";
        std::fwrite(out.data(), 1, out.size(), stdout);
    } else if (kept.empty()) {
        std::printf("%s is not reachable from any root: it is cyclic trash and retains nothing (heapdiff garbage %s)\n",
                    object_text(s, object, &names).c_str(), printable(o.path).c_str());
    } else {
        std::printf("%s retains %s in %s objects: what would be freed if it went away\n",
                    object_text(s, object, &names).c_str(),
                    human_size(bytes).c_str(), with_commas(kept.size()).c_str());
        std::printf("%14s %11s  %s\n", "count", "size", "type");
        for (std::size_t k = 0; k < rows; ++k)
            std::printf("%14s %11s  %s\n", with_commas(by_type[k].count).c_str(), human_size(by_type[k].size).c_str(),
                        printable(s.type_name(by_type[k].type)).c_str());
        if (rows < by_type.size()) std::printf("... %zu more types (--top)\n", by_type.size() - rows);
    }
    if (o.output.empty()) return;
    // The picture: the object's referents, limited to what it retains, with every
    // object's own retained size (this needs the whole dominator tree).
    RetainedSizes sizes = retained_sizes(g);
    std::unordered_set<ObjectIndex> members(kept.begin(), kept.end());
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
