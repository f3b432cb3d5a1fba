// heapdiff: parse the command line, let the library do the work, turn the one error
// type into a message and an exit code.
#include <CLI/CLI.hpp>

#include <iostream>
#include <new>

#include "commands.h"
#include "heapdiff/error.h"

int main(int argc, char** argv) {
    CLI::App app{"heapdiff: what grew in a Python heap, where it was allocated, and what keeps it alive"};
    app.require_subcommand(1);
    heapdiff::cli::set_summary_command(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const heapdiff::Error& e) {
        std::cerr << "heapdiff: " << e.what() << "\n";
        return 1;
    } catch (const std::bad_alloc&) {
        std::cerr << "heapdiff: out of memory\n";
        return 1;
    }
    return 0;
}
