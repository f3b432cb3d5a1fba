#include "render/memory_output.h"

#include <cstdio>

#include "heapdiff/printable_text.h"
#include "render/format_text.h"

namespace heapdiff::cli {
namespace {

std::string percent(std::uint64_t part, std::uint64_t whole) {
    if (!whole) return "?";
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.0f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
    return buf;
}

Json optional_json(const std::optional<std::int64_t>& v) { return v ? Json(*v) : Json(nullptr); }

}  // namespace

void print_account(const MemoryAccount& a, bool all) {
    if (!a.available) {
        std::printf("where the memory went: %s\n", printable(a.why_not).c_str());
        return;
    }
    std::printf("where the memory went (RSS %s from smaps%s):\n", human_size(a.rss).c_str(),
                a.cgroup_limit ? (", cgroup limit " + human_size(static_cast<std::uint64_t>(*a.cgroup_limit))).c_str() : "");
    for (MemoryCategory c : kAllMemoryCategories) {
        if (!all && a.get(c) == 0) continue;
        std::printf("  %11s %5s  %s%s\n", human_size(a.get(c)).c_str(), percent(a.get(c), a.rss).c_str(),
                    std::string(category_title(c)).c_str(), a.is_estimated(c) ? "  (estimated)" : "");
    }
}

void print_memory_report(const std::vector<MemoryAccount>& accounts, const std::vector<std::string>& paths,
                         const std::vector<MemoryFinding>& findings, std::size_t top_paths) {
    for (std::size_t i = 0; i < accounts.size(); ++i) {
        const MemoryAccount& a = accounts[i];
        std::printf("%s#%zu %s\n", i ? "\n" : "", i + 1, printable(paths[i]).c_str());
        print_account(a, false);
        if (!a.available) continue;
        const PymallocFigures& p = a.pymalloc;
        if (p.read)
            std::printf("  pymalloc: %s arenas of %s, %s resident, %s in %s blocks; %s arenas under a quarter used\n",
                        with_commas(p.arenas).c_str(), human_size(p.arena_size).c_str(), human_size(p.resident).c_str(),
                        human_size(p.used_bytes).c_str(), with_commas(p.used_blocks).c_str(),
                        with_commas(p.sparse_arenas).c_str());
        else if (!p.source.empty())
            std::printf("  pymalloc: %s\n", printable(p.source).c_str());
        const MallocFigures& m = a.malloc;
        if (!m.allocator.empty()) {
            std::string line = "  malloc: " + m.allocator;
            if (m.in_use) line += ", in use " + human_size(static_cast<std::uint64_t>(*m.in_use));
            if (m.free) line += ", free " + human_size(static_cast<std::uint64_t>(*m.free));
            if (m.mmapped) line += ", mmapped " + human_size(static_cast<std::uint64_t>(*m.mmapped));
            if (m.allocated) line += ", allocated " + human_size(static_cast<std::uint64_t>(*m.allocated));
            if (m.resident) line += ", resident " + human_size(static_cast<std::uint64_t>(*m.resident));
            if (m.arenas) line += ", " + std::to_string(m.arenas) + " arenas";
            std::printf("%s\n", printable(line).c_str());
        }
        for (const DomainTotal& d : a.traced_domains)
            std::printf("  tracemalloc domain %u%s: %s in %s blocks\n", d.domain,
                        d.domain == 0 ? " (Python)" : d.domain == 389047 ? " (NumPy)" : "", human_size(d.bytes).c_str(),
                        with_commas(d.blocks).c_str());
        std::size_t shown = 0;
        for (const PathTotal& f : a.paths) {
            if (shown++ == top_paths) break;
            std::printf("  %11s  %s (%s)\n", human_size(f.rss).c_str(), printable(f.path).c_str(),
                        std::string(mapping_kind_name(f.kind)).c_str());
        }
    }
    if (accounts.size() >= 2 && accounts.front().available && accounts.back().available) {
        const MemoryAccount &first = accounts.front(), &last = accounts.back();
        std::printf("\ngrowth from #1 to #%zu: RSS %s\n", accounts.size(),
                    signed_size(static_cast<std::int64_t>(last.rss) - static_cast<std::int64_t>(first.rss)).c_str());
        for (MemoryCategory c : kAllMemoryCategories) {
            const std::int64_t g = static_cast<std::int64_t>(last.get(c)) - static_cast<std::int64_t>(first.get(c));
            if (g != 0) std::printf("  %12s  %s\n", signed_size(g).c_str(), std::string(category_title(c)).c_str());
        }
    }
    std::printf("\n");
    for (const MemoryFinding& f : findings) std::printf("* %s\n", printable(f.text, kWholeText).c_str());
}

Json account_json(const MemoryAccount& a, std::size_t top_paths) {
    Json j = {{"available", a.available}};
    if (!a.available) {
        j["why_not"] = a.why_not;
        return j;
    }
    j["rss"] = a.rss;
    j["process_rss"] = a.process_rss ? Json(*a.process_rss) : Json(nullptr);
    Json cats = Json::array();
    for (MemoryCategory c : kAllMemoryCategories)
        cats.push_back({{"name", category_key(c)},
                        {"title", category_title(c)},
                        {"bytes", a.get(c)},
                        {"percent", a.rss ? 100.0 * static_cast<double>(a.get(c)) / static_cast<double>(a.rss) : 0.0},
                        {"estimated", a.is_estimated(c)}});
    j["categories"] = cats;
    j["objects"] = {{"count", a.objects}, {"bytes", a.object_bytes}, {"bytes_in_pymalloc", a.object_bytes_in_pymalloc}};
    const PymallocFigures& p = a.pymalloc;
    j["pymalloc"] = {{"read", p.read},           {"source", p.source},          {"arena_size", p.arena_size},
                     {"pool_size", p.pool_size}, {"arenas", p.arenas},          {"arena_bytes", p.arena_bytes},
                     {"resident", p.resident},   {"pools", p.pools},            {"free_pools", p.free_pools},
                     {"used_bytes", p.used_bytes}, {"used_blocks", p.used_blocks}, {"sparse_arenas", p.sparse_arenas},
                     {"sparse_resident", p.sparse_resident}, {"arenas_if_packed", p.arenas_if_packed}};
    const MallocFigures& m = a.malloc;
    j["malloc"] = {{"allocator", m.allocator},
                   {"exposes", m.exposes},
                   {"in_use", optional_json(m.in_use)},
                   {"free", optional_json(m.free)},
                   {"mmapped", optional_json(m.mmapped)},
                   {"system", optional_json(m.system)},
                   {"releasable", optional_json(m.releasable)},
                   {"allocated", optional_json(m.allocated)},
                   {"active", optional_json(m.active)},
                   {"resident", optional_json(m.resident)},
                   {"arenas", m.arenas},
                   {"arenas_free_bytes", m.arenas_free_bytes},
                   {"heap_rss", m.heap_rss}};
    Json kinds = Json::array();
    for (const MappingKindTotal& k : a.kinds)
        kinds.push_back({{"kind", mapping_kind_name(k.kind)},
                         {"mappings", k.mappings},
                         {"size", k.size},
                         {"rss", k.rss},
                         {"pss", k.pss},
                         {"private_dirty", k.private_dirty},
                         {"swap", k.swap}});
    j["mappings"] = kinds;
    Json files = Json::array();
    for (std::size_t i = 0; i < a.paths.size() && i < top_paths; ++i)
        files.push_back({{"path", a.paths[i].path},
                         {"kind", mapping_kind_name(a.paths[i].kind)},
                         {"mappings", a.paths[i].mappings},
                         {"size", a.paths[i].size},
                         {"rss", a.paths[i].rss},
                         {"pss", a.paths[i].pss},
                         {"swap", a.paths[i].swap}});
    j["files"] = files;
    Json domains = Json::array();
    for (const DomainTotal& d : a.traced_domains) domains.push_back({{"domain", d.domain}, {"blocks", d.blocks}, {"bytes", d.bytes}});
    j["traced_domains"] = domains;
    Json unmeasured = Json::array();
    for (const ApproximateType& t : a.approximate_types) unmeasured.push_back({{"type", t.type}, {"objects", t.objects}});
    j["unmeasured_types"] = unmeasured;
    j["cgroup"] = {{"current", optional_json(a.cgroup_current)}, {"limit", optional_json(a.cgroup_limit)}};
    j["map_seconds"] = a.map_seconds >= 0 ? Json(a.map_seconds) : Json(nullptr);
    return j;
}

Json memory_json(const std::vector<MemoryAccount>& accounts, const std::vector<std::string>& paths,
                 const std::vector<MemoryFinding>& findings, std::size_t top_paths) {
    Json snaps = Json::array();
    for (std::size_t i = 0; i < accounts.size(); ++i) {
        Json s = account_json(accounts[i], top_paths);
        s["path"] = paths[i];
        snaps.push_back(s);
    }
    Json growth = Json::array();
    if (accounts.size() >= 2 && accounts.front().available && accounts.back().available) {
        const MemoryAccount &first = accounts.front(), &last = accounts.back();
        growth.push_back({{"name", "rss"}, {"bytes", static_cast<std::int64_t>(last.rss) - static_cast<std::int64_t>(first.rss)}});
        for (MemoryCategory c : kAllMemoryCategories)
            growth.push_back({{"name", category_key(c)},
                              {"bytes", static_cast<std::int64_t>(last.get(c)) - static_cast<std::int64_t>(first.get(c))}});
    }
    Json found = Json::array();
    for (const MemoryFinding& f : findings)
        found.push_back({{"kind", f.kind}, {"category", category_key(f.category)}, {"bytes", f.bytes}, {"text", f.text}});
    return {{"snapshots", snaps}, {"growth", growth}, {"findings", found}};
}

}  // namespace heapdiff::cli
