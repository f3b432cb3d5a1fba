// Every count option of every command (--top, --max-depth, --too-many, --paths,
// --frames, --min-size) is declared here, so they all take the same values: a whole
// number in decimal, from the option's minimum (0 unless said) up to what the field
// holds. Anything else (-1, 1.5, 0x10, "many", a number too large) is a usage error: one
// line naming the option, exit 2. What 0 means is each option's own, said in its help:
// for --top, every row.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <limits>
#include <string>

namespace heapdiff::cli {

// The validator's message for `text`, "" when it is a count in [minimum, maximum].
std::string count_error(const std::string& text, std::uint64_t minimum, std::uint64_t maximum);

template <typename Count>
CLI::Option* add_count_option(CLI::App* command, const std::string& name, Count& value, const std::string& help,
                              std::uint64_t minimum = 0) {
    static_assert(std::numeric_limits<Count>::is_integer && !std::numeric_limits<Count>::is_signed,
                  "counts are unsigned");
    CLI::Validator count(
        [minimum](std::string& text) { return count_error(text, minimum, std::numeric_limits<Count>::max()); },
        "INT>=" + std::to_string(minimum), "count");
    return command->add_option(name, value, help)->check(count);
}

// How many rows a --top of `top` shows out of `available`: all of them for 0.
inline std::size_t rows_to_show(std::size_t available, std::size_t top) {
    return top == 0 || top > available ? available : top;
}

}  // namespace heapdiff::cli
