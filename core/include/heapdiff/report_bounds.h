// The bounds on what a report shows, in one place. A heap decides how long its names,
// labels and reference chains are (a 300 KB class name, a 5,000-character str, a linked
// list a million nodes long, a dict whose million keys all refer to None): shown whole,
// one row of a table, one chain or one picture would grow with the heap. Every command
// and the HTML report show them within these limits, so a report's size depends on the
// number of rows asked for (--top, --rows), never on what the heap holds (docs/GRAPH.md,
// "How big a report gets").
#pragma once

#include <cstddef>
#include <cstdint>

namespace heapdiff {

// Characters of one piece of heap text shown: a type name, a label, a name, a str value,
// a file name. Longer text shows its first kMaxShownChars characters, then
// "… (N more characters)" (printable_text.h: printable(), shortened()); a JSON string
// the same, and the object holding it lists the field in "truncated" (docs/JSON.md).
constexpr std::size_t kMaxShownChars = 200;

// Labels joined into one reference's label (a dict whose keys all map to one value has
// one reference per key to it): the first kMaxJoinedLabels, then ", … and N more"
// (HeapGraph::label_between).
constexpr std::size_t kMaxJoinedLabels = 5;

// References of one chain shown: what `heapdiff backrefs` searches by default
// (--max-depth). A longer chain (a suspect's path from a root, a cycle, a chain given or
// found with a bigger --max-depth) shows its first kChainHeadObjects objects, then
// "… N objects left out …", then the objects before the target (labelled_chain.h).
constexpr std::uint32_t kMaxChainReferences = 100;
constexpr std::size_t kChainHeadObjects = 10;

// Nodes of one drawing, folded "N more" nodes included: backrefs' and refs' picture
// budget. render_drawing() and drawing_svg() refuse a bigger Drawing, so Graphviz never
// lays out a graph that grows with the heap; the functions that select what to draw
// (neighbourhood.h) fit their pictures to it.
constexpr std::size_t kMaxDrawingNodes = 80;
// Edges of one drawing: each drawn object links at most to the other drawn objects.
constexpr std::size_t kMaxDrawingEdges = kMaxDrawingNodes * kMaxDrawingNodes;

}  // namespace heapdiff
