// Finding types by the name a user types: short ("DB") or qualified ("app.models.DB"),
// and, when nothing matches, the names they probably meant.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "heapdiff/snapshot.h"

namespace heapdiff {

// Every type whose qualified or short name is `name` (several when two modules define
// a class of the same short name).
std::vector<TypeId> types_named(const Snapshot& snapshot, std::string_view name);

// Up to `limit` qualified type names close to `name` (case-insensitive containment,
// then edit distance), best first, for "did you mean" lines.
std::vector<std::string> similar_type_names(const Snapshot& snapshot, std::string_view name, std::size_t limit = 5);

// "; similar types: app.DB, app.Dbm" for an error line, or "" when nothing is close.
std::string similar_types_clause(const Snapshot& snapshot, std::string_view name);

}  // namespace heapdiff
