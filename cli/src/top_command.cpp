// heapdiff top SNAP [--by retained|size|count] [--group-by object|type]: the biggest
// retainers (what would be freed if each went away, from the dominator tree), the
// largest objects, or the types that hold the most.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <tuple>

#include "commands.h"
#include "count_option.h"
#include "format_text.h"
#include "heapdiff/error.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/object_names.h"
#include "heapdiff/object_text.h"
#include "heapdiff/printable_text.h"
#include "heapdiff/reader.h"
#include "heapdiff/retained.h"
#include "object_output.h"
#include "phase_timer.h"

namespace heapdiff::cli {
namespace {

struct TopOptions {
    std::string path;
    std::string by = "retained";
    std::string group_by;  // default: object, or type for --by count
    std::size_t top = 20;
    bool json = false;
};

void objects(const Snapshot& s, const HeapGraph& g, const ObjectNames& names, const TopOptions& o) {
    std::vector<std::uint64_t> retained;
    if (o.by == "retained") retained = retained_sizes(g).retained;
    const std::vector<std::uint64_t>& key = o.by == "retained" ? retained : s.size;
    std::vector<ObjectIndex> order(s.object_count());
    for (ObjectIndex i = 0; i < order.size(); ++i) order[i] = i;
    const std::size_t rows = rows_to_show(order.size(), o.top);
    std::partial_sort(order.begin(), order.begin() + rows, order.end(), [&](ObjectIndex a, ObjectIndex b) {
        if (key[a] != key[b]) return key[a] > key[b];
        return s.address[a] < s.address[b];
    });
    if (o.json) {
        std::string out = "{\"by\": " + json_string(o.by) + ", \"group_by\": \"object\", \"rows\": [";
        for (std::size_t k = 0; k < rows; ++k) {
            ObjectIndex i = order[k];
            out += std::string(k ? ", " : "") + "{" + object_json_fields(s, i, &names);
            if (!retained.empty()) out += ", \"retained\": " + std::to_string(retained[i]);
            out += "}";
        }
        out += "]}\n";
        std::fwrite(out.data(), 1, out.size(), stdout);
        return;
    }
    if (s.object_count() == 0) {
        std::printf("no objects in %s\n", printable(o.path).c_str());
        return;
    }
    std::printf("%zu %s of %s objects in %s\n", rows, o.by == "retained" ? "biggest retainers" : "largest objects",
                with_commas(s.object_count()).c_str(), printable(o.path).c_str());
    std::printf("%11s %11s  %-18s %-32s%s\n", "retained", "size", "address", "object", "name");
    for (std::size_t k = 0; k < rows; ++k) {
        ObjectIndex i = order[k];
        std::printf("%11s %11s  %-18s %s\n", retained.empty() ? "-" : human_size(retained[i]).c_str(),
                    human_size(s.size[i]).c_str(), hex_address(s.address[i]).c_str(),
                    object_cell(s, i, &names).c_str());
    }
}

void types(const Snapshot& s, const HeapGraph& g, const TopOptions& o) {
    RetainedSizes sizes = retained_sizes(g);
    std::vector<TypeRetained> rows = retained_by_type(g, sizes);
    auto key = [&](const TypeRetained& t) {
        if (o.by == "count") return std::make_tuple(t.count, t.size, t.retained);
        if (o.by == "size") return std::make_tuple(t.size, t.count, t.retained);
        return std::make_tuple(t.retained, t.size, t.count);
    };
    std::stable_sort(rows.begin(), rows.end(), [&](const TypeRetained& a, const TypeRetained& b) {
        if (key(a) != key(b)) return key(a) > key(b);
        return s.type_name(a.type) < s.type_name(b.type);
    });
    const std::size_t n = rows_to_show(rows.size(), o.top);
    if (o.json) {
        std::string out = "{\"by\": " + json_string(o.by) + ", \"group_by\": \"type\", \"rows\": [";
        for (std::size_t k = 0; k < n; ++k)
            out += std::string(k ? ", " : "") + "{\"type\": " + json_string(s.type_name(rows[k].type)) +
                   ", \"count\": " + std::to_string(rows[k].count) + ", \"size\": " + std::to_string(rows[k].size) +
                   ", \"retained\": " + std::to_string(rows[k].retained) + "}";
        out += "]}\n";
        std::fwrite(out.data(), 1, out.size(), stdout);
        return;
    }
    if (rows.empty()) {
        std::printf("no objects in %s\n", printable(o.path).c_str());
        return;
    }
    std::printf("%zu types by %s in %s (retained: what freeing every instance would free at least)\n", n,
                o.by.c_str(), printable(o.path).c_str());
    std::printf("%11s %11s %12s  %s\n", "retained", "size", "count", "type");
    for (std::size_t k = 0; k < n; ++k)
        std::printf("%11s %11s %12s  %s\n", human_size(rows[k].retained).c_str(), human_size(rows[k].size).c_str(),
                    with_commas(rows[k].count).c_str(), printable(s.type_name(rows[k].type)).c_str());
}

void run(TopOptions o) {
    if (o.group_by.empty()) o.group_by = o.by == "count" ? "type" : "object";
    if (o.group_by == "object" && o.by == "count")
        throw usage_error("--by count counts objects per type: use it with --group-by type");
    LoadOptions load;
    load.values = o.group_by == "object";
    PhaseTimer timer;
    Snapshot s = read_snapshot(o.path, load);
    timer.done("load");
    HeapGraph g(s, false);
    std::optional<ObjectNames> names;  // the rows' names, walked while the edges are here
    if (o.group_by == "object") names.emplace(g);
    // The graph holds the references now; what the rest needs of the snapshot is types,
    // sizes, values and edge kinds (for "list len 5"). Freeing the other columns before
    // the dominator tree is built takes ~40 bytes per object off the peak.
    std::vector<std::uint64_t>().swap(s.edge_target);
    std::vector<std::uint64_t>().swap(s.edge_arg);
    std::vector<std::uint64_t>().swap(s.refcount);
    std::vector<TracebackId>().swap(s.traceback);
    timer.done("graph");
    if (o.group_by == "object")
        objects(s, g, *names, o);
    else
        types(s, g, o);
    timer.done("analysis");
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
