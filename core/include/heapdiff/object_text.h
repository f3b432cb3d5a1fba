// How an object reads in a chain, a table or a picture: short type names, one-line
// descriptions ("module errorlog", "frame handle_request app.py:42", "list len 5") and
// human sizes. Shared by every command and by the drawings so they all say the same.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "heapdiff/snapshot.h"

namespace heapdiff {

std::string human_size(std::uint64_t bytes);  // "1.50 MiB", "312 B"
std::string with_commas(std::uint64_t n);     // "1,234,567"

// "builtins.dict" -> "dict", "app.models.DB" -> "DB".
std::string_view short_type_name(std::string_view qualified);

// Short type name, then the display value if there is one, or the number of items for
// containers (counted from their edges, so it needs a snapshot loaded with edges).
std::string describe_object(const Snapshot& snapshot, ObjectIndex object);

// "0x7f3a1c2b4e10"
std::string hex_address(std::uint64_t address);

}  // namespace heapdiff
