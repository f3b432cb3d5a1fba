// The options every per-object command shares: --type NAME with --pick, or --address,
// and turning them into one object of the snapshot (or one clear error line).
#pragma once

#include <string>

#include "heapdiff/address_index.h"
#include "heapdiff/snapshot.h"

namespace CLI {
class App;
}

namespace heapdiff::cli {

struct ObjectChoice {
    std::string type;
    std::string pick = "last";
    std::string address;
};

void add_object_choice(CLI::App* command, ObjectChoice& choice);

// The chosen object; Error when the type or address is not in the snapshot (with the
// names or addresses the user probably meant) or --pick is out of range.
ObjectIndex choose_object(const Snapshot& snapshot, const AddressIndex& index, const ObjectChoice& choice,
                          const std::string& path);

}  // namespace heapdiff::cli
