#include "heapdiff/neighbourhood.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <iterator>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "heapdiff/error.h"
#include "heapdiff/labelled_chain.h"
#include "heapdiff/object_text.h"
#include "heapdiff/printable_text.h"

namespace heapdiff {
namespace {

// ---- how an object looks --------------------------------------------------------

// objgraph cuts reprs at 40 characters; a few more fit a qualified name.
constexpr std::size_t kMaxDescriptionChars = 48;

// Cut at a character boundary (never inside a UTF-8 sequence), marked with an ellipsis.
std::string truncated(const std::string& text, std::size_t max_chars) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // continuation byte
        if (chars++ == max_chars - 1) {
            // Room for the ellipsis only if more than one character remains.
            std::size_t rest = 0;
            for (std::size_t k = i; k < text.size() && rest < 2; ++k)
                rest += (static_cast<unsigned char>(text[k]) & 0xC0) != 0x80;
            return rest < 2 ? text : text.substr(0, i) + "\xE2\x80\xA6";
        }
    }
    return text;
}

std::string object_label(const HeapGraph& graph, ObjectIndex i, const std::vector<std::uint64_t>* retained,
                         const ObjectNames* names) {
    const Snapshot& s = graph.snapshot();
    // Heap text, escaped (printable_text.h): a newline in it must not make a line here.
    std::string label = printable(truncated(describe_object(s, i), kMaxDescriptionChars));
    label += '\n';
    if (std::string name = names ? names->name(i) : std::string(); !name.empty())
        label += printable(truncated(name, kMaxDescriptionChars)) + '\n';
    label += human_size(s.size[i]);
    if (retained) label += ", retained " + human_size((*retained)[i]);
    label += '\n';
    label += hex_address(s.address[i]);
    return label;
}

// objgraph's colours as Graphviz "H,S,V": white fading to grey with depth (to v = 0.5
// rather than objgraph's 0.3, so black text stays readable without a font colour per
// node), modules green, targets blue.
std::string hsv(double h, double s, double v) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.3g,%.3g,%.3g", h, s, v);
    return buf;
}

std::string fill_colour(const HeapGraph& graph, ObjectIndex i, bool target, std::uint32_t depth,
                        std::uint32_t max_depth) {
    if (target) return hsv(0.6, 0.35, 1);
    double v = max_depth == 0 ? 1.0 : 1.0 - 0.5 * std::min(depth, max_depth) / max_depth;
    if (graph.is_module(i)) return hsv(0.3, 0.5, v);
    return hsv(0, 0, v);
}

// ---- the selection --------------------------------------------------------------

// Builds the drawing breadth-first, keeping the node budget:
//   nodes + reserved <= budget at all times, where `reserved` is one slot for each
//   object in the queue (waiting to be expanded), for the "N more" node it may need.
// So an expanded object that leaves neighbours out can always draw its "N more" node,
// and the picture never exceeds the budget, folded nodes included. Order is the
// targets' order, then the graph's edge order: the same input gives the same drawing.
class Neighbourhood {
public:
    Neighbourhood(const HeapGraph& graph, const NeighbourhoodOptions& options)
        : graph_(graph),
          options_(options),
          budget_(std::min<std::size_t>(options.node_budget, kMaxDrawingNodes)),
          referrers_(options.direction == Direction::Referrers),
          g_(referrers_ ? graph.reverse() : graph.forward()) {
        if (referrers_ && !graph.has_reverse())
            throw Error("internal error: drawing referrers needs the graph built with its reverse");
        if (options.retained && options.retained->size() < graph.object_count())
            throw Error("internal error: retained sizes do not cover every object");
    }

    Drawing run(const std::vector<ObjectIndex>& targets) {
        std::uint32_t dropped = 0;
        for (ObjectIndex t : targets) {
            if (t >= graph_.object_count())
                throw Error("internal error: object " + std::to_string(t) + " is not in the snapshot");
            targets_.insert(t);
        }
        std::unordered_set<ObjectIndex> seen;
        for (ObjectIndex t : targets) {
            if (!seen.insert(t).second) continue;
            if (!try_add(t, 0, false, true)) ++dropped;
        }
        while (!queue_.empty()) {
            auto [object, depth] = queue_.front();
            queue_.pop_front();
            --reserved_;  // now the slot for this object's "N more" node
            expand(object, depth);
        }
        if (dropped)
            drawing_.title = std::to_string(dropped) + " target" + (dropped == 1 ? "" : "s") +
                             " not drawn (node budget " + std::to_string(budget_) + ")";
        return std::move(drawing_);
    }

private:
    bool is_target(ObjectIndex i) const { return targets_.count(i) != 0; }

