#include "commands/command_line.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <new>

#include "commands/commands.h"
#include "render/format_text.h"
#include "render/json_output.h"
#include "heapdiff/error.h"
#include "heapdiff/format.h"
#include "heapdiff/printable_text.h"
#include "heapdiff/version.h"

namespace heapdiff::cli {
namespace {

// Every error is one line on stderr and an exit code that says its kind; with --json on
// the command line, stdout also gets {"error": {"kind": ..., "message": ...}} so a program
// reading the JSON learns what happened without parsing the line. Messages name paths,
// types and addresses the user or the heap chose: printable() keeps each one line.
int error_line(const std::string& message, ErrorKind kind, bool json) {
    std::fflush(stdout);  // what a command printed before comes first in a shared log
    std::cerr << "heapdiff: " << printable(message, kWholeText) << "\n";
    if (json) {
        print_json({{"error", {{"kind", error_kind_name(kind)}, {"message", message}}}}, stdout, kWholeText);
        std::fflush(stdout);
    }
    return error_exit_code(kind);
}

}  // namespace

int run_command_line(std::vector<std::string> args) {
    CLI::App app{"heapdiff: what grew in a Python heap, where it was allocated, and what keeps it alive"};
    app.name("heapdiff");
    app.require_subcommand(1);
    // Every usage error is one line, like every other error.
    app.failure_message([](const CLI::App*, const CLI::Error& e) {
        return "heapdiff: " + printable(e.what(), kWholeText) + " (see heapdiff --help)\n";
    });
    app.set_version_flag("--version", std::string("heapdiff ") + kVersion + " (snapshot format " +
                                          std::to_string(format::kMajor) + "." + std::to_string(format::kMinor) + ")");
    set_summary_command(app);
    set_memory_command(app);
    set_diff_command(app);
    set_orphans_command(app);
    set_backrefs_command(app);
    set_refs_command(app);
    set_retained_command(app);
    set_top_command(app);
    set_garbage_command(app);
    set_suspects_command(app);
    set_export_command(app);
    set_report_command(app);
    set_attach_command(app);
    // `heapdiff A.hds B.hds ...` means `heapdiff diff A.hds B.hds ...`.
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
    const bool json = std::find(args.begin(), args.end(), "--json") != args.end();
    std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
    try {
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        // --help and --version are "errors" that exit 0; every other mistake on the
        // command line is a usage error (exit 2).
        if (e.get_exit_code() == 0) return app.exit(e);
        if (!json) return app.exit(e), error_exit_code(ErrorKind::Usage);
        return error_line(std::string(e.what()) + " (see heapdiff --help)", ErrorKind::Usage, json);
    } catch (const Error& e) {
        return error_line(e.what(), e.kind(), json);
    } catch (const std::bad_alloc&) {
        return error_line("out of memory", ErrorKind::Failed, json);
    } catch (const std::exception& e) {
        // A bug, not the input's fault; still one line and an exit code, never an abort.
        return error_line(std::string("internal error: ") + e.what(), ErrorKind::Failed, json);
    }
    std::fflush(stdout);
    return 0;
}

}  // namespace heapdiff::cli
