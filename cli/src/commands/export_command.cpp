// heapdiff export SNAP --format chrome -o FILE.heapsnapshot: the snapshot in Chrome
// DevTools' heap snapshot format, so that a Python heap opens in the Memory tab of any
// Chromium browser (Summary by type, Containment from the roots, Retainers, Dominators).
// --format speedscope: tracemalloc's allocation sites as a flame graph (speedscope's
// file format). The models are graph/'s ChromeHeap and core's AllocationProfile; this
// file only writes them as JSON, under a temporary
// name renamed into place (PendingFile), so FILE is whole or absent.
#include <CLI/CLI.hpp>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>

#include "commands/commands.h"
#include "render/format_text.h"
#include "heapdiff/allocation_profile.h"
#include "heapdiff/chrome_heap.h"
#include "heapdiff/error.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/pending_file.h"
#include "heapdiff/reader.h"
#include "heapdiff/version.h"
#include "render/json_output.h"

namespace heapdiff::cli {
namespace {

struct ExportOptions {
    std::string path;
    std::string format = "chrome";
    std::string output;
};

// Buffered writes into a PendingFile: the file appears whole, or not at all.
class OutputFile {
public:
    explicit OutputFile(const std::string& path) : file_(path), path_(path) {}
    void put(std::string_view text) {
        if (std::fwrite(text.data(), 1, text.size(), file_.get()) != text.size())
            throw Error("cannot write " + path_ + ": " + std::strerror(errno));
    }
    void put(std::uint64_t n) {
        char buf[24];
        auto end = std::to_chars(buf, buf + sizeof buf, n).ptr;
        put(std::string_view(buf, static_cast<std::size_t>(end - buf)));
    }
    void commit() { file_.commit(); }

private:
    PendingFile file_;
    std::string path_;
};

// One JSON string, escaped by nlohmann's serializer like every other JSON heapdiff writes
// (json_output.h: ASCII only, bytes that are not UTF-8 as U+FFFD), so a heap's text
// cannot break the document.
std::string json_quoted(const std::string& text) { return json_text(Json(text), kWholeText); }

void put_names(OutputFile& out, const std::vector<std::string>& names) {
    out.put("[");
    for (std::size_t k = 0; k < names.size(); ++k) {
        if (k) out.put(",");
        out.put(json_quoted(names[k]));
    }
    out.put("]");
}

// Fields of one row per line: readable with a pager, and still one JSON document.
void put_rows(OutputFile& out, const std::vector<std::uint32_t>& values, std::size_t per_row) {
    out.put("[");
    for (std::size_t k = 0; k < values.size(); ++k) {
        if (k) out.put(k % per_row ? "," : ",\n");
        out.put(values[k]);
    }
    out.put("]");
}

// Streamed, not built as a nlohmann::json document: a heap of a million objects makes a
// file of 100+ MiB, whose DOM (a json value per number, ~16 bytes each plus the arrays'
// overhead) would take gigabytes. The structure is written piece by piece; only the
// strings go through nlohmann (json_quoted), so the escaping is the one of every document.
void write_chrome(const ChromeHeap& heap, const std::string& path) {
    OutputFile out(path);
    out.put("{\"snapshot\":{\"meta\":{\"node_fields\":");
    put_names(out, ChromeHeap::node_fields());
    out.put(",\"node_types\":[");
    put_names(out, ChromeHeap::node_types());
    out.put(",\"string\",\"number\",\"number\",\"number\",\"number\",\"number\"],\"edge_fields\":");
    put_names(out, ChromeHeap::edge_fields());
    out.put(",\"edge_types\":[");
    put_names(out, ChromeHeap::edge_types());
    out.put(",\"string_or_number\",\"node\"],"
            "\"trace_function_info_fields\":[\"function_id\",\"name\",\"script_name\",\"script_id\",\"line\",\"column\"],"
            "\"trace_node_fields\":[\"id\",\"function_info_index\",\"count\",\"size\",\"children\"],"
            "\"sample_fields\":[\"timestamp_us\",\"last_assigned_id\"],"
            "\"location_fields\":[\"object_index\",\"script_id\",\"line\",\"column\"]},\"node_count\":");
    out.put(heap.node_count());
    out.put(",\"edge_count\":");
    out.put(heap.edge_count());
    out.put(",\"trace_function_count\":0},\n\"nodes\":");
    put_rows(out, heap.nodes, ChromeHeap::node_fields().size());
    out.put(",\n\"edges\":");
    put_rows(out, heap.edges, ChromeHeap::edge_fields().size());
    out.put(",\n\"trace_function_infos\":[],\"trace_tree\":[],\"samples\":[],\"locations\":[],\n\"strings\":[");
    for (std::size_t k = 0; k < heap.strings.size(); ++k) {
        if (k) out.put(",\n");
        out.put(json_quoted(heap.strings[k]));
    }
    out.put("]}\n");
    out.commit();
}

// speedscope's file format (https://www.speedscope.app/file-format-schema.json): one
// "sampled" profile whose samples are the allocation stacks and whose weights are bytes.
// A document of the size of tracemalloc's tracebacks: built whole, as nlohmann::json.
Json speedscope_json(const AllocationProfile& profile, const std::string& title) {
    Json frames = Json::array();
    for (const AllocationProfile::Site& site : profile.sites)
        frames.push_back({{"name", base_name(site.file) + ":" + std::to_string(site.line)},
                          {"file", site.file},
                          {"line", site.line}});
    Json samples = Json::array();
    for (const auto& stack : profile.stacks) samples.push_back(stack);
    Json sampled = {{"type", "sampled"},
                    {"name", title + ": memory still allocated, by allocation site"},
                    {"unit", "bytes"},
                    {"startValue", 0},
                    {"endValue", profile.total_bytes},
                    {"samples", std::move(samples)},
                    {"weights", profile.bytes}};
    return {{"$schema", "https://www.speedscope.app/file-format-schema.json"},
            {"exporter", std::string("heapdiff ") + kVersion},
            {"name", title},
            {"activeProfileIndex", 0},
            {"shared", {{"frames", std::move(frames)}}},
            {"profiles", Json::array({std::move(sampled)})}};
}

void write_speedscope(const AllocationProfile& profile, const std::string& title, const std::string& path) {
    OutputFile out(path);
    out.put(json_text(speedscope_json(profile, title), kWholeText));
    out.put("\n");
    out.commit();
}

void export_speedscope(const ExportOptions& o) {
    LoadOptions load;
    load.edges = false;
    load.values = false;
    Snapshot s = read_snapshot(o.path, load);
    AllocationProfile profile = allocation_profile(s, o.path);
    const Fact* label = s.fact("label");
    const std::string title = base_name(o.path) + (label && label->kind == format::FactKind::String && !label->string_value.empty()
                                                      ? " (" + label->string_value + ")" : "");
    write_speedscope(profile, title, o.output);
    std::printf("wrote %s: %s allocation stacks, %s in all, %s frames (open it in https://www.speedscope.app or any "
                "speedscope viewer)\n",
                o.output.c_str(), with_commas(profile.stacks.size()).c_str(), human_size(profile.total_bytes).c_str(),
                with_commas(profile.sites.size()).c_str());
    if (profile.cut_stacks)
        std::printf("note: %s stacks were cut at tracemalloc's frame limit: their outermost frames are missing "
                    "(trace more frames: PYTHONTRACEMALLOC=50)\n", with_commas(profile.cut_stacks).c_str());
}

void run(const ExportOptions& o) {
    if (o.output.empty()) throw usage_error("export needs -o FILE");
    if (o.format == "speedscope") return export_speedscope(o);
    Snapshot s = read_snapshot(o.path);
    HeapGraph g(s, false);
    ChromeHeap heap = chrome_heap(g);
    write_chrome(heap, o.output);
    std::printf("wrote %s: %s nodes, %s edges, %s strings (Chrome DevTools: Memory tab, Load profile)\n",
                o.output.c_str(), with_commas(heap.node_count()).c_str(), with_commas(heap.edge_count()).c_str(),
                with_commas(heap.strings.size()).c_str());
    if (heap.clamped_sizes)
        std::printf("note: %s objects over 4 GiB are shown as 4 GiB (the format's sizes are 32-bit)\n",
                    with_commas(heap.clamped_sizes).c_str());
    if (heap.unresolved_edges)
        std::printf("note: %s references to objects the snapshot does not hold are left out\n",
                    with_commas(heap.unresolved_edges).c_str());
}

}  // namespace

void set_export_command(CLI::App& app) {
    auto o = std::make_shared<ExportOptions>();
    CLI::App* cmd = app.add_subcommand("export", "Write the snapshot in another tool's format: chrome (DevTools' "
                                                 ".heapsnapshot, for the Memory tab of a Chromium browser) or "
                                                 "speedscope (allocation sites as a flame graph)");
    cmd->add_option("snapshot", o->path, "Snapshot file written by heapdiff.dump()")->required();
    cmd->add_option("--format", o->format,
                    "chrome: the objects, for DevTools' Memory tab; speedscope: tracemalloc's allocation sites as a "
                    "flame graph")
        ->check(CLI::IsMember({"chrome", "speedscope"}))
        ->capture_default_str();
    cmd->add_option("-o,--output", o->output, "The file to write, e.g. heap.heapsnapshot")->required();
    cmd->callback([o] { run(*o); });
}

}  // namespace heapdiff::cli
