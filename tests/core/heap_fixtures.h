// Small hand-made heaps for the graph analyses, shaped like the stories they serve.
#pragma once

#include "heapdiff/snapshot.h"

namespace heapdiff::test {

// The error-log story: module errorlog -> __dict__ -> ['_temp_logs'] -> list [0] ->
// dict ['tb'] -> traceback tb_frame -> frame handle_request, local 'db' -> DB, which
// holds a 1000-byte payload; module app also holds the DB, more directly:
// module app -> __dict__ -> ['conn'] -> DB. And a two-node cycle (Node <-> Node, one
// holding 500 bytes) that nothing reaches. Refcounts equal in-edges (plus one for
// sys.modules on each module), so only the modules are roots.
//
// Addresses: errorlog 0x100, its dict 0x200, list 0x300, dict 0x400, traceback 0x500,
// frame 0x600, DB 0x700, payload 0x800, app 0x900, its dict 0x980, cycle 0xb00/0xb80,
// the cycle's bytes 0xc00; key strings 0x210 '_temp_logs', 0x410 'tb', 0x990 'conn'.
Snapshot error_log_heap();

}  // namespace heapdiff::test
