// The whole heapdiff command line: parse, run the command, turn every error into one
// line on stderr and an exit code (0 done, 1 a bad input, 2 a command line that cannot
// mean anything). main() is just this; the tests run it in-process.
#pragma once

#include <string>
#include <vector>

namespace heapdiff::cli {

int run_command_line(std::vector<std::string> args);  // the arguments after the program name

}  // namespace heapdiff::cli
