#include "cli_run.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <stdexcept>

#include "commands/command_line.h"

namespace heapdiff::test {
namespace {

void flush_all() {
    std::cout.flush();
    std::cerr.flush();
    std::fflush(stdout);
    std::fflush(stderr);
}

// Points file descriptor `fd` at a temporary file until destroyed, then reads it back.
class Capture {
public:
    explicit Capture(int fd) : fd_(fd), file_(std::tmpfile()), saved_(dup(fd)) {
        if (!file_ || saved_ < 0 || dup2(fileno(file_), fd) < 0) throw std::runtime_error("cannot capture output");
    }
    ~Capture() {
        if (saved_ >= 0) {
            dup2(saved_, fd_);
            close(saved_);
        }
        if (file_) std::fclose(file_);
    }
    std::string text() {
        std::string out;
        std::rewind(file_);
        char buf[4096];
        for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, file_)) > 0;) out.append(buf, n);
        return out;
    }

private:
    int fd_;
    std::FILE* file_;
    int saved_;
};

}  // namespace

CliResult run_cli(const std::vector<std::string>& args) {
    CliResult r;
    flush_all();
    {
        Capture out(1), err(2);
        r.exit_code = cli::run_command_line(args);
        flush_all();
        r.out = out.text();
        r.err = err.text();
    }
    return r;
}

}  // namespace heapdiff::test
