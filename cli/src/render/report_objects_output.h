// How the report renderers (backrefs, refs, suspects) write the objects and chains a
// library report carries (NamedObject, LabelledChain): the same JSON fields and text as
// object_output.h, read from the report instead of from the graph and ObjectNames.
#pragma once

#include <string>

#include "heapdiff/labelled_chain.h"
#include "heapdiff/named_object.h"
#include "heapdiff/snapshot.h"
#include "render/json_output.h"

namespace heapdiff::cli {

// docs/JSON.md "An object", with "name" (null when it has none); null for kNoObject.
Json named_object_json(const Snapshot& snapshot, const NamedObject& object);

// "DB at 0x7f3a1c2b4e10 (56 B), reachable as app.cache['db']", printable.
std::string named_object_text(const Snapshot& snapshot, const NamedObject& object);

// Why an object is a root (root_reason bits, heap_graph.h): "in sys.modules, a running
// frame, immortal, N references from outside the snapshot (...)"; "" for none.
std::string root_reasons_text(std::uint8_t reasons, std::uint64_t unexplained_refs);

// An array of hops, the start first: each an object (no "name") and "edge", the label of
// the reference from the previous hop ("" for the first); a chain cut short
// (labelled_chain.h) gives the hop after its gap "left_out": the objects left out before
// it. docs/JSON.md "An object".
Json labelled_chain_json(const Snapshot& snapshot, const LabelledChain& chain);

// One aligned hop_line per object, "(referent)" for an unlabelled reference, and a
// "… N objects left out …" line where a cut chain has its gap.
void print_labelled_chain(const Snapshot& snapshot, const LabelledChain& chain);

}  // namespace heapdiff::cli
