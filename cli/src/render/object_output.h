// How the per-object commands (backrefs, refs, retained, top) print an object, so they
// all say the same: JSON fields, one text line, and the picture a command draws.
#pragma once

#include <string>

#include "render/json_output.h"
#include "heapdiff/drawing.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/object_names.h"
#include "heapdiff/snapshot.h"

namespace heapdiff::cli {

// An object as JSON: {"address": "0x…", "type", "label", "size"} and, with
// names, "name" (null when the object has no short name). docs/JSON.md, "An object".
Json object_json(const Snapshot& snapshot, ObjectIndex object, const ObjectNames* names = nullptr);

// "DB at 0x7f3a1c2b4e10 (56 B)", printable (heap text escaped: printable_text.h); with a
// name, "DB at 0x7f3a1c2b4e10 (56 B), reachable as app.cache['db']".
std::string object_text(const Snapshot& snapshot, ObjectIndex object, const ObjectNames* names = nullptr);

// A table's object column: the description padded to `width`, then the name if any:
// "dict len 8399                    sympy.core.numbers._intcache". Printable.
std::string object_cell(const Snapshot& snapshot, ObjectIndex object, const ObjectNames* names, std::size_t width = 32);

// One reference in a chain or a list, in aligned columns:
// "  -> ['_temp_logs']     list len 4                          0x7fc7a68c4b80".
// `edge` and `object` are heap text, escaped here, so each hop is exactly one line.
std::string hop_line(const std::string& edge, const std::string& object, std::uint64_t address, bool arrow);

// Renders the drawing and says where it went (on stderr: stdout may be JSON).
void write_drawing(const Drawing& drawing, const std::string& path);

}  // namespace heapdiff::cli
