// heapdiff backrefs SNAP (--type NAME [--pick ...] | --address 0x... ...): what keeps an
// object alive. The shortest chain(s) of references from a module (or a root, or an
// object of some type) down to it, one line per reference; -o draws its referrers.
// Several objects (--pick all, --address repeated): one block (one JSON line) each, drawn
// together. --chain A,B,...: check and print (and draw) chains given by their addresses,
// like objgraph.show_chain.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "render/backrefs_output.h"
#include "commands/commands.h"
#include "commands/count_option.h"
#include "heapdiff/backrefs_report.h"
#include "heapdiff/chains.h"
#include "heapdiff/error.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/neighbourhood.h"
#include "heapdiff/object_text.h"
#include "heapdiff/reader.h"
#include "heapdiff/type_lookup.h"
#include "commands/object_choice.h"
#include "render/object_output.h"
#include "commands/phase_timer.h"

namespace heapdiff::cli {
namespace {

struct BackrefsOptions {
    std::string path;
    ObjectChoice choice;
    std::string to = "module";
    std::uint32_t paths = 1;
    std::uint32_t max_depth = 0;
    bool max_depth_given = false;  // default: 100 for chains, 3 for a picture
    std::uint32_t too_many = 10;
    std::string output;
    std::vector<std::string> given_chains;  // --chain: comma-separated addresses, start first
    bool chain_only = false;
    bool json = false;
};

ChainStart parse_start(const Snapshot& s, const std::string& to, const std::string& path) {
    ChainStart start;
    if (to == "module") return start;
    if (to == "root") {
        start.kind = ChainStart::Kind::Root;
        return start;
    }
    start.kind = ChainStart::Kind::Type;
    start.types = types_named(s, to);
    if (start.types.empty()) {
        throw not_found_error("--to " + to + ": no type of that name in " + path + " (use module, root or a type name)" +
                    similar_types_clause(s, to));
    }
    return start;
}

// --chain A,B,C: the objects at those addresses, each referring to the next.
Chain parse_given_chain(const HeapGraph& g, const std::string& text, const std::string& path) {
    Chain chain;
    std::size_t from = 0;
    while (true) {
        std::size_t comma = text.find(',', from);
        std::string address = text.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
        if (address.empty()) throw usage_error("--chain '" + text + "': give addresses separated by commas (0x...,0x...)");
        chain.push_back(object_at(g, address, path));
        if (comma == std::string::npos) break;
        from = comma + 1;
    }
    const Snapshot& s = g.snapshot();
    for (std::size_t k = 1; k < chain.size(); ++k)
        if (g.edges_between(chain[k - 1], chain[k]).empty())
            throw not_found_error("--chain: the " + std::string(short_type_name(s.type_name(s.type[chain[k - 1]]))) + " at " +
                        hex_address(s.address[chain[k - 1]]) + " does not refer to the " +
                        std::string(short_type_name(s.type_name(s.type[chain[k]]))) + " at " +
                        hex_address(s.address[chain[k]]) + " in " + path);
    return chain;
}

// objgraph.show_chain: print (JSON: {"chains": [...]}) and draw chains the caller found.
void run_given_chains(const BackrefsOptions& o) {
    if (!o.output.empty()) drawing_format(o.output);
    Snapshot s = read_snapshot(o.path);
    HeapGraph g(s, false);
    std::vector<Chain> chains;
    for (const std::string& text : o.given_chains) chains.push_back(parse_given_chain(g, text, o.path));
    std::vector<LabelledChain> labelled;
    for (const Chain& c : chains) labelled.push_back(labelled_chain(g, c));
    if (o.json) print_json(given_chains_json(s, labelled));
    else print_given_chains_text(s, labelled);
    if (!o.output.empty()) write_drawing(draw_chains(g, labelled), o.output);
}

void run(const BackrefsOptions& o) {
    if (!o.given_chains.empty()) {  // CLI11 keeps --type and --address out
        run_given_chains(o);
        return;
    }
    if (!o.output.empty()) drawing_format(o.output);  // a bad extension fails before the work
    PhaseTimer timer;
    Snapshot s = read_snapshot(o.path);
    timer.done("load");
    HeapGraph g(s, true);
    timer.done("graph");
    std::vector<ObjectIndex> targets = choose_objects(g, o.choice, o.path);
    ObjectNames names(g);
    timer.done("names");
    ChainOptions options;
    options.start = parse_start(s, o.to, o.path);
    options.max_depth = o.max_depth_given ? o.max_depth : 100;
    options.paths = o.paths;
    std::vector<BackrefsReport> reports = backrefs_reports(g, names, targets, options);
    timer.done("report");  // chains, retained sizes and, for trash, cycles
    BackrefsQuery query{o.to, options.max_depth, o.path};
    for (std::size_t k = 0; k < reports.size(); ++k) {
        if (o.json) {
            print_json(backrefs_json(s, reports[k], o.to));  // one document (line) per object
        } else {
            if (k) std::printf("\n");
            print_backrefs_text(s, reports[k], query);
        }
    }
    std::vector<LabelledChain> all_chains;  // everything printed, for --chain-only
    for (const BackrefsReport& r : reports) {
        for (const LabelledChain& c : r.chains) all_chains.push_back(c);
        if (!r.cycle.empty()) {
            all_chains.push_back(r.cycle);
            if (r.cycle_to_target.references()) all_chains.push_back(r.cycle_to_target);
        }
    }
    if (o.output.empty()) return;
    if (o.chain_only) {
        if (all_chains.empty()) throw not_found_error("--chain-only: there is no chain to draw");
        write_drawing(draw_chains(g, all_chains, nullptr, &names), o.output);
        return;
    }
    NeighbourhoodOptions n;
    n.direction = Direction::Referrers;
    n.max_depth = o.max_depth_given ? o.max_depth : 3;
    n.too_many = o.too_many;
    n.names = &names;
    write_drawing(draw_neighbourhood(g, targets, n), o.output);
}

}  // namespace

void set_backrefs_command(CLI::App& app) {
    auto o = std::make_shared<BackrefsOptions>();
    CLI::App* cmd = app.add_subcommand("backrefs", "What keeps an object alive: the shortest chains of references from "
                                                   "a module (or a root, or a type) down to it");
    cmd->add_option("snapshot", o->path, "Snapshot file written by heapdiff.dump()")->required();
    add_object_choice(cmd, o->choice, true);
    cmd->add_option("--to", o->to, "Where chains start: module, root (anything the collector starts from) or a type name")
        ->capture_default_str();
    add_count_option(cmd, "--paths", o->paths, "How many distinct chains, shortest first", 1)->capture_default_str();
    CLI::Option* max_depth = add_count_option(
        cmd, "--max-depth", o->max_depth,
        "References per chain at most (default 100), or levels drawn (default 3); 0: only the object itself");
    cmd->add_option("-o,--output", o->output, "Draw the referrers into FILE.png, .svg or .dot (like objgraph.show_backrefs)");
    add_count_option(cmd, "--too-many", o->too_many,
                     "Referrers drawn per object; the rest fold into one node (0: fold them all)")
        ->capture_default_str();
    cmd->add_flag("--chain-only", o->chain_only, "Draw only the chains")->needs(cmd->get_option("--output"));
    cmd->add_option("--chain", o->given_chains,
                    "A chain to print and draw (like objgraph.show_chain): addresses separated by commas, the start "
                    "first, each referring to the next; repeat for several")
        ->allow_extra_args(false)
        ->excludes("--type")
        ->excludes("--address")
        ->excludes("--chain-only");
    cmd->add_flag("--json", o->json, "Print JSON");
    cmd->callback([o, max_depth] {
        o->max_depth_given = max_depth->count() > 0;
        run(*o);
    });
}

}  // namespace heapdiff::cli
