// Runs the heapdiff command line in-process (run_command_line, what main() runs) with
// stdout and stderr captured, so the tests can hold every command to its output and
// exit code without a child process.
#pragma once

#include <string>
#include <vector>

namespace heapdiff::test {

struct CliResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

CliResult run_cli(const std::vector<std::string>& args);

}  // namespace heapdiff::test
