// heapdiff summary SNAP [--top N] [--json]: totals, then the top types by count and
// by size (objgraph's show_most_common_types, tracemalloc's statistics).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>

#include "commands.h"
#include "count_option.h"
#include "format_text.h"
#include "heapdiff/garbage.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/orphans.h"
#include "heapdiff/printable_text.h"
#include "heapdiff/reader.h"
#include "heapdiff/summary.h"

namespace heapdiff::cli {
namespace {

struct SummaryOptions {
    std::string path;
    std::size_t top = 10;
    bool json = false;
};

std::int64_t int_fact(const Snapshot& s, std::string_view key, std::int64_t fallback = -1) {
    const Fact* f = s.fact(key);
    return f && f->kind == format::FactKind::Int ? f->int_value : fallback;
}

std::string string_fact(const Snapshot& s, std::string_view key) {
    const Fact* f = s.fact(key);
    return f && f->kind == format::FactKind::String ? f->string_value : std::string();
}

std::string local_time(const Snapshot& s) {
    const Fact* f = s.fact("time");
    if (!f || f->kind != format::FactKind::Float) return "?";
    std::time_t t = static_cast<std::time_t>(f->float_value);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::localtime(&t));
    return buf;
}

void print_table(const Snapshot& s, const char* order, const std::vector<TypeStat>& rows, std::size_t top) {
    const std::size_t shown = rows_to_show(rows.size(), top);
    std::printf("\n%s %zu types by %s\n", shown == rows.size() ? "All" : "Top", shown, order);
    std::printf("%14s %11s  %s\n", "count", "size", "type");
    for (std::size_t i = 0; i < shown; ++i)
        std::printf("%14s %11s  %s\n", with_commas(rows[i].count).c_str(), human_size(rows[i].size).c_str(),
                    printable(s.type_name(rows[i].type)).c_str());
}

// How much of the process's memory the walk accounts for, and what tracemalloc saw: a
// large gap is memory the objects do not explain (buffers of C libraries, fragmentation,
// or objects nothing refers to).
void print_memory_explained(const Snapshot& s, std::uint64_t object_bytes) {
    const std::int64_t rss = int_fact(s, "process.rss");
    std::string line;
    if (rss > 0)
        line = "the objects' " + human_size(object_bytes) + " are " +
               std::to_string(static_cast<int>(100.0 * static_cast<double>(object_bytes) / static_cast<double>(rss) + 0.5)) +
               "% of RSS";
    if (int_fact(s, "tracemalloc.tracing", 0) > 0) {
        const std::int64_t traced = int_fact(s, "tracemalloc.traced"), peak = int_fact(s, "tracemalloc.peak");
        if (traced >= 0)
            line += std::string(line.empty() ? "" : "; ") + "tracemalloc traced " + human_size(static_cast<std::uint64_t>(traced)) +
                    (peak >= 0 ? " (peak " + human_size(static_cast<std::uint64_t>(peak)) + ")" : std::string());
    }
    if (!line.empty()) std::printf("%s\n", line.c_str());
}

void print_text(const SummaryOptions& o, const Snapshot& s, const Summary& sum, const GarbageReport& trash) {
    std::string label = printable(string_fact(s, "label"));
    std::printf("snapshot %s%s%s%s\n", printable(o.path).c_str(), label.empty() ? "" : "  label '", label.c_str(),
                label.empty() ? "" : "'");
    const std::string version = string_fact(s, "python.version");
    std::printf("taken %s  pid %lld  Python %s\n", local_time(s).c_str(), static_cast<long long>(int_fact(s, "pid")),
                printable(version.substr(0, version.find(' '))).c_str());
    if (int_fact(s, "probe.during_collection", 0) > 0)
        std::printf("taken during a garbage collection (from a __del__, a weakref callback or gc.callbacks): "
                    "%lld objects being collected were found through what refers to them; others being collected "
                    "that nothing running refers to are not in it\n",
                    static_cast<long long>(int_fact(s, "probe.collecting_objects", 0)));
    std::int64_t rss = int_fact(s, "process.rss");
    std::printf("objects %s  bytes %s  gc-tracked %s  RSS %s\n", with_commas(sum.objects).c_str(),
                human_size(sum.bytes).c_str(), with_commas(sum.gc_tracked).c_str(),
                rss >= 0 ? human_size(static_cast<std::uint64_t>(rss)).c_str() : "?");
    print_memory_explained(s, sum.bytes);
    std::printf("cyclic trash: %s objects (%s) that no root reaches%s\n", with_commas(trash.objects).c_str(),
                human_size(trash.bytes).c_str(), trash.objects ? ("; heapdiff garbage " + printable(o.path)).c_str() : "");
    const UnreferencedSearch search = unreferenced_search(s);
    if (search.searched)
        std::printf("nothing refers to %s objects at all (searched %s)%s\n", with_commas(search.objects).c_str(),
                    printable(search.where).c_str(), search.objects ? ("; heapdiff orphans " + printable(o.path)).c_str() : "");
    else
        std::printf("unreferenced objects %s\n",
                    search.where.empty() ? "not searched (a snapshot from before the allocator scan)" : printable(search.where).c_str());
    if (sum.objects == 0) {
        std::printf("no objects\n");
        return;
    }
    print_table(s, "count", sum.types, o.top);
    print_table(s, "size", by_size(s, sum.types), o.top);
}

void print_json(const Snapshot& s, const Summary& sum, const GarbageReport& trash) {
    std::string out = "{\"objects\": " + std::to_string(sum.objects) + ", \"bytes\": " + std::to_string(sum.bytes) +
                      ", \"gc_tracked\": " + std::to_string(sum.gc_tracked);
    std::int64_t rss = int_fact(s, "process.rss");
    if (rss >= 0) out += ", \"rss\": " + std::to_string(rss);
    out += ", \"label\": " + json_string(string_fact(s, "label"));
    if (int_fact(s, "tracemalloc.tracing", 0) > 0)
        out += ", \"tracemalloc\": {\"traced\": " + std::to_string(int_fact(s, "tracemalloc.traced")) +
               ", \"peak\": " + std::to_string(int_fact(s, "tracemalloc.peak")) + "}";
    const UnreferencedSearch search = unreferenced_search(s);
    out += std::string(", \"unreferenced\": {\"searched\": ") + (search.searched ? "true" : "false") +
           ", \"search\": " + json_string(search.where) + ", \"objects\": " + std::to_string(search.objects) + "}";
    if (int_fact(s, "probe.during_collection", 0) > 0)
        out += ", \"during_collection\": {\"collecting_objects\": " +
               std::to_string(int_fact(s, "probe.collecting_objects", 0)) + "}";
    out += ", \"garbage\": {\"objects\": " + std::to_string(trash.objects) + ", \"bytes\": " + std::to_string(trash.bytes) + "}";
    out += ", \"types\": [";
    for (std::size_t i = 0; i < sum.types.size(); ++i) {
        const TypeStat& t = sum.types[i];
        if (i) out += ", ";
        out += "{\"type\": " + json_string(s.type_name(t.type)) + ", \"count\": " + std::to_string(t.count) +
               ", \"size\": " + std::to_string(t.size) + "}";
    }
    out += "]}\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace

void set_summary_command(CLI::App& app) {
    auto opts = std::make_shared<SummaryOptions>();
    CLI::App* cmd = app.add_subcommand("summary", "Totals and the most common types of one snapshot");
    cmd->add_option("snapshot", opts->path, "Snapshot file written by heapdiff.dump()")->required();
    add_count_option(cmd, "--top", opts->top, "How many types to list in each table (0: all)")->capture_default_str();
    cmd->add_flag("--json", opts->json, "Print JSON with every type, not only the top N");
    cmd->callback([opts] {
        LoadOptions load;
        load.values = false;  // edge targets and refcounts: the cyclic trash line needs the graph
        load.edge_labels = false;
        Snapshot s = read_snapshot(opts->path, load);
        Summary sum = summarize(s);
        GarbageReport trash = find_garbage(HeapGraph(s, false));
        if (opts->json)
            print_json(s, sum, trash);
        else
            print_text(*opts, s, sum, trash);
    });
}

}  // namespace heapdiff::cli
