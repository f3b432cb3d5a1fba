// Section payloads encoded by hand, column by column as docs/FORMAT.md lays them out,
// so tests can state exactly the (possibly wrong) file they feed the reader.
#pragma once

#include <string>
#include <vector>

#include "raw_file.h"

namespace heapdiff::test {

struct TypeRow {
    std::uint64_t name = 0;
    std::uint64_t address = 0;
    std::uint64_t flags = 0;
    std::uint64_t module = 0;
};

struct ObjectRow {
    std::uint64_t address = 0;
    std::uint64_t type = 0;
    std::uint64_t size = 0;
    std::uint64_t refcount = 1;
    std::uint8_t flags = 0;
    std::uint64_t traceback = 0;
    std::uint64_t edges = 0;
    std::string value;
};

struct EdgeRow {
    std::uint64_t target = 0;  // the address; stored as a delta against the previous row's
    std::uint8_t kind = 0;
    std::uint64_t arg = 0;
};

Bytes strings_payload(const std::vector<std::string>& strings);
Bytes types_payload(const std::vector<TypeRow>& types);
Bytes objects_payload(const std::vector<ObjectRow>& objects);
Bytes edges_payload(const std::vector<EdgeRow>& edges);
Bytes empty_roots_payload();

// A section with the given payload, flagged required.
RawSection section(std::uint32_t tag, Bytes payload);

// Header + sections + an END section whose counts match them.
Bytes build(std::vector<RawSection> sections);

// A small valid file made from the encoders above: two strings, one type, the EDGE
// section of the two objects of the OBJS section after it (the first object has a DictKey
// and a DictValue edge, both to 0x2000), empty roots.
std::vector<RawSection> base_sections();

}  // namespace heapdiff::test
