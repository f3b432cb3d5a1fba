#include "json_output.h"

namespace heapdiff::cli {

std::string json_text(const Json& document) {
    return document.dump(-1, ' ', /*ensure_ascii=*/true, Json::error_handler_t::replace);
}

void print_json(const Json& document, std::FILE* out) {
    std::string text = json_text(document);
    text += '\n';
    std::fwrite(text.data(), 1, text.size(), out);
}

}  // namespace heapdiff::cli
