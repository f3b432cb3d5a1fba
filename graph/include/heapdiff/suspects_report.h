// The leak suspects as one value that every renderer reads: find_suspects' ranking
// (suspects.h) plus, for the suspects shown, what a reader needs and the graph alone
// knows: the names of the holder, of the representative and of each held type's example,
// the chain with its edge labels, the allocation site's frames with their source lines,
// and the commands to run next. `heapdiff suspects` prints it as text or JSON; the HTML
// report calls the same function. No printing here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "heapdiff/heap_graph.h"
#include "heapdiff/labelled_chain.h"
#include "heapdiff/named_object.h"
#include "heapdiff/object_names.h"
#include "heapdiff/retained.h"
#include "heapdiff/suspects.h"

namespace heapdiff {

// One frame of a traceback, with its line read from the file (like linecache).
struct SourceFrame {
    std::string filename;
    std::uint32_t lineno = 0;
    std::string line;  // stripped of surrounding blanks; "" when the file or line is not there
};

struct SuspectDetails {
    NamedObject holder;                     // Suspect::holder, named (object kNoObject: none)
    NamedObject representative;             // Suspect::representative, named
    LabelledChain chain;                    // Suspect::chain, with the label of each reference
    std::vector<NamedObject> held_examples; // parallel to Suspect::held: each row's example
    std::vector<SourceFrame> allocated;     // Suspect::site's frames, most recent call first
    std::vector<std::string> next;          // heapdiff command lines that look further
};

struct LeakSuspectsOptions {
    SuspectsOptions find;
    std::size_t shown = 5;       // suspects given details, the first of the ranking; 0: all
    std::string first_path;      // the snapshots' paths, as the commands in `next` name them
    std::string last_path;
    bool source_lines = true;    // read each frame's line from its file
};

struct LeakSuspectsReport {
    SuspectsReport found;                 // every suspect, ranked, and the counts
    std::vector<SuspectDetails> details;  // details[k] describes found.suspects[k]
};

// `last` as find_suspects takes it (values, edges, labels), `sizes` its retained sizes,
// `names` its ObjectNames; `earlier` the older snapshots oldest first (objects only).
LeakSuspectsReport leak_suspects_report(const HeapGraph& last, const RetainedSizes& sizes, const ObjectNames& names,
                                        const std::vector<const Snapshot*>& earlier,
                                        const LeakSuspectsOptions& options);

// A traceback's frames as the snapshot stores them (most recent call first); none for an
// invalid id.
std::vector<Frame> traceback_frames(const Snapshot& snapshot, TracebackId traceback);

}  // namespace heapdiff
