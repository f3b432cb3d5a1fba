#include "render/html_text.h"

#include "heapdiff/printable_text.h"

namespace heapdiff::cli {

std::string html_text(std::string_view heap_text) {
    const std::string text = printable(heap_text);
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

}  // namespace heapdiff::cli
