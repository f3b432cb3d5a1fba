#include "render/format_text.h"


#include <cstdio>
#include <cstdlib>
#include <ctime>

#include <unistd.h>

namespace heapdiff::cli {

std::string signed_size(std::int64_t bytes) {
    if (bytes == 0) return "0 B";
    std::uint64_t magnitude = bytes < 0 ? 0 - static_cast<std::uint64_t>(bytes) : static_cast<std::uint64_t>(bytes);
    return (bytes < 0 ? "-" : "+") + human_size(magnitude);
}

std::string signed_count(std::int64_t n) {
    if (n == 0) return "0";
    std::uint64_t magnitude = n < 0 ? 0 - static_cast<std::uint64_t>(n) : static_cast<std::uint64_t>(n);
    return (n < 0 ? "-" : "+") + with_commas(magnitude);
}

std::string local_time(const SnapshotFacts& f) {
    if (!f.time) return "?";
    std::time_t t = static_cast<std::time_t>(*f.time);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::localtime(&t));
    return buf;
}

bool want_colour(bool no_colour_flag) {
    const char* no_color = std::getenv("NO_COLOR");
    if (no_colour_flag || (no_color && *no_color)) return false;
    return isatty(fileno(stdout)) != 0;
}

}  // namespace heapdiff::cli
