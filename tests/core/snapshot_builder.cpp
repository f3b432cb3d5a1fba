#include "snapshot_builder.h"

namespace heapdiff::test {

SnapshotBuilder::SnapshotBuilder() {
    s_.value_offset = {0};
    s_.edge_begin = {0};
}

StringId SnapshotBuilder::string(std::string_view text) { return s_.strings.add(text); }

TypeId SnapshotBuilder::type(std::string_view name, std::uint64_t address, std::uint32_t flags) {
    s_.types.push_back({string(name), address, flags});
    return TypeId(static_cast<std::uint32_t>(s_.types.size()));
}

TracebackId SnapshotBuilder::traceback(std::vector<Frame> frames, std::uint32_t total_frames) {
    s_.traceback_frames.insert(s_.traceback_frames.end(), frames.begin(), frames.end());
    s_.traceback_begin.push_back(s_.traceback_frames.size());
    s_.traceback_total_frames.push_back(total_frames);
    return TracebackId(static_cast<std::uint32_t>(s_.traceback_count()));
}

ObjectIndex SnapshotBuilder::object(std::uint64_t address, TypeId type, std::uint64_t size,
                                    std::uint64_t refcount, std::uint8_t flags, TracebackId traceback,
                                    std::string_view value) {
    s_.address.push_back(address);
    s_.type.push_back(type);
    s_.size.push_back(size);
    s_.refcount.push_back(refcount);
    s_.flags.push_back(flags);
    s_.traceback.push_back(traceback);
    s_.value_blob.append(value.data(), value.size());
    s_.value_offset.push_back(s_.value_blob.size());
    s_.edge_begin.push_back(s_.edge_target.size());
    return static_cast<ObjectIndex>(s_.address.size() - 1);
}

void SnapshotBuilder::edge(std::uint64_t target, EdgeKind kind, std::uint64_t arg) {
    s_.edge_target.push_back(target);
    s_.edge_kind.push_back(kind);
    s_.edge_arg.push_back(arg);
    ++s_.edge_begin.back();
}

void SnapshotBuilder::fact(std::string key, std::int64_t value) {
    Fact f;
    f.key = std::move(key);
    f.kind = format::FactKind::Int;
    f.int_value = value;
    s_.facts.push_back(std::move(f));
}

void SnapshotBuilder::fact(std::string key, double value) {
    Fact f;
    f.key = std::move(key);
    f.kind = format::FactKind::Float;
    f.float_value = value;
    s_.facts.push_back(std::move(f));
}

void SnapshotBuilder::fact(std::string key, std::string value) {
    Fact f;
    f.key = std::move(key);
    f.kind = format::FactKind::String;
    f.string_value = std::move(value);
    s_.facts.push_back(std::move(f));
}

}  // namespace heapdiff::test
