// heapdiff memory SNAP [SNAP ...] [--json] [--files N]: where each snapshot's RSS went
// (memory_account.h), how it grew from the first to the last, and what to do about it.
#include <CLI/CLI.hpp>

#include <memory>

#include "commands/commands.h"
#include "commands/count_option.h"
#include "heapdiff/memory_account.h"
#include "heapdiff/reader.h"
#include "render/memory_output.h"

namespace heapdiff::cli {
namespace {

struct MemoryOptions {
    std::vector<std::string> paths;
    std::size_t files = 5;
    bool json = false;
};

void run(const MemoryOptions& o) {
    LoadOptions load;  // the account needs objects' addresses, sizes and flags, not their graph
    load.edges = false;
    load.values = false;
    load.refcounts = false;
    std::vector<MemoryAccount> accounts;
    accounts.reserve(o.paths.size());
    for (const std::string& p : o.paths) accounts.push_back(memory_account(read_snapshot(p, load)));
    const std::vector<MemoryFinding> findings = memory_findings(accounts, o.paths);
    if (o.json)
        print_json(memory_json(accounts, o.paths, findings, o.files));
    else
        print_memory_report(accounts, o.paths, findings, o.files);
}

}  // namespace

void set_memory_command(CLI::App& app) {
    auto o = std::make_shared<MemoryOptions>();
    CLI::App* cmd = app.add_subcommand("memory", "Where the process's memory went: RSS by category (objects, "
                                                 "fragmentation, native, free in malloc, mmaps, stacks, code), "
                                                 "its growth and what to do");
    cmd->add_option("snapshots", o->paths, "Snapshot files, oldest first")->required()->expected(1, 1000);
    add_count_option(cmd, "--files", o->files, "File-backed mappings to list per snapshot (0: all)")->capture_default_str();
    cmd->add_flag("--json", o->json, "Print JSON");
    cmd->callback([o] {
        MemoryOptions opts = *o;
        if (opts.files == 0) opts.files = SIZE_MAX;
        run(opts);
    });
}

}  // namespace heapdiff::cli
