#include "commands/count_option.h"

namespace heapdiff::cli {

std::string count_error(const std::string& text, std::uint64_t minimum, std::uint64_t maximum) {
    const std::string expected = "a whole number of at least " + std::to_string(minimum);
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
        return "'" + text + "' is not a count: give " + expected;
    // Compared as digits, so that no value can wrap around on its way to the field.
    const std::string digits = text.substr(std::min(text.find_first_not_of('0'), text.size() - 1));
    const std::string max_digits = std::to_string(maximum);
    if (digits.size() > max_digits.size() || (digits.size() == max_digits.size() && digits > max_digits))
        return "'" + text + "' is too large (at most " + max_digits + ")";
    if (std::stoull(digits) < minimum) return "'" + text + "' is too small: give " + expected;
    return {};
}

}  // namespace heapdiff::cli
