#include "heapdiff/suspects.h"

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>

#include "heapdiff/address_index.h"
#include "heapdiff/cycles.h"

namespace heapdiff {
namespace {

// Per object of the last snapshot: born since the first snapshot and alive since.
// Immortal objects never are: they live as long as the interpreter, and one missing from
// the first snapshot was only not referred to then (3.15's statically allocated ints up to
// 1024 appear as soon as a dict keys by them).
std::vector<bool> born_and_alive(const Snapshot& last, const std::vector<const Snapshot*>& earlier) {
    std::vector<bool> out(last.object_count(), true);
    if (last.flags.size() == out.size())
        for (ObjectIndex i = 0; i < out.size(); ++i)
            if (last.flags[i] & format::object_flag::kImmortal) out[i] = false;
    for (std::size_t k = 0; k < earlier.size(); ++k) {
        const Snapshot& s = *earlier[k];
        AddressIndex index(s);
        for (ObjectIndex i = 0; i < out.size(); ++i) {
            if (!out[i]) continue;
            ObjectIndex j = index.find(last.address[i]);
            const bool same = j != kNoObject && s.type_name(s.type[j]) == last.type_name(last.type[i]);
            out[i] = k == 0 ? !same : same;  // not in the first; in every later one
        }
    }
    return out;
}

// The shortest-path tree from the roots: each reached object's parent and the
// snapshot edge it was reached by (the graph's edges are the snapshot's in order, less
// those whose target the snapshot lacks).
struct ReachTree {
    std::vector<ObjectIndex> parent;  // kNoObject: not reached; the virtual root for roots
    std::vector<std::uint64_t> edge;
};

ReachTree reach_tree(const HeapGraph& g) {
    const Snapshot& s = g.snapshot();
    const std::uint32_t n = g.object_count();
    ReachTree t{std::vector<ObjectIndex>(n, kNoObject), std::vector<std::uint64_t>(n, 0)};
    std::vector<ObjectIndex> queue;
    for (ObjectIndex r : g.roots()) {
        t.parent[r] = g.virtual_root();
        queue.push_back(r);
    }
    for (std::size_t q = 0; q < queue.size(); ++q) {
        const ObjectIndex v = queue[q];
        auto [it, end] = adjacent_vertices(v, g.forward());
        for (std::uint64_t e = s.edge_begin[v]; e < s.edge_begin[v + 1] && it != end; ++e) {
            if (s.edge_target[e] != s.address[*it]) continue;
            const ObjectIndex c = *it++;
            if (t.parent[c] != kNoObject) continue;
            t.parent[c] = v;
            t.edge[c] = e;
            queue.push_back(c);
        }
    }
    return t;
}

// The retainer path's signature: per hop up to the root, the type and the edge's kind
// and (for named kinds) its name; dict keys and indexes are left out on purpose.
std::string path_signature(const Snapshot& s, const ReachTree& t, ObjectIndex object, ObjectIndex root_mark) {
    std::string sig;
    auto put = [&](std::uint64_t v) { sig.append(reinterpret_cast<const char*>(&v), sizeof v); };
    ObjectIndex v = object;
    for (int hops = 0; v != root_mark && hops < 64; ++hops) {
        put(s.type[v].value);
        if (t.parent[v] == root_mark) break;
        const EdgeKind kind = s.edge_kind[t.edge[v]];
        const bool named = kind == EdgeKind::Attribute || kind == EdgeKind::Field || kind == EdgeKind::FrameLocal;
        put(static_cast<std::uint64_t>(kind) << 32 | (named ? s.edge_arg[t.edge[v]] & 0xFFFFFFFFu : 0));
        v = t.parent[v];
    }
    return sig;
}

std::vector<ObjectIndex> chain_to(const ReachTree& t, ObjectIndex object, ObjectIndex root_mark) {
    std::vector<ObjectIndex> chain;
    for (ObjectIndex v = object; v != root_mark && v != kNoObject; v = t.parent[v]) chain.push_back(v);
    std::reverse(chain.begin(), chain.end());
    return chain;
}

// What `heapdiff orphans` counts (core/orphans.h): nothing in the snapshot refers to it,
// yet its reference count says something does: C code holds it (a leaked reference). The
// interpreter's own modules, types and frames are left out there, and here.
bool is_orphan(const HeapGraph& g, ObjectIndex i) {
    const Snapshot& s = g.snapshot();
    if (g.root_reasons(i) != root_reason::kExternalRefs || g.unexplained_refs(i) != s.refcount[i]) return false;
    const std::string_view type = s.type_name(s.type[i]);
    return type != "builtins.module" && type != "builtins.type" && type != "builtins.frame";
}

TracebackId most_common(const std::unordered_map<std::uint32_t, std::uint64_t>& sites) {
    TracebackId best;
    std::uint64_t count = 0;
    for (auto [id, n] : sites)
        if (id != 0 && (n > count || (n == count && id < best.value))) {
            best = TracebackId(id);
            count = n;
        }
    return best;
}

void finish_held(const Snapshot& s, std::vector<HeldType>& held, std::size_t keep) {
    held.erase(std::remove_if(held.begin(), held.end(), [](const HeldType& h) { return h.count == 0; }), held.end());
    for (HeldType& h : held) h.name = std::string(s.type_name(h.type));
    sort_types(held, TypeOrder::BySize, [](const HeldType& h) -> const TypeStat& { return h; });
    if (held.size() > keep) held.resize(keep);
}

// One snapshot: MAT's accumulation points.
void big_objects(const HeapGraph& g, const RetainedSizes& sizes, const SuspectsOptions& o, SuspectsReport& r) {
    const Snapshot& s = g.snapshot();
    const std::uint32_t n = g.object_count();
    const auto threshold = static_cast<std::uint64_t>(static_cast<double>(r.heap_bytes) * o.big_share);
    std::vector<bool> big(n, false), big_below(n, false);
    for (ObjectIndex i = 0; i < n; ++i) {
        big[i] = sizes.retained[i] >= threshold && sizes.retained[i] > 0 && sizes.idom[i] != kNoObject;
        if (big[i] && sizes.idom[i] < n) big_below[sizes.idom[i]] = true;
    }
    ReachTree t = reach_tree(g);
    std::vector<std::uint32_t> owner(n, kNoObject);  // suspect row of the accumulation point above
    for (ObjectIndex i = 0; i < n; ++i) {
        if (!big[i] || big_below[i]) continue;
        ++r.candidates;
        owner[i] = static_cast<std::uint32_t>(r.suspects.size());
        Suspect sp;
        sp.kind = SuspectKind::Big;
        sp.type = s.type[i];
        sp.representative = sp.holder = i;
        sp.chain = chain_to(t, i, g.virtual_root());
        sp.retained = sizes.retained[i];
        sp.held.resize(s.types.size() + 1);
        r.suspects.push_back(std::move(sp));
    }
    for (ObjectIndex i : sizes.preorder) {  // each after its dominator
        if (i >= n) continue;
        if (owner[i] == kNoObject && sizes.idom[i] < n) owner[i] = owner[sizes.idom[i]];
        if (owner[i] == kNoObject) continue;
        Suspect& sp = r.suspects[owner[i]];
        if (i != sp.holder) ++sp.count;
        HeldType& h = sp.held[s.type[i].value];
        h.type = s.type[i];
        ++h.count;
        h.size += s.size[i];
        if (h.example == kNoObject) h.example = i;
    }
    for (Suspect& sp : r.suspects) finish_held(s, sp.held, o.held_types);
}

}  // namespace

SuspectsReport find_suspects(const HeapGraph& g, const RetainedSizes& sizes, const std::vector<const Snapshot*>& earlier,
                             const SuspectsOptions& o) {
    const Snapshot& s = g.snapshot();
    const std::uint32_t n = g.object_count();
    SuspectsReport r;
    r.snapshots = earlier.size() + 1;
    for (std::uint64_t size : s.size) r.heap_bytes += size;
    if (earlier.empty()) {
        big_objects(g, sizes, o, r);
    } else {
        const std::vector<bool> born = born_and_alive(s, earlier);
        const ReachTree t = reach_tree(g);
        const ObjectIndex top = g.virtual_root();
        std::unordered_map<std::string, std::uint32_t> row_of;
        std::vector<std::uint32_t> owner(n, kNoObject);
        std::vector<std::unordered_map<std::uint32_t, std::uint64_t>> sites;
        std::unordered_map<std::uint32_t, std::uint32_t> trash_row, orphan_row;  // type -> row
        for (ObjectIndex i = 0; i < n; ++i) {
            if (!born[i]) continue;
            ++r.candidates;
            std::uint32_t row;
            if (t.parent[i] == kNoObject) {  // no root reaches it: cyclic trash, per type
                auto [it, fresh] = trash_row.emplace(s.type[i].value, static_cast<std::uint32_t>(r.suspects.size()));
                row = it->second;
                if (fresh) {
                    Suspect sp;
                    sp.kind = SuspectKind::CyclicTrash;
                    sp.type = s.type[i];
                    sp.representative = i;
                    r.suspects.push_back(std::move(sp));
                    sites.emplace_back();
                }
                Suspect& sp = r.suspects[row];
                ++sp.count;
                sp.retained += s.size[i];
                ++sites[row][s.traceback[i].value];
                continue;
            }
            const ObjectIndex parent = t.parent[i];
            if (parent == top && is_orphan(g, i)) {  // held by C code only: per type
                auto [it, fresh] = orphan_row.emplace(s.type[i].value, static_cast<std::uint32_t>(r.suspects.size()));
                row = it->second;
                if (fresh) {
                    Suspect sp;
                    sp.kind = SuspectKind::Orphan;
                    sp.type = s.type[i];
                    sp.representative = i;
                    sp.held.resize(s.types.size() + 1);
                    r.suspects.push_back(std::move(sp));
                    sites.emplace_back();
                }
                Suspect& sp = r.suspects[row];
                owner[i] = row;
                ++sp.count;
                sp.retained += sizes.retained[i];
                if (sizes.retained[i] > sizes.retained[sp.representative]) sp.representative = i;
                ++sites[row][s.traceback[i].value];
                continue;
            }
            if (parent != top && born[parent]) continue;  // held by a born object: counted with it
            auto [it, fresh] = row_of.emplace(path_signature(s, t, i, top), static_cast<std::uint32_t>(r.suspects.size()));
            row = it->second;
            if (fresh) {
                Suspect sp;
                sp.type = s.type[i];
                sp.representative = i;
                sp.held.resize(s.types.size() + 1);
                r.suspects.push_back(std::move(sp));
                sites.emplace_back();
            }
            Suspect& sp = r.suspects[row];
            owner[i] = row;
            ++sp.count;
            sp.retained += sizes.retained[i];
            if (sizes.retained[i] > sizes.retained[sp.representative]) sp.representative = i;
            ++sites[row][s.traceback[i].value];
        }
        // What each member holds: born objects below it in the dominator tree.
        for (ObjectIndex i : sizes.preorder) {
            if (i >= n || !born[i]) continue;
            if (owner[i] == kNoObject && sizes.idom[i] < n) owner[i] = owner[sizes.idom[i]];
            if (owner[i] == kNoObject) continue;
            Suspect& sp = r.suspects[owner[i]];
            HeldType& h = sp.held[s.type[i].value];
            h.type = s.type[i];
            ++h.count;
            h.size += s.size[i];
            if (h.example == kNoObject) h.example = i;
        }
        // A born dict key belongs to its entry: fold the keys of a holder into the suspect
        // of the values it holds (4,000 int keys of a cache are not a leak of their own).
        std::unordered_map<ObjectIndex, std::size_t> values_of;  // holder -> its largest value suspect
        auto by_key = [&](const Suspect& sp) {
            return sp.kind == SuspectKind::Held && s.edge_kind[t.edge[sp.representative]] == EdgeKind::DictKey;
        };
        for (std::size_t k = 0; k < r.suspects.size(); ++k) {
            const Suspect& sp = r.suspects[k];
            if (sp.kind != SuspectKind::Held || by_key(sp)) continue;
            auto [it, fresh] = values_of.emplace(t.parent[sp.representative], k);
            if (!fresh && sp.retained > r.suspects[it->second].retained) it->second = k;
        }
        for (std::size_t k = 0; k < r.suspects.size(); ++k) {
            Suspect& keys = r.suspects[k];
            if (!by_key(keys)) continue;
            auto it = values_of.find(t.parent[keys.representative]);
            if (it == values_of.end()) continue;
            Suspect& values = r.suspects[it->second];
            values.retained += keys.retained;
            for (std::size_t h = 0; h < keys.held.size(); ++h) {
                values.held[h].type = keys.held[h].type.valid() ? keys.held[h].type : values.held[h].type;
                values.held[h].count += keys.held[h].count;
                values.held[h].size += keys.held[h].size;
                if (values.held[h].example == kNoObject) values.held[h].example = keys.held[h].example;
            }
            keys.count = 0;  // removed below
        }
        std::vector<bool> trash;
        for (std::size_t k = 0; k < r.suspects.size(); ++k) {
            Suspect& sp = r.suspects[k];
            sp.site = most_common(sites[k]);
            finish_held(s, sp.held, o.held_types);
            if (sp.kind == SuspectKind::CyclicTrash) {
                if (trash.empty()) {
                    trash.assign(n, false);
                    for (ObjectIndex i = 0; i < n; ++i) trash[i] = t.parent[i] == kNoObject;
                }
                sp.chain = shortest_cycle_through(g, sp.representative, trash);
            } else if (sp.kind == SuspectKind::Orphan) {
                sp.chain = {sp.representative};  // nothing in the snapshot leads to it
            } else {
                sp.chain = chain_to(t, sp.representative, top);
                sp.holder = sp.chain.size() > 1 ? sp.chain[sp.chain.size() - 2] : kNoObject;
            }
        }
    }
    r.suspects.erase(std::remove_if(r.suspects.begin(), r.suspects.end(), [](const Suspect& sp) { return sp.count == 0; }),
                     r.suspects.end());
    std::stable_sort(r.suspects.begin(), r.suspects.end(), [](const Suspect& a, const Suspect& b) {
        return a.retained != b.retained ? a.retained > b.retained : a.count > b.count;
    });
    return r;
}

}  // namespace heapdiff
