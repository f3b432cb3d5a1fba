// How a dict key reads in a label: what a Python developer would type to look it up.
// [-4199] for an int, ['-4199'] for a str, [(1, 'a')] for a tuple, [None], [b'ab'],
// [0.1], [frozenset({1, 2})]; a key with no short literal (an instance, an enum member,
// an int past 64 bits) reads as its type and address, [<Point 0x7f3a1c2b4e10>], which
// `heapdiff refs --address` can then open.
#pragma once

#include <string>

#include "heapdiff/address_index.h"
#include "heapdiff/snapshot.h"

namespace heapdiff {

// Literal text of object i (raw: printers escape it with printable() as for any text
// from the heap, which turns a newline in a str into \n, as repr does). A str or bytes
// the probe cut short is followed by "…" outside its quotes, so a prefix is never
// shown as a whole key. Tuples and frozensets are built from their items' edges, so
// they need a snapshot loaded with edges and edge kinds; without them, and past three
// levels or 120 bytes, a container reads as its type and address.
std::string python_literal(const Snapshot& snapshot, ObjectIndex i, const AddressIndex& index);

// A str literal of `text` ('db', "it's"), quoted as python_literal quotes a str object.
std::string python_literal_of_text(std::string_view text);

// "<Point 0x7f3a1c2b4e10>": the type's qualified name within its module, and the address.
std::string type_and_address(const Snapshot& snapshot, ObjectIndex i);

}  // namespace heapdiff
