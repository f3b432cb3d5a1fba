// heapdiff: the command line is run_command_line(), shared with the tests.
#include <string>
#include <vector>

#include "commands/command_line.h"

int main(int argc, char** argv) {
    return heapdiff::cli::run_command_line(std::vector<std::string>(argv + 1, argv + argc));
}
