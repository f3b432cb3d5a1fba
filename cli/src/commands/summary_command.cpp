// heapdiff summary SNAP [--top N] [--json]: totals, then the top types by count and
// by size (objgraph's show_most_common_types, tracemalloc's statistics).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <ctime>
#include <memory>

#include "commands/commands.h"
#include "commands/count_option.h"
#include "render/format_text.h"
#include "heapdiff/printable_text.h"
#include "heapdiff/reader.h"
#include "heapdiff/summary_report.h"
#include "render/memory_output.h"
#include "render/report_json.h"

namespace heapdiff::cli {
namespace {

struct SummaryOptions {
    std::string path;
    std::size_t top = 10;
    bool json = false;
};

void print_table(const char* order, const std::vector<TypeStat>& rows, std::size_t top) {
    const std::size_t shown = rows_to_show(rows.size(), top);
    std::printf("\n%s %zu types by %s\n", shown == rows.size() ? "All" : "Top", shown, order);
    std::printf("%14s %11s  %s\n", "count", "size", "type");
    for (std::size_t i = 0; i < shown; ++i)
        std::printf("%14s %11s  %s\n", with_commas(rows[i].count).c_str(), human_size(rows[i].size).c_str(),
                    printable(rows[i].name).c_str());
}

// How much of the process's memory the walk accounts for, and what tracemalloc saw: a
// large gap is memory the objects do not explain (buffers of C libraries, fragmentation,
// or objects nothing refers to).
void print_memory_explained(const SnapshotFacts& f, std::uint64_t object_bytes) {
    std::string line;
    if (f.rss && *f.rss > 0)
        line = "the objects' " + human_size(object_bytes) + " are " +
               std::to_string(static_cast<int>(100.0 * static_cast<double>(object_bytes) / static_cast<double>(*f.rss) + 0.5)) +
               "% of RSS";
    if (f.tracemalloc && f.tracemalloc->traced >= 0) {
        const std::int64_t traced = f.tracemalloc->traced, peak = f.tracemalloc->peak;
        line += std::string(line.empty() ? "" : "; ") + "tracemalloc traced " + human_size(static_cast<std::uint64_t>(traced)) +
                (peak >= 0 ? " (peak " + human_size(static_cast<std::uint64_t>(peak)) + ")" : std::string());
    }
    if (!line.empty()) std::printf("%s\n", line.c_str());
}

void print_text(const SummaryOptions& o, const SummaryReport& r) {
    const SnapshotFacts& f = r.facts;
    const Summary& sum = r.summary;
    std::string label = printable(f.label);
    std::printf("snapshot %s%s%s%s\n", printable(o.path).c_str(), label.empty() ? "" : "  label '", label.c_str(),
                label.empty() ? "" : "'");
    std::printf("taken %s  pid %lld  Python %s\n", local_time(f).c_str(), static_cast<long long>(f.pid),
                printable(f.python_version).c_str());
    if (f.collecting_objects)
        std::printf("taken during a garbage collection (from a __del__, a weakref callback or gc.callbacks): "
                    "%llu objects being collected were found through what refers to them; others being collected "
                    "that nothing running refers to are not in it\n",
                    static_cast<unsigned long long>(*f.collecting_objects));
    std::printf("objects %s  bytes %s  gc-tracked %s  RSS %s\n", with_commas(sum.objects).c_str(),
                human_size(sum.bytes).c_str(), with_commas(sum.gc_tracked).c_str(),
                f.rss ? human_size(*f.rss).c_str() : "?");
    if (r.memory.available) {
        print_account(r.memory, false);
        // One finding: what dominates, and the command that says more.
        const std::vector<MemoryFinding> findings = memory_findings({r.memory}, {o.path});
        if (!findings.empty()) std::printf("  %s\n", printable(findings.front().text, kWholeText).c_str());
        std::printf("  more: heapdiff memory %s\n", printable(o.path).c_str());
    } else {
        print_memory_explained(f, sum.bytes);
    }
    std::printf("cyclic trash: %s objects (%s) that no root reaches%s\n", with_commas(r.garbage.objects).c_str(),
                human_size(r.garbage.bytes).c_str(),
                r.garbage.objects ? ("; heapdiff garbage " + printable(o.path)).c_str() : "");
    const UnreferencedSearch& search = r.unreferenced;
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
    print_table("count", sum.types, o.top);
    print_table("size", r.types_by_size, o.top);
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
        const SummaryReport report = summary_report(read_snapshot(opts->path, load));
        if (opts->json)
            print_json(to_json(report));
        else
            print_text(*opts, report);
    });
}

}  // namespace heapdiff::cli
