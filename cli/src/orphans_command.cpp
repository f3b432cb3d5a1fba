// heapdiff orphans A [B] [--json]: objects only C code holds, per type, with growth.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "commands.h"
#include "count_option.h"
#include "format_text.h"
#include "heapdiff/orphans.h"
#include "heapdiff/printable_text.h"
#include "heapdiff/reader.h"
#include "source_lines.h"

namespace heapdiff::cli {
namespace {

struct OrphansOptions {
    std::vector<std::string> paths;
    std::size_t top = 0;
    bool top_given = false;  // default: 15 in a table, all in JSON
    bool json = false;
};

void print_json(const OrphanReport& r, std::size_t rows) {
    std::string out = "{\"objects\": " + std::to_string(r.objects) + ", \"bytes\": " + std::to_string(r.bytes) +
                      ", \"types\": [";
    for (std::size_t i = 0; i < rows; ++i) {
        const OrphanTypeStat& t = r.types[i];
        out += (i ? ", " : "");
        out += "{\"type\": " + json_string(t.type) + ", \"count\": " + std::to_string(t.count) +
               ", \"size\": " + std::to_string(t.size) + ", \"count_diff\": " + std::to_string(t.count_diff) +
               ", \"size_diff\": " + std::to_string(t.size_diff) + ", \"traceback\": [";
        for (std::size_t f = 0; f < t.traceback.size(); ++f)
            out += std::string(f ? ", " : "") + "{\"filename\": " + json_string(t.traceback[f].filename) +
                   ", \"lineno\": " + std::to_string(t.traceback[f].lineno) + "}";
        out += "]}";
    }
    out += "]}\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
}

void print_text(const OrphanReport& r, std::size_t rows, bool growth) {
    std::printf("heapdiff orphans: %s objects (%s) that nothing in the snapshot refers to, although their\n"
                "reference count says something does: references held by C code (the interpreter's own,\n"
                "or a C extension that never released them; growth between snapshots is the tell)\n",
                with_commas(r.objects).c_str(), human_size(r.bytes).c_str());
    if (r.types.empty()) return;
    if (growth)
        std::printf("%12s %11s %12s %12s  %s\n", "count", "size", "count diff", "size diff", "type");
    else
        std::printf("%12s %11s  %s\n", "count", "size", "type");
    SourceLines sources;
    for (std::size_t i = 0; i < rows; ++i) {
        const OrphanTypeStat& t = r.types[i];
        if (growth)
            std::printf("%12s %11s %12s %12s  %s\n", with_commas(t.count).c_str(), human_size(t.size).c_str(),
                        signed_count(t.count_diff).c_str(), signed_size(t.size_diff).c_str(), printable(t.type).c_str());
        else
            std::printf("%12s %11s  %s\n", with_commas(t.count).c_str(), human_size(t.size).c_str(),
                        printable(t.type).c_str());
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
    cmd->callback([o, top] {
        o->top_given = top->count() > 0;
        LoadOptions load;
        load.values = false;
        std::vector<Snapshot> snaps;
        for (const std::string& p : o->paths) snaps.push_back(read_snapshot(p, load));
        std::vector<const Snapshot*> ptrs;
        for (const Snapshot& s : snaps) ptrs.push_back(&s);
        OrphanReport report = find_orphans(ptrs);
        std::size_t rows = rows_to_show(report.types.size(), o->top_given ? o->top : o->json ? 0 : 15);
        if (o->json)
            print_json(report, rows);
        else
            print_text(report, rows, snaps.size() == 2);
    });
}

}  // namespace heapdiff::cli
