// heapdiff suspects A [B ...]: the leak hunt in one command (graph/suspects.h computes;
// this file only renders): each suspect's holder by name, one labelled chain, how many
// objects and bytes, what they hold, where they were allocated, and what to run next.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstdio>
#include <memory>

#include "commands.h"
#include "count_option.h"
#include "format_text.h"
#include "heapdiff/error.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/neighbourhood.h"
#include "heapdiff/object_names.h"
#include "heapdiff/printable_text.h"
#include "heapdiff/reader.h"
#include "heapdiff/retained.h"
#include "heapdiff/suspects.h"
#include "object_output.h"
#include "phase_timer.h"

namespace heapdiff::cli {
namespace {

struct SuspectsCommandOptions {
    std::vector<std::string> paths;
    std::size_t top = 5;
    std::size_t holds = 5;
    std::string output;
    bool json = false;
};

const char* kind_name(SuspectKind k) {
    switch (k) {
        case SuspectKind::Held: return "held";
        case SuspectKind::CyclicTrash: return "cyclic_trash";
        case SuspectKind::Orphan: return "orphan";
        case SuspectKind::Big: return "big";
    }
    return "?";
}

// Most recent call last, as tracebacks read: "app.py:42 <- main.py:10".
std::vector<Frame> site_frames(const Snapshot& s, TracebackId t) {
    if (!t.valid() || t.value > s.traceback_count()) return {};
    return std::vector<Frame>(s.traceback_frames.begin() + static_cast<std::ptrdiff_t>(s.traceback_begin[t.value - 1]),
                              s.traceback_frames.begin() + static_cast<std::ptrdiff_t>(s.traceback_begin[t.value]));
}

std::vector<std::string> next_commands(const Snapshot& s, const Suspect& sp, const std::string& first,
                                       const std::string& path) {
    const std::string address = hex_address(s.address[sp.representative]);
    if (sp.kind == SuspectKind::CyclicTrash)
        return {"heapdiff backrefs " + path + " --address " + address, "heapdiff garbage " + path};
    if (sp.kind == SuspectKind::Orphan)  // no referrer to show: what it holds, and the orphans' growth
        return {"heapdiff refs " + path + " --address " + address, "heapdiff orphans " + first + " " + path};
    return {"heapdiff backrefs " + path + " --address " + address, "heapdiff retained " + path + " --address " + address};
}

void print_json(const HeapGraph& g, const ObjectNames& names, const SuspectsReport& r, const std::string& first,
                const std::string& path, std::size_t rows) {
    const Snapshot& s = g.snapshot();
    std::string out = "{\"snapshots\": " + std::to_string(r.snapshots) + ", \"candidates\": " +
                      std::to_string(r.candidates) + ", \"heap_bytes\": " + std::to_string(r.heap_bytes) +
                      ", \"suspects\": [";
    for (std::size_t k = 0; k < rows; ++k) {
        const Suspect& sp = r.suspects[k];
        out += std::string(k ? ", " : "") + "{\"kind\": \"" + kind_name(sp.kind) + "\", \"type\": " +
               json_string(s.type_name(sp.type)) + ", \"count\": " + std::to_string(sp.count) +
               ", \"retained\": " + std::to_string(sp.retained) + ", \"holder\": " +
               (sp.holder == kNoObject ? std::string("null") : "{" + object_json_fields(s, sp.holder, &names) + "}") +
               ", \"representative\": {" + object_json_fields(s, sp.representative, &names) +
               "}, \"chain\": " + chain_json(g, sp.chain) + ", \"holds\": [";
        for (std::size_t h = 0; h < sp.held.size(); ++h)
            out += std::string(h ? ", " : "") + "{\"type\": " + json_string(s.type_name(sp.held[h].type)) +
                   ", \"count\": " + std::to_string(sp.held[h].count) + ", \"size\": " + std::to_string(sp.held[h].size) +
                   ", \"example\": " +
                   (sp.held[h].example == kNoObject ? std::string("null")
                                                    : "{" + object_json_fields(s, sp.held[h].example, &names) + "}") +
                   "}";
        out += "], \"allocated\": [";
        std::vector<Frame> frames = site_frames(s, sp.site);
        for (std::size_t f = 0; f < frames.size(); ++f)
            out += std::string(f ? ", " : "") + "{\"filename\": " + json_string(s.strings.get(frames[f].filename)) +
                   ", \"lineno\": " + std::to_string(frames[f].lineno) + "}";
        out += "], \"next\": [";
        std::vector<std::string> next = next_commands(s, sp, first, path);
        for (std::size_t c = 0; c < next.size(); ++c) out += std::string(c ? ", " : "") + json_string(next[c]);
        out += "]}";
    }
    out += "]}\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
}

void print_text(const HeapGraph& g, const ObjectNames& names, const SuspectsReport& r,
                const SuspectsCommandOptions& o, std::size_t rows) {
    const Snapshot& s = g.snapshot();
    const std::string& last = o.paths.back();
    if (r.snapshots > 1)
        std::printf("%zu leak suspect%s in %s: %s objects born since %s%s are still alive\n", r.suspects.size(),
                    r.suspects.size() == 1 ? "" : "s", printable(last).c_str(), with_commas(r.candidates).c_str(),
                    printable(o.paths.front()).c_str(), r.snapshots > 2 ? " and in every later snapshot" : "");
    else
        std::printf("%zu leak suspect%s in %s: objects that retain at least 10%% of its %s, where the memory piles up\n",
                    r.suspects.size(), r.suspects.size() == 1 ? "" : "s", printable(last).c_str(),
                    human_size(r.heap_bytes).c_str());
    for (std::size_t k = 0; k < rows; ++k) {
        const Suspect& sp = r.suspects[k];
        const std::string type = printable(s.type_name(sp.type));
        std::printf("\n#%zu  ", k + 1);
        if (sp.kind == SuspectKind::Held)
            std::printf("%s new %s, retaining %s\n", with_commas(sp.count).c_str(), type.c_str(), human_size(sp.retained).c_str());
        else if (sp.kind == SuspectKind::CyclicTrash)
            std::printf("%s new %s in cyclic trash, %s that only the collector can free\n", with_commas(sp.count).c_str(),
                        type.c_str(), human_size(sp.retained).c_str());
        else if (sp.kind == SuspectKind::Orphan)
            std::printf("%s new orphaned %s, retaining %s: nothing in the snapshot refers to them, C code holds them "
                        "(a leaked reference?)\n",
                        with_commas(sp.count).c_str(), type.c_str(), human_size(sp.retained).c_str());
        else
            std::printf("one %s retains %s (%.0f%% of the heap) in %s objects\n", type.c_str(),
                        human_size(sp.retained).c_str(), 100.0 * static_cast<double>(sp.retained) / static_cast<double>(r.heap_bytes),
                        with_commas(sp.count).c_str());
        if (sp.holder != kNoObject && sp.kind == SuspectKind::Held)
            std::printf("    held by   %s\n", object_text(s, sp.holder, &names).c_str());
        else if (sp.kind == SuspectKind::Big)
            std::printf("    it is     %s\n", object_text(s, sp.holder, &names).c_str());
        if (sp.kind == SuspectKind::Orphan) {
            std::printf("    one of them %s\n", object_text(s, sp.representative, &names).c_str());
        } else {
            std::printf("    %s\n", sp.kind == SuspectKind::CyclicTrash ? "the cycle through one of them:" : "one chain:");
            print_chain_lines(g, sp.chain);
        }
        if (!sp.held.empty()) {
            std::printf("    holds    ");
            for (std::size_t h = 0; h < sp.held.size(); ++h)
                std::printf("%s %s %s (%s)", h ? "," : "", with_commas(sp.held[h].count).c_str(),
                            printable(s.type_name(sp.held[h].type)).c_str(), human_size(sp.held[h].size).c_str());
            std::printf("\n");
        }
        std::vector<Frame> frames = site_frames(s, sp.site);
        if (!frames.empty()) {
            std::printf("    allocated at (most recent call first):\n");
            for (const Frame& f : frames)
                std::printf("      %s:%u\n", printable(s.strings.get(f.filename)).c_str(), f.lineno);
        }
        for (const std::string& c : next_commands(s, sp, o.paths.front(), last)) std::printf("    next      %s\n", printable(c).c_str());
    }
    if (rows < r.suspects.size()) std::printf("\n... %zu more suspects (--top)\n", r.suspects.size() - rows);
}

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
    SuspectsOptions options;
    options.held_types = o.holds ? o.holds : SIZE_MAX;
    SuspectsReport r = find_suspects(g, sizes, before, options);
    timer.done("suspects");
    const std::size_t rows = rows_to_show(r.suspects.size(), o.top);
    if (o.json) print_json(g, names, r, o.paths.front(), o.paths.back(), rows);
    else print_text(g, names, r, o, rows);
    if (o.output.empty()) return;
    if (r.suspects.empty()) throw not_found_error("-o: there is no suspect to draw");
    write_drawing(draw_chains(g, {r.suspects.front().chain}, &sizes.retained, &names), o.output);
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
