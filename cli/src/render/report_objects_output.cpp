#include "render/report_objects_output.h"

#include <cstdio>

#include "render/format_text.h"
#include "heapdiff/object_text.h"
#include "heapdiff/printable_text.h"
#include "render/object_output.h"

namespace heapdiff::cli {

Json named_object_json(const Snapshot& s, const NamedObject& o) {
    if (o.object == kNoObject) return nullptr;
    Json out = object_json(s, o.object);
    out["name"] = o.name.empty() ? Json(nullptr) : Json(o.name);
    return out;
}

std::string named_object_text(const Snapshot& s, const NamedObject& o) {
    std::string out = object_text(s, o.object);
    if (!o.name.empty()) out += ", reachable as " + printable(o.name);
    return out;
}

std::string root_reasons_text(std::uint8_t reasons, std::uint64_t unexplained_refs) {
    std::string out;
    auto add = [&](const std::string& what) { out += (out.empty() ? "" : ", ") + what; };
    if (reasons & root_reason::kModule) add("in sys.modules");
    if (reasons & root_reason::kThreadFrame) add("a running frame");
    if (reasons & root_reason::kImmortal) add("immortal");
    if (reasons & root_reason::kExternalRefs)
        add(with_commas(unexplained_refs) + " reference" + (unexplained_refs == 1 ? "" : "s") +
            " from outside the snapshot (C code, the interpreter or a C stack)");
    return out;
}

Json labelled_chain_json(const Snapshot& s, const LabelledChain& chain) {
    Json out = Json::array();
    for (std::size_t k = 0; k < chain.objects.size(); ++k) {
        Json hop = object_json(s, chain.objects[k]);
        hop["edge"] = chain.edges[k];
        if (chain.left_out && k == chain.gap + 1) hop["left_out"] = chain.left_out;  // before this hop
        out.push_back(std::move(hop));
    }
    return out;
}

void print_labelled_chain(const Snapshot& s, const LabelledChain& chain) {
    for (std::size_t k = 0; k < chain.objects.size(); ++k) {
        if (chain.left_out && k == chain.gap + 1) std::printf("  %s\n", left_out_label(chain.left_out).c_str());
        const std::string& edge = chain.edges[k];
        std::printf("%s\n", hop_line(k ? (edge.empty() ? "(referent)" : edge) : "", describe_object(s, chain.objects[k]),
                                     s.address[chain.objects[k]], k > 0).c_str());
    }
}

}  // namespace heapdiff::cli
