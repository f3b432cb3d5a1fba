// Leak suspects: what Eclipse MAT's leak-suspects report and MemLab's leak clustering do,
// for Python heaps. The whole hunt (diff, backrefs, retained) in one answer.
//
// Candidates, in the last snapshot:
//   - with two or more snapshots, the objects born since the first (their address and
//     type are not in it) that are alive, with the same type, in every later one;
//   - with one snapshot, the accumulation points: objects that retain at least 10% of
//     the heap while none of the objects they dominate does (MAT's rule, walked down to
//     where the memory piles up).
// Born objects reachable from a root are clustered by their retainer path: the types
// and labels from the root down (dict keys and list indexes left out), so 4,000 Integers
// held in one cache are one suspect. Only the topmost born objects of each path count
// (what they hold is theirs); born cyclic trash forms one suspect per type, and so do
// born orphans: objects nothing in the snapshot refers to, that only C code holds (what
// `heapdiff orphans` counts: a C extension's leaked references).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "heapdiff/heap_graph.h"
#include "heapdiff/object_names.h"
#include "heapdiff/retained.h"
#include "heapdiff/type_stat.h"

namespace heapdiff {

enum class SuspectKind { Held, CyclicTrash, Orphan, Big };

// Born objects a suspect holds, of one type: the one per-type statistic (type_stat.h;
// `type`, `name`, `count`, `size`) and an example. A TypeStat itself rather than a member,
// so `held[h].type`, `.count` and `.size` read as they always have.
struct HeldType : TypeStat {
    ObjectIndex example = kNoObject;  // one of them, the first in the dominator tree's preorder
};

struct Suspect {
    SuspectKind kind = SuspectKind::Held;
    TypeId type;                             // the leaked (or big) objects' type
    ObjectIndex representative = kNoObject;  // the member that retains the most
    ObjectIndex holder = kNoObject;          // what refers to the members (Held), or the big object
    std::vector<ObjectIndex> chain;          // root ... holder, representative (a cycle for trash)
    std::uint64_t count = 0;                 // members (Big: objects it retains)
    std::uint64_t retained = 0;              // bytes the members retain (trash: their size)
    std::vector<HeldType> held;              // born objects the members hold, by type, TypeOrder::BySize
    TracebackId site;                        // the members' most common allocation traceback
};

struct SuspectsOptions {
    double big_share = 0.10;      // one snapshot: the share of the heap a suspect retains
    std::size_t held_types = 5;   // rows of `held` kept per suspect
};

struct SuspectsReport {
    std::size_t snapshots = 0;
    std::uint64_t candidates = 0;  // born and alive (one snapshot: big objects)
    std::uint64_t heap_bytes = 0;  // the last snapshot's total
    std::vector<Suspect> suspects; // by retained bytes, then count, descending
};

// `last` is the graph of the newest snapshot (loaded with values, edges and labels);
// `earlier` the other snapshots oldest first (objects only), possibly none.
SuspectsReport find_suspects(const HeapGraph& last, const RetainedSizes& sizes,
                             const std::vector<const Snapshot*>& earlier, const SuspectsOptions& options = {});

}  // namespace heapdiff
