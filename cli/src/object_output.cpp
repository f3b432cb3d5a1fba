#include "object_output.h"

#include <cstdio>

#include "format_text.h"
#include "heapdiff/object_text.h"
#include "heapdiff/printable_text.h"

namespace heapdiff::cli {

std::string object_json_fields(const Snapshot& s, ObjectIndex i, const ObjectNames* names) {
    std::string out = "\"address\": \"" + hex_address(s.address[i]) + "\", \"type\": " +
                      json_string(s.type_name(s.type[i])) + ", \"label\": " + json_string(describe_object(s, i)) +
                      ", \"size\": " + std::to_string(s.size[i]);
    if (names) {
        std::string name = names->name(i);
        out += ", \"name\": " + (name.empty() ? std::string("null") : json_string(name));
    }
    return out;
}

Json object_json(const Snapshot& s, ObjectIndex i, const ObjectNames* names) {
    Json out = {{"address", hex_address(s.address[i])},
                {"type", s.type_name(s.type[i])},
                {"label", describe_object(s, i)},
                {"size", s.size[i]}};
    if (names) {
        std::string name = names->name(i);
        out["name"] = name.empty() ? Json(nullptr) : Json(name);
    }
    return out;
}

std::string object_text(const Snapshot& s, ObjectIndex i, const ObjectNames* names) {
    std::string out = printable(describe_object(s, i)) + " at " + hex_address(s.address[i]) + " (" + human_size(s.size[i]) + ")";
    if (std::string name = names ? names->name(i) : std::string(); !name.empty()) out += ", reachable as " + printable(name);
    return out;
}

std::string object_cell(const Snapshot& s, ObjectIndex i, const ObjectNames* names, std::size_t width) {
    std::string out = printable(describe_object(s, i));
    std::string name = names ? names->name(i) : std::string();
    if (name.empty()) return out;
    out.append(out.size() < width ? width - out.size() : 1, ' ');
    return out + printable(name);
}

std::string hop_line(const std::string& edge, const std::string& object, std::uint64_t address, bool arrow) {
    std::string line = (arrow ? "  -> " : "  ") + printable(edge);
    auto pad = [&](std::size_t width) { line.append(line.size() < width ? width - line.size() : 1, ' '); };
    pad(24);
    line += printable(object);
    pad(66);
    return line + hex_address(address);
}

std::string chain_json(const HeapGraph& g, const std::vector<ObjectIndex>& c) {
    std::string out = "[";
    for (std::size_t k = 0; k < c.size(); ++k) {
        out += std::string(k ? ", " : "") + "{" + object_json_fields(g.snapshot(), c[k]) + ", \"edge\": " +
               json_string(k ? g.label_between(c[k - 1], c[k]) : "") + "}";
    }
    return out + "]";
}

Json chain_json_value(const HeapGraph& g, const std::vector<ObjectIndex>& c) {
    Json out = Json::array();
    for (std::size_t k = 0; k < c.size(); ++k) {
        Json hop = object_json(g.snapshot(), c[k]);
        hop["edge"] = k ? g.label_between(c[k - 1], c[k]) : "";
        out.push_back(std::move(hop));
    }
    return out;
}

void print_chain_lines(const HeapGraph& g, const std::vector<ObjectIndex>& chain) {
    const Snapshot& s = g.snapshot();
    for (std::size_t k = 0; k < chain.size(); ++k) {
        std::string edge = k ? g.label_between(chain[k - 1], chain[k]) : "";
        std::printf("%s\n", hop_line(k ? (edge.empty() ? "(referent)" : edge) : "", describe_object(s, chain[k]),
                                     s.address[chain[k]], k > 0).c_str());
    }
}

void write_drawing(const Drawing& drawing, const std::string& path) {
    render_drawing(drawing, path);
    std::fflush(stdout);  // the chain or table printed before comes first in a shared log
    std::fprintf(stderr, "heapdiff: drew %zu objects into %s\n", drawing.nodes.size(), printable(path).c_str());
}

}  // namespace heapdiff::cli