    // Objgraph stops at modules when looking for referrers: everything in a module is
    // referred to by it, and its own referrers (sys.modules, importers) say nothing.
    // A module that is itself a target is expanded: that is what was asked.
    bool expandable(ObjectIndex i, std::uint32_t depth) const {
        if (depth >= options_.max_depth) return false;
        if (referrers_ && graph_.is_module(i) && !is_target(i)) return false;
        for (auto [e, end] = out_edges(i, g_); e != end; ++e)
            if (target(*e, g_) != graph_.virtual_root()) return true;
        return false;
    }

    // Adds an object's node if it fits with a slot reserved for its own "N more" node
    // (when it will be expanded) and, with keep_one_free, one for the caller's. A target
    // that fits only alone is drawn unexpanded: better than no target at all.
    bool try_add(ObjectIndex i, std::uint32_t depth, bool keep_one_free, bool alone_if_need_be = false) {
        const std::size_t used = drawing_.nodes.size() + reserved_;
        const std::size_t room = used < budget_ ? budget_ - used : 0;
        bool expand = expandable(i, depth);
        const std::size_t need = 1 + (expand ? 1 : 0) + (keep_one_free ? 1 : 0);
        if (need > room) {
            if (!alone_if_need_be || room == 0) return false;
            expand = false;
        }
        DrawingNode node;
        node.label = object_label(graph_, i, options_.retained, options_.names);
        node.target = is_target(i);
        node.fill_colour = fill_colour(graph_, i, node.target, depth, options_.max_depth);
        position_.emplace(i, static_cast<std::uint32_t>(drawing_.nodes.size()));
        drawing_.nodes.push_back(std::move(node));
        if (expand) {
            queue_.emplace_back(i, depth);
            ++reserved_;
        }
        return true;
    }

    bool shown(ObjectIndex w) const {
        return w != graph_.virtual_root() && (!options_.allowed || is_target(w) || options_.allowed(w));
    }

    // Edges go the way the references do: referrer -> referent.
    void add_edge(ObjectIndex u, ObjectIndex w) {
        const ObjectIndex from = referrers_ ? w : u, to = referrers_ ? u : w;
        drawing_.edges.push_back({position_.at(from), position_.at(to), printable(graph_.label_between(from, to))});
    }

    // Neighbours in edge order, each counted once however many references it has. An
    // object can have millions of referrers (a type, an interned string), so memory here
    // stays small: the neighbours decided one by one (at most too_many drawn, plus the
    // one that did not fit) are kept in a set, and once nothing more can be drawn the
    // rest only go to a flat list, deduplicated and counted at the end.
    void expand(ObjectIndex u, std::uint32_t depth) {
        std::unordered_set<ObjectIndex> decided;
        std::vector<ObjectIndex> rest;
        std::uint64_t drawn = 0, folded = 0;
        bool full = false;  // no new node from here on: only objects already drawn may get an edge
        for (auto [e, end] = out_edges(u, g_); e != end; ++e) {
            const ObjectIndex w = target(*e, g_);
            if (!shown(w) || decided.count(w) != 0) continue;
            const bool present = position_.count(w) != 0;
            // Any later edge may need the "N more" node: keep a slot for it.
            if (drawn < options_.too_many && (present || (!full && try_add(w, depth + 1, std::next(e) != end)))) {
                decided.insert(w);
                add_edge(u, w);
                ++drawn;
            } else if (!full) {
                // too_many reached, or try_add failed, which it does only when fewer than
                // 3 slots are left: either way nothing new is added after this.
                decided.insert(w);
                ++folded;
                full = true;
            } else {
                rest.push_back(w);
            }
        }
        std::sort(rest.begin(), rest.end());
        rest.erase(std::unique(rest.begin(), rest.end()), rest.end());
        for (ObjectIndex w : rest) folded += decided.count(w) == 0;
        if (folded == 0) return;
        DrawingNode more;
        more.label =
            std::to_string(folded) + " more " + (referrers_ ? "referrer" : "referent") + (folded == 1 ? "" : "s");
        more.folded = true;
        const std::uint32_t at = static_cast<std::uint32_t>(drawing_.nodes.size());
        drawing_.nodes.push_back(std::move(more));
        const std::uint32_t self = position_.at(u);
        drawing_.edges.push_back({referrers_ ? at : self, referrers_ ? self : at, ""});
    }

    const HeapGraph& graph_;
    const NeighbourhoodOptions& options_;
    const std::size_t budget_;  // the option's, within what a drawing may hold (report_bounds.h)
    const bool referrers_;
    const CsrGraph& g_;
    std::unordered_set<ObjectIndex> targets_;
    std::unordered_map<ObjectIndex, std::uint32_t> position_;  // object -> drawing node
    std::deque<std::pair<ObjectIndex, std::uint32_t>> queue_;  // (object, depth) to expand, each with a reserved slot
    std::size_t reserved_ = 0;
    Drawing drawing_;
};

}  // namespace

Drawing draw_neighbourhood(const HeapGraph& graph, const std::vector<ObjectIndex>& targets,
                           const NeighbourhoodOptions& options) {
    return Neighbourhood(graph, options).run(targets);
}

