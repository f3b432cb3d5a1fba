// heapdiff orphans A [B] [--json]: objects only C code holds, per type, with growth.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "commands/commands.h"
#include "commands/count_option.h"
#include "render/format_text.h"
#include "heapdiff/orphans.h"
#include "heapdiff/printable_text.h"
#include "heapdiff/reader.h"
#include "render/report_json.h"
#include "render/source_lines.h"

namespace heapdiff::cli {
namespace {

struct OrphansOptions {
    std::vector<std::string> paths;
    std::size_t top = 0;
    bool top_given = false;  // default: 15 in a table, all in JSON
    bool json = false;
    bool all = false;
};

std::string values_text(const std::vector<std::pair<std::string, std::int64_t>>& values, bool growth) {
    std::string out;
    for (const auto& [value, n] : values) {
        if (!out.empty()) out += ", ";
        out += printable(value);
        if (n > 1) out += std::string(" (") + (growth ? "+" : "x") + with_commas(static_cast<std::uint64_t>(n)) + ")";
    }
    return out;
}

void print_search(const UnreferencedSearch& s) {
    if (s.searched)
        std::printf("objects nothing refers to at all (searched %s): %s of them\n", printable(s.where).c_str(),
                    with_commas(s.objects).c_str());
    else if (!s.where.empty())
        std::printf("unreferenced objects %s: only objects reached through references are counted\n",
                    printable(s.where).c_str());
    else
        std::printf("unreferenced objects not searched (a snapshot from before the allocator scan): only objects\n"
                    "reached through references are counted\n");
}

void print_text(const OrphanReport& r, std::size_t rows, bool growth, bool all) {
    std::printf("heapdiff orphans: %s objects (%s) that nothing in the snapshot refers to, although their\n"
                "reference count says something does: references held by C code (the interpreter's own,\n"
                "or a C extension that never released them; growth between snapshots is the tell)\n",
                with_commas(r.objects).c_str(), human_size(r.bytes).c_str());
    print_search(r.search);
    if (!growth)
        std::printf("a bare interpreter already has a few hundred (its own caches, held from C): one snapshot\n"
                    "cannot tell them from a leak; compare two: heapdiff orphans A B\n");
    else if (!all)
        std::printf("types whose orphans grew (--all: every type)\n");
    if (r.types.empty()) {
        if (growth) std::printf("no growth\n");
        return;
    }
    if (growth)
        std::printf("%12s %11s %12s %12s  %s\n", "count", "size", "count diff", "size diff", "type");
    else
        std::printf("%12s %11s  %s\n", "count", "size", "type");
    SourceLines sources;
    for (std::size_t i = 0; i < rows; ++i) {
        const OrphanType& t = r.types[i];
        const TypeStat& stat = t.stat;
        if (growth)
            std::printf("%12s %11s %12s %12s  %s\n", with_commas(stat.count).c_str(), human_size(stat.size).c_str(),
                        signed_count(stat.count_diff).c_str(), signed_size(stat.size_diff).c_str(),
                        printable(stat.name).c_str());
        else
            std::printf("%12s %11s  %s\n", with_commas(stat.count).c_str(), human_size(stat.size).c_str(),
                        printable(stat.name).c_str());
        if (!t.values.empty() && i < 10)
            std::printf("%14s values: %s\n", "", values_text(t.values, growth).c_str());
        if (t.traceback.empty()) continue;
        const FrameText& f = t.traceback.back();
        std::printf("%14s %s of them allocated at File \"%s\", line %u\n", "", with_commas(t.traceback_count).c_str(),
                    printable(f.filename).c_str(), f.lineno);
        std::string line = sources.get(f.filename, f.lineno);
        if (!line.empty()) std::printf("%16s%s\n", "", printable(line).c_str());
    }
    if (rows < r.types.size()) std::printf("... %zu more types (--top)\n", r.types.size() - rows);
}

}  // namespace

void set_orphans_command(CLI::App& app) {
    auto o = std::make_shared<OrphansOptions>();
    CLI::App* cmd = app.add_subcommand("orphans", "Objects only C code holds (the signature of a C-level reference "
                                                  "leak), per type; with two snapshots, their growth");
    cmd->add_option("snapshots", o->paths, "One snapshot, or two (oldest first)")->required()->expected(1, 2);
    CLI::Option* top =
        add_count_option(cmd, "--top", o->top, "Types to show (0: all; default: 15 in a table, all in JSON)");
    cmd->add_flag("--json", o->json, "Print JSON");
    cmd->add_flag("--all", o->all, "With two snapshots, every type, not only those whose orphans grew");
    cmd->callback([o, top] {
        o->top_given = top->count() > 0;
        LoadOptions load;
        load.values = true;  // the values of small orphans are the clue
        std::vector<Snapshot> snaps;
        for (const std::string& p : o->paths) snaps.push_back(read_snapshot(p, load));
        std::vector<const Snapshot*> ptrs;
        for (const Snapshot& s : snaps) ptrs.push_back(&s);
        OrphanReport report = find_orphans(ptrs, o->all);
        std::size_t rows = rows_to_show(report.types.size(), o->top_given ? o->top : o->json ? 0 : 15);
        if (o->json)
            print_json(to_json(report, rows));
        else
            print_text(report, rows, snaps.size() == 2, o->all);
    });
}

}  // namespace heapdiff::cli
