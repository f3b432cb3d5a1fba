#include "render/refs_output.h"

#include <cstdio>

#include "render/format_text.h"
#include "heapdiff/object_text.h"
#include "render/object_output.h"
#include "render/report_objects_output.h"

namespace heapdiff::cli {

Json refs_json(const Snapshot& s, const RefsReport& r) {
    Json object = named_object_json(s, r.object);
    object["retained"] = r.retained;
    Json refs = Json::array();
    for (const Reference& ref : r.refs) {
        Json row = ref.object == kNoObject
                       ? Json{{"address", hex_address(ref.address)}, {"type", nullptr}, {"label", nullptr}, {"size", nullptr}}
                       : object_json(s, ref.object);
        row["edge"] = ref.edge;
        refs.push_back(std::move(row));
    }
    return {{"object", std::move(object)}, {"refs", std::move(refs)}};
}

void print_refs_text(const Snapshot& s, const RefsReport& r) {
    std::printf("%s, retains %s, refers to %zu object%s:\n", named_object_text(s, r.object).c_str(),
                human_size(r.retained).c_str(), r.refs.size(), r.refs.size() == 1 ? "" : "s");
    for (const Reference& ref : r.refs) {
        std::string what = ref.object == kNoObject ? "(not in the snapshot)" : describe_object(s, ref.object);
        std::printf("%s\n", hop_line(ref.edge.empty() ? "(referent)" : ref.edge, what, ref.address, true).c_str());
    }
}

}  // namespace heapdiff::cli
