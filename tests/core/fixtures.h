// Snapshots shared by the tests, the writer options that force chunking, and the
// comparisons that say two snapshots hold the same heap.
#pragma once

#include <string>

#include "heapdiff/reader.h"
#include "heapdiff/writer.h"
#include "raw_file.h"

namespace heapdiff::test {

// Every table filled, every object flag, every EdgeKind, all three fact kinds, address
// deltas in both directions and edges that leave the snapshot. 10 objects.
Snapshot full_snapshot();
// Three objects and a few edges: small enough to cut or flip at every byte.
Snapshot tiny_snapshot();

// 3 objects per chunk, and table and edge flushes after a few bytes, so a small
// snapshot spans several chunks, splits one object's edges over several EDGE sections
// and spreads each table over several sections.
WriterOptions small_chunks();

// The bytes write_snapshot() produces (through a real file, as the probe would).
Bytes snapshot_bytes(const Snapshot& snapshot, WriterOptions options = {});
Snapshot load(const Bytes& bytes, LoadOptions options = {});
// The message of the heapdiff::Error that loading these bytes throws, "" if they load.
// Any other exception (or a crash) fails the test: Error is the reader's only way out.
std::string load_error(const Bytes& bytes, LoadOptions options = {});

// CHECKs that the columns a reader always loads are equal.
void check_same_objects(const Snapshot& a, const Snapshot& b);
// CHECKs that everything is equal: objects, values, edges and every table.
void check_same_snapshot(const Snapshot& a, const Snapshot& b);

}  // namespace heapdiff::test
