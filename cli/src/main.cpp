// heapdiff: parse the command line, let the library do the work, turn the one error
// type into a message and an exit code.
#include <CLI/CLI.hpp>

#include <algorithm>

#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "commands.h"
#include "heapdiff/error.h"

int main(int argc, char** argv) {
    CLI::App app{"heapdiff: what grew in a Python heap, where it was allocated, and what keeps it alive"};
    app.name("heapdiff");
    app.require_subcommand(1);
    // Every usage error is one line, like every other error.
    app.failure_message([](const CLI::App*, const CLI::Error& e) {
        return std::string("heapdiff: ") + e.what() + " (see heapdiff --help)\n";
    });
    heapdiff::cli::set_summary_command(app);
    heapdiff::cli::set_diff_command(app);
    heapdiff::cli::set_orphans_command(app);
    heapdiff::cli::set_backrefs_command(app);
    heapdiff::cli::set_refs_command(app);
    heapdiff::cli::set_retained_command(app);
    heapdiff::cli::set_top_command(app);
    heapdiff::cli::set_garbage_command(app);
    // `heapdiff A.hds B.hds ...` means `heapdiff diff A.hds B.hds ...`.
    std::vector<std::string> args(argv + 1, argv + argc);
    auto is_command = [&](const std::string& name) {
        try {
            app.get_subcommand(name);
            return true;
        } catch (const CLI::OptionNotFound&) {
            return false;
        }
    };
    if (!args.empty() && !args[0].empty() && args[0][0] != '-' && !is_command(args[0]))
        args.insert(args.begin(), "diff");
    std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
    try {
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        // --help and --version are "errors" that exit 0; every other mistake on the
        // command line exits 2, a bad input (file, type, address) exits 1.
        return app.exit(e) == 0 ? 0 : 2;
    } catch (const heapdiff::Error& e) {
        std::cerr << "heapdiff: " << e.what() << "\n";
        return 1;
    } catch (const std::bad_alloc&) {
        std::cerr << "heapdiff: out of memory\n";
        return 1;
    }
    return 0;
}
