#include "commands/object_choice.h"

#include <CLI/CLI.hpp>

namespace heapdiff::cli {

void add_object_choice(CLI::App* cmd, ObjectChoice& c, bool several) {
    CLI::Option* type = cmd->add_option("--type", c.type, "The object's type: short (DB) or qualified (app.models.DB)");
    CLI::Option* address =
        cmd->add_option("--address", c.addresses,
                        several ? "An object's address (0x..., as id() gives it in hex); repeat it for several objects"
                                : "The object's address (0x..., as id() gives it in hex)");
    address->allow_extra_args(false);  // one value per --address, so the snapshot path is never taken for one
    if (!several) address->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::Throw);
    cmd->add_option("--pick", c.pick,
                    std::string("Which object of --type: last (like objgraph.by_type(...)[-1]), first, largest (retained "
                                "size), orphan (the last one nothing in the snapshot refers to), trash (the last one "
                                "only a reference cycle keeps), ") +
                        (several ? "all, " : "") + "or N (an index into them; negative counts from the end)")
        ->capture_default_str()
        ->needs(type);
    type->excludes(address);
}

}  // namespace heapdiff::cli