Drawing draw_chains(const HeapGraph& graph, const std::vector<std::vector<ObjectIndex>>& chains,
                    const std::vector<std::uint64_t>* retained, const ObjectNames* names) {
    std::vector<LabelledChain> labelled;
    labelled.reserve(chains.size());
    for (const std::vector<ObjectIndex>& c : chains) labelled.push_back(labelled_chain(graph, c));
    return draw_chains(graph, labelled, retained, names);
}

Drawing draw_chains(const HeapGraph& graph, const std::vector<LabelledChain>& given,
                    const std::vector<std::uint64_t>* retained, const ObjectNames* names) {
    const std::uint32_t n = graph.object_count();
    if (retained && retained->size() < n) throw Error("internal error: retained sizes do not cover every object");

    // Each chain gets an equal share of the node budget (a few nodes at least): a longer
    // one is cut (labelled_chain.h), its gap drawn as one folded node. A chain whose new
    // nodes no longer fit is left out and counted in the title.
    constexpr std::size_t kFewestNodes = 6;
    const std::size_t share = given.empty() ? kMaxDrawingNodes : std::max(kFewestNodes, kMaxDrawingNodes / given.size());
    std::vector<LabelledChain> chains;
    std::unordered_set<ObjectIndex> placed;
    std::size_t nodes = 0, dropped = 0;
    for (const LabelledChain& whole : given) {
        for (ObjectIndex i : whole.objects)
            if (i > n) throw Error("internal error: object " + std::to_string(i) + " is not in the snapshot");
        LabelledChain c = whole.left_out || whole.objects.size() > share ? shortened_chain(whole, share - 1) : whole;
        std::unordered_set<ObjectIndex> fresh;
        for (ObjectIndex i : c.objects)
            if (i != n && !placed.count(i)) fresh.insert(i);  // the virtual root is never drawn
        const std::size_t need = fresh.size() + (c.left_out ? 1 : 0);
        if (nodes + need > kMaxDrawingNodes) {
            ++dropped;
            continue;
        }
        nodes += need;
        placed.insert(fresh.begin(), fresh.end());
        chains.push_back(std::move(c));
    }

    // Depth = references from the object to its chain's target (the minimum over the
    // chains it is on), so colours fade away from the targets as in draw_neighbourhood.
    std::unordered_map<ObjectIndex, std::uint32_t> position, depth;
    std::vector<ObjectIndex> order;
    std::unordered_set<ObjectIndex> targets;
    std::uint32_t max_depth = 0;
    for (const LabelledChain& c : chains) {
        if (c.objects.empty() || c.objects.back() == n) continue;
        targets.insert(c.objects.back());
        for (std::size_t k = 0; k < c.objects.size(); ++k) {
            if (c.objects[k] == n) continue;
            const std::size_t references = c.objects.size() - 1 - k + (c.left_out && k <= c.gap ? c.left_out : 0);
            const std::uint32_t d = static_cast<std::uint32_t>(std::min<std::size_t>(references, UINT32_MAX));
            auto [it, fresh] = depth.emplace(c.objects[k], d);
            if (fresh) order.push_back(c.objects[k]);
            else it->second = std::min(it->second, d);
            max_depth = std::max(max_depth, d);
        }
    }

    Drawing drawing;
    for (ObjectIndex i : order) {
        position.emplace(i, static_cast<std::uint32_t>(drawing.nodes.size()));
        DrawingNode node;
        node.label = object_label(graph, i, retained, names);
        node.target = targets.count(i) != 0;
        node.fill_colour = fill_colour(graph, i, node.target, depth.at(i), max_depth);
        drawing.nodes.push_back(std::move(node));
    }
    std::set<std::pair<std::uint32_t, std::uint32_t>> drawn;
    auto edge = [&](std::uint32_t from, std::uint32_t to, const std::string& label) {
        if (drawn.emplace(from, to).second) drawing.edges.push_back({from, to, printable(label)});
    };
    for (const LabelledChain& c : chains)
        for (std::size_t k = 1; k < c.objects.size(); ++k) {
            const ObjectIndex from = c.objects[k - 1], to = c.objects[k];
            if (from == n || to == n) continue;
            if (c.left_out && k == c.gap + 1) {
                DrawingNode gap;
                gap.label = left_out_label(c.left_out);
                gap.folded = true;
                const std::uint32_t at = static_cast<std::uint32_t>(drawing.nodes.size());
                drawing.nodes.push_back(std::move(gap));
                edge(position.at(from), at, "");
                edge(at, position.at(to), c.edges[k]);
            } else {
                edge(position.at(from), position.at(to), c.edges[k]);
            }
        }
    if (dropped)
        drawing.title = std::to_string(dropped) + " chain" + (dropped == 1 ? "" : "s") + " not drawn (node budget " +
                        std::to_string(kMaxDrawingNodes) + ")";
    return drawing;
}

}  // namespace heapdiff
