#include "heapdiff/heap_graph.h"

#include <algorithm>
#include <iterator>
#include <thread>
#include <utility>

#include "heapdiff/dominators.h"
#include "heapdiff/edge_label.h"
#include "heapdiff/error.h"
#include "heapdiff/report_bounds.h"
#include "heapdiff/type_lookup.h"

namespace heapdiff {
namespace {

// Yields (source, target) pairs in source order straight from flat arrays, so the CSR
// constructor reads them without a temporary vector of pairs (8 bytes per edge saved
// at the peak): first the objects' resolved edges, then the virtual root's.
class SortedEdgeIterator {
public:
    using iterator_category = std::input_iterator_tag;
    using value_type = std::pair<std::uint32_t, std::uint32_t>;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = const value_type&;

    SortedEdgeIterator(const std::vector<std::uint32_t>* begin, const std::vector<std::uint32_t>* targets,
                       std::uint32_t source, std::uint64_t edge)
        : begin_(begin), targets_(targets), edge_(edge) {
        current_.first = source;
        settle();
    }
    reference operator*() const { return current_; }
    pointer operator->() const { return &current_; }
    SortedEdgeIterator& operator++() {
        ++edge_;
        settle();
        return *this;
    }
    SortedEdgeIterator operator++(int) {
        SortedEdgeIterator old = *this;
        ++*this;
        return old;
    }
    friend bool operator==(const SortedEdgeIterator& a, const SortedEdgeIterator& b) { return a.edge_ == b.edge_; }
    friend bool operator!=(const SortedEdgeIterator& a, const SortedEdgeIterator& b) { return a.edge_ != b.edge_; }

private:
    void settle() {
        const std::vector<std::uint32_t>& begin = *begin_;
        while (current_.first + 1 < begin.size() && edge_ >= begin[current_.first + 1]) ++current_.first;
        if (edge_ < targets_->size()) current_.second = (*targets_)[edge_];
    }
    const std::vector<std::uint32_t>* begin_;   // per source: first edge (n + 2 entries)
    const std::vector<std::uint32_t>* targets_;
    std::uint64_t edge_;
    value_type current_{};
};

// Every edge's target as an object index (kNoObject when the snapshot does not hold
// it), in edge order. The lookups dominate building the graph: they search a plain
// sorted copy of the addresses (one cache miss per step instead of two through the
// index), with the edges split between threads. (A cached sample of every 64th
// address, and prefetching in batches, gained under 5% at 10M objects: each lookup
// still ends in a miss on the copy and one on the order, so they were left out.)
std::vector<std::uint32_t> resolve_targets(const Snapshot& s, const AddressIndex& index) {
    std::vector<std::uint64_t> sorted(index.size());
    for (std::size_t k = 0; k < sorted.size(); ++k) sorted[k] = index.address_at(k);
    const std::vector<ObjectIndex>& order = index.objects();
    std::vector<std::uint32_t> targets(s.edge_target.size());
    auto resolve = [&](std::size_t first, std::size_t last) {
        for (std::size_t e = first; e < last; ++e) {
            const std::uint64_t a = s.edge_target[e];
            auto it = std::lower_bound(sorted.begin(), sorted.end(), a);
            targets[e] = it != sorted.end() && *it == a ? order[static_cast<std::size_t>(it - sorted.begin())] : kNoObject;
        }
    };
    const std::size_t edges = targets.size();
    const unsigned threads = edges < (1u << 20) ? 1 : std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
    std::vector<std::thread> workers;
    for (unsigned k = 1; k < threads; ++k) workers.emplace_back(resolve, edges * k / threads, edges * (k + 1) / threads);
    resolve(0, edges / threads);
    for (std::thread& w : workers) w.join();
    return targets;
}



}  // namespace

HeapGraph::HeapGraph(const Snapshot& s, bool with_reverse)
    : snapshot_(&s), index_(s), n_(static_cast<std::uint32_t>(s.object_count())) {
    if (!s.has_edges()) throw Error("internal error: the object graph needs a snapshot loaded with its edges");
    if (s.refcount.size() != n_ || s.flags.size() != n_)
        throw Error("internal error: the object graph needs refcounts and flags");
    if (s.edge_target.size() >= 0xFFFFFFFFull - n_)
        throw Error("this snapshot has more than 4 billion references; the object graph holds at most that");
    if (std::vector<TypeId> module = types_named(s, "builtins.module"); !module.empty()) module_type_ = module.front();

    // 1. Resolve every edge target once (4 bytes per edge) and count in-edges.
    std::vector<std::uint32_t> begin(n_ + 2, 0), targets = resolve_targets(s, index_);
    in_edges_.assign(n_, 0);
    std::uint64_t kept = 0;
    for (std::uint32_t i = 0; i < n_; ++i) {
        begin[i] = static_cast<std::uint32_t>(kept);
        for (std::uint64_t e = s.edge_begin[i]; e < s.edge_begin[i + 1]; ++e) {
            ObjectIndex t = targets[e];
            if (t == kNoObject) {
                ++unresolved_edges_;
                continue;
            }
            targets[kept++] = t;  // compacted in place: kept <= e
            if (in_edges_[t] != 0xFFFFFFFFu) ++in_edges_[t];
        }
    }
    targets.resize(kept);

    // 2. Roots, in object order.
    root_reasons_.assign(n_, 0);
    auto mark = [&](std::uint64_t address, std::uint8_t reason) {
        ObjectIndex i = index_.find(address);
        if (i != kNoObject) root_reasons_[i] |= reason;
    };
    for (const ModuleRoot& m : s.module_roots) mark(m.address, root_reason::kModule);
    for (const ThreadRoot& t : s.thread_roots)
        for (std::uint64_t f : t.frames) mark(f, root_reason::kThreadFrame);
    for (std::uint32_t i = 0; i < n_; ++i) {
        if (s.flags[i] & format::object_flag::kImmortal) root_reasons_[i] |= root_reason::kImmortal;
        else if (s.refcount[i] > in_edges_[i]) root_reasons_[i] |= root_reason::kExternalRefs;
        if (root_reasons_[i]) roots_.push_back(i);
    }

    // 3. The forward CSR graph: objects' edges, then the virtual root's.
    begin[n_] = static_cast<std::uint32_t>(targets.size());
    targets.insert(targets.end(), roots_.begin(), roots_.end());
    begin[n_ + 1] = static_cast<std::uint32_t>(targets.size());
    SortedEdgeIterator first(&begin, &targets, 0, 0), last(&begin, &targets, n_, targets.size());
    forward_ = CsrGraph(boost::edges_are_sorted, first, last, n_ + 1, targets.size());
    std::vector<std::uint32_t>().swap(targets);
    std::vector<std::uint32_t>().swap(begin);

    if (with_reverse) reverse_ = reverse_graph(forward_);
}

std::vector<bool> HeapGraph::reached_from_roots(ObjectIndex not_through) const {
    std::vector<bool> reached(n_ + 1, false);
    std::vector<std::uint32_t> stack{virtual_root()};
    reached[virtual_root()] = true;
    while (!stack.empty()) {
        std::uint32_t v = stack.back();
        stack.pop_back();
        if (v == not_through) continue;
        for (auto [it, end] = adjacent_vertices(v, forward_); it != end; ++it)
            if (!reached[*it]) {
                reached[*it] = true;
                stack.push_back(*it);
            }
    }
    return reached;
}

std::uint64_t HeapGraph::unexplained_refs(ObjectIndex i) const {
    if (snapshot_->flags[i] & format::object_flag::kImmortal) return 0;
    std::uint64_t rc = snapshot_->refcount[i];
    return rc > in_edges_[i] ? rc - in_edges_[i] : 0;
}

std::vector<std::uint64_t> HeapGraph::edges_between(ObjectIndex source, ObjectIndex target) const {
    std::vector<std::uint64_t> out;
    if (source >= n_ || target >= n_) return out;
    const Snapshot& s = *snapshot_;
    const std::uint64_t address = s.address[target];
    for (std::uint64_t e = s.edge_begin[source]; e < s.edge_begin[source + 1]; ++e)
        if (s.edge_target[e] == address) out.push_back(e);
    return out;
}

std::string HeapGraph::label_between(ObjectIndex source, ObjectIndex target) const {
    std::string out;
    if (snapshot_->edge_kind.empty()) return out;  // loaded without edge labels
    // A dict whose million keys all map to None has a million references to None: only
    // the first kMaxJoinedLabels are named, the rest counted (report_bounds.h).
    const std::vector<std::uint64_t> edges = edges_between(source, target);
    std::size_t joined = 0, k = 0;
    for (; k < edges.size() && joined < kMaxJoinedLabels; ++k) {
        std::string label = edge_label(*snapshot_, source, edges[k], index_);
        if (label.empty()) continue;
        if (!out.empty()) out += ", ";
        out += label;
        ++joined;
    }
    if (k < edges.size()) out += ", \xE2\x80\xA6 and " + std::to_string(edges.size() - k) + " more";
    return out;
}

}  // namespace heapdiff
