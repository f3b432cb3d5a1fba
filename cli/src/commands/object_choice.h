// The options every per-object command shares: --type NAME with --pick (last, first,
// largest, orphan, trash, N), or --address, filling the library's ObjectChoice
// (heapdiff/object_choice.h resolves it against the snapshot). Commands that take several
// objects (backrefs, refs) also accept --pick all and --address repeated.
#pragma once

#include "heapdiff/object_choice.h"

namespace CLI {
class App;
}

namespace heapdiff::cli {

// `several`: --address may repeat and --pick may be "all".
void add_object_choice(CLI::App* command, ObjectChoice& choice, bool several = false);

}  // namespace heapdiff::cli
