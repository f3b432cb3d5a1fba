#include "heapdiff/chains.h"

#include <algorithm>
#include <set>
#include <utility>

#include "heapdiff/error.h"

namespace heapdiff {
namespace {

// Breadth-first search over referrers with some objects and some references taken
// out (what Yen's algorithm needs), reusing its marks between searches: only the
// objects a search touched are cleared afterwards.
class ReferrerSearch {
public:
    ReferrerSearch(const HeapGraph& graph, const ChainOptions& options)
        : graph_(graph), options_(options), parent_(graph.object_count() + 1, kUnseen) {
        const Snapshot& s = graph.snapshot();
        if (options.start.kind == ChainStart::Kind::Type) {
            is_start_type_.assign(s.types.size() + 1, false);
            for (TypeId t : options.start.types)
                if (t.value < is_start_type_.size()) is_start_type_[t.value] = true;
        }
    }

    bool is_start(ObjectIndex v) const {
        switch (options_.start.kind) {
            case ChainStart::Kind::Module: return graph_.is_module(v);
            case ChainStart::Kind::Root: return graph_.is_root(v);
            case ChainStart::Kind::Type: return is_start_type_[graph_.snapshot().type[v].value];
        }
        return false;
    }

    // The shortest path from `from` up its referrers to a start object within
    // `depth_left` references, avoiding `blocked` objects and the `cut` references
    // (referrer, referent). Returned start first, `from` last; empty if none.
    Chain search(ObjectIndex from, std::uint32_t depth_left, const std::vector<bool>& blocked,
                 const std::set<std::pair<ObjectIndex, ObjectIndex>>& cut) {
        Chain found;
        const CsrGraph& reverse = graph_.reverse();
        const std::uint32_t virtual_root = graph_.virtual_root();
        touched_.clear();
        std::vector<ObjectIndex> level{from}, next;
        parent_[from] = kNoObject;
        touched_.push_back(from);
        ObjectIndex hit = is_start(from) ? from : kNoObject;
        for (std::uint32_t depth = 0; hit == kNoObject && depth < depth_left && !level.empty(); ++depth) {
            next.clear();
            for (ObjectIndex v : level) {
                // A start object ends a chain; it is not climbed past.
                if (v != from && is_start(v)) continue;
                for (auto [it, end] = adjacent_vertices(v, reverse); it != end; ++it) {
                    ObjectIndex r = *it;
                    if (r == virtual_root || parent_[r] != kUnseen || blocked[r]) continue;
                    if (!cut.empty() && cut.count({r, v})) continue;
                    parent_[r] = v;
                    touched_.push_back(r);
                    if (is_start(r)) {
                        hit = r;
                        break;
                    }
                    next.push_back(r);
                }
                if (hit != kNoObject) break;
            }
            level.swap(next);
        }
        for (ObjectIndex v = hit; v != kNoObject; v = parent_[v]) found.push_back(v);
        for (ObjectIndex v : touched_) parent_[v] = kUnseen;
        return found;
    }

private:
    static constexpr ObjectIndex kUnseen = kNoObject - 1;
    const HeapGraph& graph_;
    const ChainOptions& options_;
    std::vector<bool> is_start_type_;
    std::vector<ObjectIndex> parent_;  // towards `from`
    std::vector<ObjectIndex> touched_;
};

}  // namespace

std::vector<Chain> shortest_chains(const HeapGraph& graph, ObjectIndex target, const ChainOptions& options) {
    if (!graph.has_reverse()) throw Error("internal error: chains need the reverse graph");
    std::vector<Chain> chains;
    if (target >= graph.object_count() || options.paths == 0) return chains;
    ReferrerSearch search(graph, options);
    std::vector<bool> blocked(graph.object_count() + 1, false);
    const std::set<std::pair<ObjectIndex, ObjectIndex>> no_cut;
    Chain first = search.search(target, options.max_depth, blocked, no_cut);
    if (first.empty()) return chains;
    chains.push_back(std::move(first));

    // Yen's algorithm, on chains read from the target end: candidate chains share a
    // prefix (target ... spur) with an accepted one and leave it by another reference.
    std::set<std::pair<std::size_t, Chain>> candidates;  // (length, chain): shortest first, then stable
    while (chains.size() < options.paths) {
        Chain previous(chains.back().rbegin(), chains.back().rend());  // target first
        for (std::size_t spur = 0; spur + 1 < previous.size(); ++spur) {
            const ObjectIndex spur_object = previous[spur];
            std::set<std::pair<ObjectIndex, ObjectIndex>> cut;
            for (const Chain& c : chains) {
                Chain rc(c.rbegin(), c.rend());
                if (rc.size() > spur + 1 && std::equal(rc.begin(), rc.begin() + spur + 1, previous.begin()))
                    cut.insert({rc[spur + 1], rc[spur]});  // (referrer, referent)
            }
            for (std::size_t k = 0; k < spur; ++k) blocked[previous[k]] = true;
            const std::uint32_t used = static_cast<std::uint32_t>(spur);
            Chain tail = search.search(spur_object, options.max_depth - used, blocked, cut);
            for (std::size_t k = 0; k < spur; ++k) blocked[previous[k]] = false;
            if (tail.empty()) continue;
            // tail: start ... spur_object; then the prefix back down to the target.
            Chain candidate = tail;
            for (std::size_t k = spur; k-- > 0;) candidate.push_back(previous[k]);
            candidates.insert({candidate.size(), std::move(candidate)});
        }
        bool added = false;
        while (!candidates.empty()) {
            Chain best = candidates.begin()->second;
            candidates.erase(candidates.begin());
            if (std::find(chains.begin(), chains.end(), best) == chains.end()) {
                chains.push_back(std::move(best));
                added = true;
                break;
            }
        }
        if (!added) break;
    }
    return chains;
}

}  // namespace heapdiff
