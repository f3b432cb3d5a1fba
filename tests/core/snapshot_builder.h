// Builds an in-memory Snapshot the way the probe would describe one (object, then its
// edges), keeping the flat columns consistent so fixtures read like a heap listing.
#pragma once

#include <string_view>
#include <vector>

#include "heapdiff/snapshot.h"

namespace heapdiff::test {

class SnapshotBuilder {
public:
    SnapshotBuilder();

    StringId string(std::string_view text);
    TypeId type(std::string_view name, std::uint64_t address, std::uint32_t flags = 0);
    TracebackId traceback(std::vector<Frame> frames, std::uint32_t total_frames);
    ObjectIndex object(std::uint64_t address, TypeId type, std::uint64_t size, std::uint64_t refcount = 1,
                       std::uint8_t flags = 0, TracebackId traceback = {}, std::string_view value = {});
    // An edge of the object added last.
    void edge(std::uint64_t target, EdgeKind kind, std::uint64_t arg = 0);
    void fact(std::string key, std::int64_t value);
    void fact(std::string key, double value);
    void fact(std::string key, std::string value);

    Snapshot& snapshot() { return s_; }
    Snapshot take() { return std::move(s_); }

private:
    Snapshot s_;
};

}  // namespace heapdiff::test
