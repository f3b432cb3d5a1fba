#include "render/json_output.h"

#include <utility>

namespace heapdiff::cli {
namespace {

// Fields of heapdiff's own sentences and of the caller's paths, composed of bounded pieces:
// written whole (a note about the unreferenced search is longer than kMaxShownChars).
bool whole_field(const std::string& key) {
    static const char* const kWhole[] = {"message", "warnings", "notes", "next", "snapshots", "search", "findings",
                                         "unreferenced_search"};
    for (const char* k : kWhole)
        if (key == k) return true;
    return false;
}

// Shortens the string values of `value` in place; returns whether `value` itself (a
// string) was shortened, so that the object holding it can say which fields were.
bool shorten_strings(Json& value, std::size_t max_chars) {
    if (value.is_string()) {
        const std::string& text = value.get_ref<const std::string&>();
        if (text.size() <= max_chars) return false;  // fewer bytes than allowed characters
        std::string cut = shortened(text, max_chars);
        if (cut.size() == text.size() && cut == text) return false;
        value = std::move(cut);
        return true;
    }
    if (value.is_array()) {
        for (Json& item : value) shorten_strings(item, max_chars);
        return false;
    }
    if (value.is_object()) {
        Json truncated = Json::array();
        for (auto it = value.begin(); it != value.end(); ++it)
            if (!whole_field(it.key()) && shorten_strings(it.value(), max_chars)) truncated.push_back(it.key());
        if (!truncated.empty()) value["truncated"] = std::move(truncated);
    }
    return false;
}

}  // namespace

std::string json_text(const Json& document, std::size_t max_chars) {
    if (max_chars == kWholeText) return document.dump(-1, ' ', /*ensure_ascii=*/true, Json::error_handler_t::replace);
    Json bounded = document;
    shorten_strings(bounded, max_chars);
    return bounded.dump(-1, ' ', /*ensure_ascii=*/true, Json::error_handler_t::replace);
}

void print_json(const Json& document, std::FILE* out, std::size_t max_chars) {
    std::string text = json_text(document, max_chars);
    text += '\n';
    std::fwrite(text.data(), 1, text.size(), out);
}

}  // namespace heapdiff::cli
