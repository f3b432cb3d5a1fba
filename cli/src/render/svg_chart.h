// A line chart as an inline <svg>: one line per series over the snapshots, so the page
// needs no script and no library to show a trend. Each point carries a <title> with its
// exact value (a tooltip in every browser).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace heapdiff::cli {

struct ChartSeries {
    std::string name;                   // heap text: escaped by the chart
    std::vector<std::uint64_t> values;  // one per x position
    bool missing_is_gap = false;        // values of kMissing are left out (RSS not read)
};
constexpr std::uint64_t kMissing = UINT64_MAX;

struct LineChart {
    std::string title;
    std::vector<std::string> x_labels;  // "#1", "#2" ...
    std::vector<ChartSeries> series;
    std::function<std::string(std::uint64_t)> format;  // axis and tooltip values
};

std::string line_chart_svg(const LineChart& chart);

// A stacked bar chart: one bar per x position, one segment per series (its value at that
// position), so the parts of a whole (RSS by category) read at a glance.
struct StackedBars {
    std::string title;
    std::vector<std::string> x_labels;
    std::vector<ChartSeries> series;  // kMissing is not used: a missing part is 0
    std::function<std::string(std::uint64_t)> format;
};

std::string stacked_bars_svg(const StackedBars& chart);

}  // namespace heapdiff::cli
