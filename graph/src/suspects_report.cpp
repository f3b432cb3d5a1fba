#include "heapdiff/suspects_report.h"

#include "heapdiff/object_text.h"
#include "heapdiff/source_lines.h"

namespace heapdiff {
namespace {

// What to run next depends on the kind: trash has a cycle to show (backrefs) and its
// collector's view (garbage); an orphan has no referrer, only referents and the orphans'
// growth; anything held has a chain and a retained set.
std::vector<std::string> next_commands(const Snapshot& s, const Suspect& sp, const std::string& first,
                                       const std::string& path) {
    const std::string address = hex_address(s.address[sp.representative]);
    if (sp.kind == SuspectKind::CyclicTrash)
        return {"heapdiff backrefs " + path + " --address " + address, "heapdiff garbage " + path};
    if (sp.kind == SuspectKind::Orphan)
        return {"heapdiff refs " + path + " --address " + address, "heapdiff orphans " + first + " " + path};
    return {"heapdiff backrefs " + path + " --address " + address, "heapdiff retained " + path + " --address " + address};
}

}  // namespace

std::vector<Frame> traceback_frames(const Snapshot& s, TracebackId t) {
    if (!t.valid() || t.value > s.traceback_count()) return {};
    return std::vector<Frame>(s.traceback_frames.begin() + static_cast<std::ptrdiff_t>(s.traceback_begin[t.value - 1]),
                              s.traceback_frames.begin() + static_cast<std::ptrdiff_t>(s.traceback_begin[t.value]));
}

LeakSuspectsReport leak_suspects_report(const HeapGraph& last, const RetainedSizes& sizes, const ObjectNames& names,
                                        const std::vector<const Snapshot*>& earlier,
                                        const LeakSuspectsOptions& options) {
    const Snapshot& s = last.snapshot();
    LeakSuspectsReport r;
    r.found = find_suspects(last, sizes, earlier, options.find);
    const std::size_t shown = options.shown == 0 || options.shown > r.found.suspects.size() ? r.found.suspects.size()
                                                                                            : options.shown;
    SourceLines sources;  // each file read once for all the suspects
    r.details.reserve(shown);
    for (std::size_t k = 0; k < shown; ++k) {
        const Suspect& sp = r.found.suspects[k];
        SuspectDetails d;
        d.holder = named_object(names, sp.holder);
        d.representative = named_object(names, sp.representative);
        d.chain = labelled_chain(last, sp.chain);
        for (const HeldType& h : sp.held) d.held_examples.push_back(named_object(names, h.example));
        for (const Frame& f : traceback_frames(s, sp.site)) {
            std::string filename(s.strings.get(f.filename));
            std::string line = options.source_lines ? sources.get(filename, f.lineno) : std::string();
            d.allocated.push_back({std::move(filename), f.lineno, std::move(line)});
        }
        d.next = next_commands(s, sp, options.first_path, options.last_path);
        r.details.push_back(std::move(d));
    }
    return r;
}

}  // namespace heapdiff
