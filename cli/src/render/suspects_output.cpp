#include "render/suspects_output.h"

#include <cstdio>

#include "render/format_text.h"
#include "heapdiff/printable_text.h"
#include "render/report_objects_output.h"

namespace heapdiff::cli {
namespace {

const char* kind_name(SuspectKind k) {
    switch (k) {
        case SuspectKind::Held: return "held";
        case SuspectKind::CyclicTrash: return "cyclic_trash";
        case SuspectKind::Orphan: return "orphan";
        case SuspectKind::Big: return "big";
    }
    return "?";
}

Json suspect_json(const Snapshot& s, const Suspect& sp, const SuspectDetails& d) {
    Json holds = Json::array();
    for (std::size_t h = 0; h < sp.held.size(); ++h)
        holds.push_back({{"type", s.type_name(sp.held[h].type)},
                         {"count", sp.held[h].count},
                         {"size", sp.held[h].size},
                         {"example", named_object_json(s, d.held_examples[h])}});
    Json allocated = Json::array();
    for (const SourceFrame& f : d.allocated)
        allocated.push_back({{"filename", f.filename},
                             {"lineno", f.lineno},
                             {"line", f.line.empty() ? Json(nullptr) : Json(f.line)}});
    return {{"kind", kind_name(sp.kind)},
            {"type", s.type_name(sp.type)},
            {"count", sp.count},
            {"retained", sp.retained},
            {"holder", named_object_json(s, d.holder)},
            {"representative", named_object_json(s, d.representative)},
            {"chain", labelled_chain_json(s, d.chain)},
            {"holds", std::move(holds)},
            {"allocated", std::move(allocated)},
            {"next", d.next}};
}

void print_headline(const Suspect& sp, const std::string& type, std::uint64_t heap_bytes) {
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
        std::printf("one %s retains %s (%.0f%% of the heap) in %s objects\n", type.c_str(), human_size(sp.retained).c_str(),
                    100.0 * static_cast<double>(sp.retained) / static_cast<double>(heap_bytes),
                    with_commas(sp.count).c_str());
}

void print_suspect(const Snapshot& s, const Suspect& sp, const SuspectDetails& d, std::uint64_t heap_bytes) {
    print_headline(sp, printable(s.type_name(sp.type)), heap_bytes);
    if (d.holder.object != kNoObject && sp.kind == SuspectKind::Held)
        std::printf("    held by   %s\n", named_object_text(s, d.holder).c_str());
    else if (sp.kind == SuspectKind::Big)
        std::printf("    it is     %s\n", named_object_text(s, d.holder).c_str());
    if (sp.kind == SuspectKind::Orphan) {
        std::printf("    one of them %s\n", named_object_text(s, d.representative).c_str());
    } else {
        std::printf("    %s\n", sp.kind == SuspectKind::CyclicTrash ? "the cycle through one of them:" : "one chain:");
        print_labelled_chain(s, d.chain);
    }
    if (!sp.held.empty()) {
        std::printf("    holds    ");
        for (std::size_t h = 0; h < sp.held.size(); ++h)
            std::printf("%s %s %s (%s)", h ? "," : "", with_commas(sp.held[h].count).c_str(),
                        printable(s.type_name(sp.held[h].type)).c_str(), human_size(sp.held[h].size).c_str());
        std::printf("\n");
    }
    if (!d.allocated.empty()) {
        std::printf("    allocated at (most recent call first):\n");
        for (const SourceFrame& f : d.allocated) {
            std::printf("      %s:%u\n", printable(f.filename).c_str(), f.lineno);
            if (!f.line.empty()) std::printf("        %s\n", printable(f.line).c_str());
        }
    }
    // Commands made of the caller's own paths and an address: whole.
    for (const std::string& c : d.next) std::printf("    next      %s\n", printable(c, kWholeText).c_str());
}

}  // namespace

Json suspects_json(const Snapshot& s, const LeakSuspectsReport& r) {
    Json suspects = Json::array();
    for (std::size_t k = 0; k < r.details.size(); ++k) suspects.push_back(suspect_json(s, r.found.suspects[k], r.details[k]));
    return {{"snapshots", r.found.snapshots},
            {"candidates", r.found.candidates},
            {"heap_bytes", r.found.heap_bytes},
            {"suspects", std::move(suspects)}};
}

void print_suspects_text(const Snapshot& s, const LeakSuspectsReport& r, const std::string& first_path,
                         const std::string& last_path) {
    const SuspectsReport& found = r.found;
    const char* plural = found.suspects.size() == 1 ? "" : "s";
    if (found.snapshots > 1)
        std::printf("%zu leak suspect%s in %s: %s objects born since %s%s are still alive\n", found.suspects.size(), plural,
                    printable(last_path).c_str(), with_commas(found.candidates).c_str(), printable(first_path).c_str(),
                    found.snapshots > 2 ? " and in every later snapshot" : "");
    else
        std::printf("%zu leak suspect%s in %s: objects that retain at least 10%% of its %s, where the memory piles up\n",
                    found.suspects.size(), plural, printable(last_path).c_str(), human_size(found.heap_bytes).c_str());
    for (std::size_t k = 0; k < r.details.size(); ++k) {
        std::printf("\n#%zu  ", k + 1);
        print_suspect(s, found.suspects[k], r.details[k], found.heap_bytes);
    }
    if (r.details.size() < found.suspects.size())
        std::printf("\n... %zu more suspects (--top)\n", found.suspects.size() - r.details.size());
}

}  // namespace heapdiff::cli
