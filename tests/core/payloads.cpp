#include "payloads.h"

#include "heapdiff/bytes.h"

namespace heapdiff::test {

Bytes strings_payload(const std::vector<std::string>& strings) {
    ByteWriter w;
    w.varint(strings.size());
    for (const std::string& s : strings) w.bytes(s);
    return w.buffer();
}

Bytes types_payload(const std::vector<TypeRow>& types) {
    ByteWriter w;
    w.varint(types.size());
    for (const TypeRow& t : types) {
        w.varint(t.name);
        w.varint(t.address);
        w.varint(t.flags);
        w.varint(t.module);
    }
    return w.buffer();
}

Bytes objects_payload(const std::vector<ObjectRow>& objects) {
    ByteWriter w;
    w.varint(objects.size());
    std::uint64_t previous = 0;
    for (const ObjectRow& o : objects) w.delta(o.address, previous);
    for (const ObjectRow& o : objects) w.varint(o.type);
    for (const ObjectRow& o : objects) w.varint(o.size);
    for (const ObjectRow& o : objects) w.varint(o.refcount);
    for (const ObjectRow& o : objects) w.u8(o.flags);
    for (const ObjectRow& o : objects) w.varint(o.traceback);
    for (const ObjectRow& o : objects) w.varint(o.edges);
    for (const ObjectRow& o : objects) w.varint(o.value.size());
    for (const ObjectRow& o : objects) w.raw(o.value.data(), o.value.size());
    return w.buffer();
}

Bytes edges_payload(const std::vector<EdgeRow>& edges) {
    ByteWriter w;
    w.varint(edges.size());
    std::uint64_t previous = 0;
    for (const EdgeRow& e : edges) w.delta(e.target, previous);
    for (const EdgeRow& e : edges) w.u8(e.kind);
    for (const EdgeRow& e : edges) w.varint(e.arg);
    return w.buffer();
}

Bytes empty_roots_payload() {
    ByteWriter w;
    w.varint(0);  // module roots
    w.varint(0);  // thread roots
    return w.buffer();
}

RawSection section(std::uint32_t tag, Bytes payload) {
    RawSection s;
    s.tag = tag;
    s.payload = std::move(payload);
    return s;
}

Bytes build(std::vector<RawSection> sections) {
    RawFile f;
    f.sections = std::move(sections);
    f.sections.push_back(section(format::kEnd, {}));
    fix_end(f);
    return encode(f);
}

std::vector<RawSection> base_sections() {
    return {
        section(format::kStrings, strings_payload({"builtins.dict", "x"})),
        section(format::kTypes, types_payload({{1, 0xa000, 0}})),
        section(format::kEdges, edges_payload({{0x2000, 1, 0}, {0x2000, 2, 0}})),
        section(format::kObjects, objects_payload({{0x1000, 1, 64, 1, 1, 0, 2, "{}"}, {0x2000, 1, 32, 1, 0, 0, 0, "'k'"}})),
        section(format::kRoots, empty_roots_payload()),
    };
}

}  // namespace heapdiff::test
