#include "heapdiff/object_choice.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "heapdiff/error.h"
#include "heapdiff/garbage.h"
#include "heapdiff/object_text.h"
#include "heapdiff/orphans.h"
#include "heapdiff/retained.h"
#include "heapdiff/type_lookup.h"

namespace heapdiff {

namespace {

std::uint64_t parse_address(const std::string& text) {
    errno = 0;
    char* end = nullptr;
    unsigned long long v = std::strtoull(text.c_str(), &end, 0);
    if (text.empty() || text[0] == '-' || errno || !end || *end)
        throw usage_error("--address '" + text + "' is not an address (give it as 0x7f3a1c2b4e10 or in decimal)");
    return v;
}

ObjectIndex by_address(const Snapshot& s, const AddressIndex& index, const std::string& text, const std::string& path) {
    std::uint64_t a = parse_address(text);
    ObjectIndex i = index.find(a);
    if (i != kNoObject) return i;
    // Not an object's start: inside one, or near some.
    auto it = std::upper_bound(index.objects().begin(), index.objects().end(), a,
                               [&](std::uint64_t x, ObjectIndex o) { return x < s.address[o]; });
    std::string message = "no object at " + hex_address(a) + " in " + path;
    if (it != index.objects().begin()) {
        ObjectIndex before = *(it - 1);
        if (a < s.address[before] + s.size[before])
            throw not_found_error(message + "; it is inside the " + std::string(short_type_name(s.type_name(s.type[before]))) +
                        " at " + hex_address(s.address[before]) + " (offset " + std::to_string(a - s.address[before]) +
                        ")");
    }
    std::string near;
    auto describe = [&](ObjectIndex o) {
        return hex_address(s.address[o]) + " (" + std::string(short_type_name(s.type_name(s.type[o]))) + ")";
    };
    if (it != index.objects().begin()) near += describe(*(it - 1));
    if (it != index.objects().end()) near += (near.empty() ? "" : " and ") + describe(*it);
    throw not_found_error(message + (near.empty() ? " (it holds no objects)" : "; the nearest objects are " + near));
}

// --pick orphan / trash: the last of `found` that nothing in the snapshot refers to (held
// by C code: heapdiff orphans), or that only a reference cycle keeps (heapdiff garbage).
ObjectIndex last_of_kind(const HeapGraph& g, const std::vector<ObjectIndex>& found, const std::string& kind,
                         const std::string& type, const std::string& path) {
    std::vector<bool> marked(g.object_count(), false);
    if (kind == "orphan") {
        for (ObjectIndex i : orphan_objects(g.snapshot())) marked[i] = true;
    } else {
        const std::vector<bool> reached = reachable_from_roots(g);
        for (ObjectIndex i = 0; i < g.object_count(); ++i) marked[i] = !reached[i];
    }
    for (auto it = found.rbegin(); it != found.rend(); ++it)
        if (marked[*it]) return *it;
    const std::string what = kind == "orphan" ? "is an orphan (every one has a referrer in the snapshot)"
                                              : "is cyclic trash (the roots reach every one)";
    throw not_found_error("--pick " + kind + ": none of the " + std::to_string(found.size()) + " objects of type '" +
                          type + "' in " + path + " " + what + "; heapdiff " +
                          (kind == "orphan" ? "orphans" : "garbage") + " " + path + " lists those there are");
}

std::vector<ObjectIndex> by_type(const HeapGraph& g, const ObjectChoice& c, const std::string& path) {
    const Snapshot& s = g.snapshot();
    std::vector<TypeId> types = types_named(s, c.type);
    std::vector<ObjectIndex> found;
    if (!types.empty())
        for (ObjectIndex i = 0; i < s.object_count(); ++i)
            if (std::find(types.begin(), types.end(), s.type[i]) != types.end()) found.push_back(i);
    if (found.empty()) {
        throw not_found_error("no object of type '" + c.type + "' in " + path + similar_types_clause(s, c.type));
    }
    const std::string& p = c.pick;
    if (p == "orphan" || p == "trash") return {last_of_kind(g, found, p, c.type, path)};
    if (p == "all") return found;
    if (p == "last") return {found.back()};
    if (p == "first") return {found.front()};
    if (p == "largest") {
        const std::vector<std::uint64_t> retained = retained_sizes(g).retained;
        ObjectIndex best = found.front();
        for (ObjectIndex i : found)
            if (retained[i] >= retained[best]) best = i;  // the last of equals, like the default
        return {best};
    }
    errno = 0;
    char* end = nullptr;
    long long k = std::strtoll(p.c_str(), &end, 10);
    if (p.empty() || errno || !end || *end)
        throw usage_error("--pick '" + p + "': use last, first, largest, orphan, trash, all or an index");
    const long long count = static_cast<long long>(found.size());
    if (k < -count || k >= count)
        throw not_found_error("--pick " + p + ": there are " + std::to_string(found.size()) + " objects of type '" + c.type +
                    "' (valid: 0.." + std::to_string(count - 1) + ", or -1..-" + std::to_string(count) + ")");
    return {found[static_cast<std::size_t>(k < 0 ? count + k : k)]};
}

}  // namespace

std::vector<ObjectIndex> choose_objects(const HeapGraph& g, const ObjectChoice& c, const std::string& path) {
    if (c.type.empty() && c.addresses.empty()) throw usage_error("say which object: --type NAME or --address 0x...");
    if (!c.type.empty()) return by_type(g, c, path);
    std::vector<ObjectIndex> out;
    for (const std::string& a : c.addresses) out.push_back(by_address(g.snapshot(), g.index(), a, path));
    return out;
}

ObjectIndex choose_object(const HeapGraph& g, const ObjectChoice& c, const std::string& path) {
    if (c.pick == "all" && !c.type.empty()) throw usage_error("--pick all: this command takes one object");
    std::vector<ObjectIndex> chosen = choose_objects(g, c, path);
    if (chosen.size() != 1) throw usage_error("this command takes one object (one --address)");
    return chosen.front();
}

ObjectIndex object_at(const HeapGraph& g, const std::string& address, const std::string& path) {
    return by_address(g.snapshot(), g.index(), address, path);
}

}  // namespace heapdiff
