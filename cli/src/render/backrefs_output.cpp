#include "render/backrefs_output.h"

#include <cstdio>

#include "render/format_text.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/printable_text.h"
#include "render/report_objects_output.h"

namespace heapdiff::cli {
namespace {

std::string start_text(const std::string& to) {
    if (to == "module") return "a module";
    if (to == "root") return "a root";
    return "an object of type " + printable(to);
}

const char* plural(std::size_t n) { return n == 1 ? "" : "s"; }

}  // namespace

Json backrefs_json(const Snapshot& s, const BackrefsReport& r, const std::string& to) {
    Json target = named_object_json(s, r.target);
    target["retained"] = r.retained;
    Json chains = Json::array();
    for (const LabelledChain& c : r.chains) chains.push_back(labelled_chain_json(s, c));
    const bool held = !r.cycle.empty();
    return {{"target", std::move(target)},
            {"to", to},
            {"chain", r.chains.empty() ? Json::array() : chains.front()},
            {"chains", std::move(chains)},
            {"cycle", held ? labelled_chain_json(s, r.cycle) : Json(nullptr)},
            {"cycle_to_target", held ? labelled_chain_json(s, r.cycle_to_target) : Json(nullptr)}};
}

void print_backrefs_text(const Snapshot& s, const BackrefsReport& r, const BackrefsQuery& q) {
    std::printf("%s, retains %s\n", named_object_text(s, r.target).c_str(),
                r.retained ? human_size(r.retained).c_str() : "nothing: no root reaches it");
    if (r.root_reasons) std::printf("it is a root: %s\n", root_reasons_text(r.root_reasons, r.unexplained_refs).c_str());
    if (r.chains.empty()) {
        if (!r.retained && r.cycle.empty()) {
            std::printf("no chain: nothing reachable from the roots refers to it; it is cyclic trash the collector "
                        "has not freed yet (heapdiff garbage %s)\n", printable(q.path).c_str());
        } else if (!r.retained) {
            std::printf("no chain: nothing reachable from the roots refers to it; it is cyclic trash the collector "
                        "has not freed yet (heapdiff garbage %s),\nheld by a cycle of %zu reference%s%s:\n",
                        printable(q.path).c_str(), r.cycle.references(), plural(r.cycle.references()),
                        r.cycle_to_target.references() ? "" : " through itself");
            print_labelled_chain(s, r.cycle);
            if (r.cycle_to_target.references()) {
                std::printf("\nwhich reaches it in %zu reference%s:\n", r.cycle_to_target.references(),
                            plural(r.cycle_to_target.references()));
                print_labelled_chain(s, r.cycle_to_target);
            }
        } else
            std::printf("no chain from %s within %u references (--max-depth, or --to root)\n", start_text(q.to).c_str(),
                        q.max_depth);
        return;
    }
    for (std::size_t c = 0; c < r.chains.size(); ++c) {
        const LabelledChain& chain = r.chains[c];
        std::printf("\n%s from %s, %zu reference%s:\n",
                    r.chains.size() > 1 ? ("chain " + std::to_string(c + 1) + " of " + std::to_string(r.chains.size())).c_str()
                                        : "shortest chain",
                    start_text(q.to).c_str(), chain.references(), plural(chain.references()));
        print_labelled_chain(s, chain);
    }
}

Json given_chains_json(const Snapshot& s, const std::vector<LabelledChain>& chains) {
    Json out = Json::array();
    for (const LabelledChain& c : chains) out.push_back(labelled_chain_json(s, c));
    return {{"chains", std::move(out)}};
}

void print_given_chains_text(const Snapshot& s, const std::vector<LabelledChain>& chains) {
    for (std::size_t c = 0; c < chains.size(); ++c) {
        std::printf("%schain %zu of %zu, %zu reference%s:\n", c ? "\n" : "", c + 1, chains.size(),
                    chains[c].references(), plural(chains[c].references()));
        print_labelled_chain(s, chains[c]);
    }
}

}  // namespace heapdiff::cli
