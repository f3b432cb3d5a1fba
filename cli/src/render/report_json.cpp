#include "render/report_json.h"
#include "render/memory_output.h"
#include "render/object_output.h"

namespace heapdiff::cli {
namespace {

Json traceback_json(const std::vector<FrameText>& frames) {
    Json out = Json::array();
    for (const FrameText& f : frames) out.push_back({{"filename", f.filename}, {"lineno", f.lineno}});
    return out;
}

Json strings_json(const std::vector<std::string>& texts) {
    Json out = Json::array();
    for (const std::string& t : texts) out.push_back(t);
    return out;
}

}  // namespace

Json type_row_json(const TypeStat& t) { return {{"type", t.name}, {"count", t.count}, {"size", t.size}}; }

Json to_json(const SummaryReport& r) {
    const SnapshotFacts& f = r.facts;
    Json out = {{"objects", r.summary.objects},
                {"bytes", r.summary.bytes},
                {"gc_tracked", r.summary.gc_tracked},
                {"label", f.label},
                {"unreferenced",
                 {{"searched", r.unreferenced.searched},
                  {"search", r.unreferenced.where},
                  {"objects", r.unreferenced.objects}}},
                {"garbage", {{"objects", r.garbage.objects}, {"bytes", r.garbage.bytes}}}};
    // Optional fields: present only when the snapshot knows them (docs/JSON.md).
    if (f.rss) out["rss"] = *f.rss;
    if (f.tracemalloc) out["tracemalloc"] = {{"traced", f.tracemalloc->traced}, {"peak", f.tracemalloc->peak}};
    if (f.collecting_objects) out["during_collection"] = {{"collecting_objects", *f.collecting_objects}};
    if (r.memory.available) out["memory"] = account_json(r.memory, 5);
    Json types = Json::array();
    for (const TypeStat& t : r.summary.types) types.push_back(type_row_json(t));
    out["types"] = std::move(types);
    return out;
}

Json to_json(const DiffReport& r, std::size_t rows) {
    const bool traces = groups_traces(r.group_by);
    Json groups = Json::array();
    for (std::size_t i = 0; i < rows && i < r.groups.size(); ++i) {
        const GroupDiff& g = r.groups[i];
        Json row = {{"key", g.key},          {"count", g.count}, {"size", g.size},
                    {"count_diff", g.count_diff}, {"size_diff", g.size_diff}, {"new", g.new_objects},
                    {"freed", g.freed_objects}};
        if (traces) {
            row["walked_size"] = g.walked_size;
            row["traceback"] = traceback_json(g.traceback);
        }
        groups.push_back(std::move(row));
    }
    Json out = {{"group_by", group_by_name(r.group_by)},
                {"snapshots", strings_json(r.names)},
                {"warnings", strings_json(r.warnings)},
                {"notes", strings_json(r.notes)},
                {"groups", std::move(groups)}};
    if (r.snapshots >= 3) out["churn"] = {{"count", r.churn_count}, {"size", r.churn_size}};
    return out;
}

Json to_json(const OrphanReport& r, std::size_t rows) {
    Json types = Json::array();
    for (std::size_t i = 0; i < rows && i < r.types.size(); ++i) {
        const OrphanType& t = r.types[i];
        Json row = type_row_json(t.stat);
        row["count_diff"] = t.stat.count_diff;
        row["size_diff"] = t.stat.size_diff;
        row["unreferenced"] = t.unreferenced;
        Json values = Json::array();
        for (const auto& [value, n] : t.values) values.push_back({{"value", value}, {"count", n}});
        row["values"] = std::move(values);
        row["traceback"] = traceback_json(t.traceback);
        types.push_back(std::move(row));
    }
    return {{"objects", r.objects},
            {"bytes", r.bytes},
            {"unreferenced_searched", r.search.searched},
            {"unreferenced_search", r.search.where},
            {"unreferenced_objects", r.search.objects},
            {"types", std::move(types)}};
}

Json to_json(const GarbageReport& r) {
    Json types = Json::array();
    for (const GarbageType& t : r.types) {
        Json row = type_row_json(t.stat);
        row["finalizers"] = t.finalizers;
        row["in_gc_garbage"] = t.in_gc_garbage;
        row["sampled"] = t.sampled;
        Json cycles = Json::array();
        for (const CycleShape& c : t.cycles) cycles.push_back({{"shape", c.shape}, {"count", c.count}});
        row["cycles"] = std::move(cycles);
        types.push_back(std::move(row));
    }
    return {{"objects", r.objects},
            {"bytes", r.bytes},
            {"finalizers", r.finalizers},
            {"in_gc_garbage", r.in_gc_garbage},
            {"types", std::move(types)}};
}

Json to_json(const TopReport& r, const Snapshot& s, const ObjectNames* names) {
    Json rows = Json::array();
    for (const TopObject& o : r.objects) {
        Json row = object_json(s, o.object, names);
        if (r.by == TopMeasure::Retained) row["retained"] = o.retained;
        rows.push_back(std::move(row));
    }
    for (const TypeStat& t : r.types) {
        Json row = type_row_json(t);
        row["retained"] = t.retained;
        rows.push_back(std::move(row));
    }
    return {{"by", top_measure_name(r.by)}, {"group_by", top_grouping_name(r.group_by)}, {"rows", std::move(rows)}};
}

Json to_json(const RetainedReport& r, const Snapshot& s, const ObjectNames* names) {
    Json object = object_json(s, r.object, names);
    object["retained"] = r.bytes;
    Json types = Json::array();
    for (const TypeStat& t : r.types) types.push_back(type_row_json(t));
    return {{"object", std::move(object)},
            {"objects", r.kept.size()},
            {"bytes", r.bytes},
            {"types", std::move(types)}};
}

}  // namespace heapdiff::cli
