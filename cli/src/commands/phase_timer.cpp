#include "commands/phase_timer.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace heapdiff::cli {
namespace {

double peak_rss_mib() {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    double kib = -1;
    while (std::fgets(line, sizeof line, f))
        if (std::strncmp(line, "VmHWM:", 6) == 0) kib = std::atof(line + 6);
    std::fclose(f);
    return kib < 0 ? -1 : kib / 1024;
}

}  // namespace

PhaseTimer::PhaseTimer() : enabled_(std::getenv("HEAPDIFF_TIMINGS") != nullptr), last_(std::chrono::steady_clock::now()) {}

void PhaseTimer::done(const char* phase) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    std::fprintf(stderr, "heapdiff-timing %s %.3f s peak %.1f MiB\n", phase,
                 std::chrono::duration<double>(now - last_).count(), peak_rss_mib());
    last_ = now;
}

}  // namespace heapdiff::cli
