// Phase timings for the benchmarks: with HEAPDIFF_TIMINGS set in the environment, each
// phase's wall time and the process's peak RSS so far go to stderr as one line
// ("heapdiff-timing load 1.234 s peak 812.0 MiB"), so bench/ can tell loading from
// analysis without a profiler. Silent otherwise.
#pragma once

#include <chrono>

namespace heapdiff::cli {

class PhaseTimer {
public:
    PhaseTimer();
    void done(const char* phase);  // since the previous phase (or construction)

private:
    bool enabled_;
    std::chrono::steady_clock::time_point last_;
};

}  // namespace heapdiff::cli
