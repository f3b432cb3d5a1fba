#include "render/object_output.h"

#include <cstdio>

#include "render/format_text.h"
#include "heapdiff/object_text.h"
#include "heapdiff/printable_text.h"

namespace heapdiff::cli {

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

void write_drawing(const Drawing& drawing, const std::string& path) {
    render_drawing(drawing, path);
    std::fflush(stdout);  // the chain or table printed before comes first in a shared log
    std::fprintf(stderr, "heapdiff: drew %zu objects into %s\n", drawing.nodes.size(), printable(path).c_str());
}

}  // namespace heapdiff::cli
