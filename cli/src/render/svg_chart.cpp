#include "render/svg_chart.h"

#include <algorithm>
#include <cstdio>

#include "render/html_text.h"

namespace heapdiff::cli {
namespace {

// Colour-blind-safe (Okabe-Ito), in the order series come.
const char* const kColours[] = {"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442"};

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

}  // namespace

std::string line_chart_svg(const LineChart& chart) {
    const double width = 640, height = 260, left = 90, right = 20, top = 30, bottom = 40;
    const double plot_w = width - left - right, plot_h = height - top - bottom;
    std::uint64_t max = 1;
    for (const ChartSeries& s : chart.series)
        for (std::uint64_t v : s.values)
            if (v != kMissing) max = std::max(max, v);
    const std::size_t n = chart.x_labels.size();
    auto x_at = [&](std::size_t k) { return left + (n > 1 ? plot_w * static_cast<double>(k) / static_cast<double>(n - 1) : plot_w / 2); };
    auto y_at = [&](std::uint64_t v) { return top + plot_h * (1.0 - static_cast<double>(v) / static_cast<double>(max)); };

    std::string svg = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + number(width) + " " +
                      number(height + 22.0 * static_cast<double>((chart.series.size() + 2) / 3)) + "\" role=\"img\">";
    svg += "<title>" + html_text(chart.title) + "</title>";
    svg += "<text x=\"" + number(left) + "\" y=\"18\" class=\"chart-title\">" + html_text(chart.title) + "</text>";
    for (int tick = 0; tick <= 4; ++tick) {  // horizontal grid with values
        const std::uint64_t v = max / 4 * static_cast<std::uint64_t>(tick);
        const std::string y = number(y_at(v));
        svg += "<line x1=\"" + number(left) + "\" x2=\"" + number(width - right) + "\" y1=\"" + y + "\" y2=\"" + y +
               "\" class=\"grid\"/><text x=\"" + number(left - 6) + "\" y=\"" + y + "\" class=\"y-label\">" +
               html_text(chart.format(v)) + "</text>";
    }
    for (std::size_t k = 0; k < n; ++k)
        svg += "<text x=\"" + number(x_at(k)) + "\" y=\"" + number(height - bottom + 18) + "\" class=\"x-label\">" +
               html_text(chart.x_labels[k]) + "</text>";
    for (std::size_t s = 0; s < chart.series.size(); ++s) {
        const ChartSeries& series = chart.series[s];
        const std::string colour = kColours[s % (sizeof kColours / sizeof *kColours)];
        std::string points, dots;
        for (std::size_t k = 0; k < series.values.size() && k < n; ++k) {
            if (series.values[k] == kMissing) continue;
            const std::string x = number(x_at(k)), y = number(y_at(series.values[k]));
            points += (points.empty() ? "" : " ") + x + "," + y;
            dots += "<circle cx=\"" + x + "\" cy=\"" + y + "\" r=\"3.5\" fill=\"" + colour + "\"><title>" +
                    html_text(series.name) + " in " + html_text(chart.x_labels[k]) + ": " +
                    html_text(chart.format(series.values[k])) + "</title></circle>";
        }
        svg += "<polyline fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"2\" points=\"" + points + "\"/>" + dots;
        // The legend: three entries a row under the plot.
        const double lx = left + 180.0 * static_cast<double>(s % 3), ly = height + 22.0 * static_cast<double>(s / 3);
        std::string name = series.name.size() > 28 ? series.name.substr(0, 27) + "\xe2\x80\xa6" : series.name;
        svg += "<rect x=\"" + number(lx) + "\" y=\"" + number(ly - 10) + "\" width=\"12\" height=\"12\" fill=\"" + colour +
               "\"/><text x=\"" + number(lx + 16) + "\" y=\"" + number(ly) + "\" class=\"legend\">" + html_text(name) +
               "<title>" + html_text(series.name) + "</title></text>";
    }
    return svg + "</svg>";
}

std::string stacked_bars_svg(const StackedBars& chart) {
    const double width = 640, height = 260, left = 90, right = 20, top = 30, bottom = 40;
    const double plot_w = width - left - right, plot_h = height - top - bottom;
    const std::size_t n = chart.x_labels.size();
    std::uint64_t max = 1;
    for (std::size_t k = 0; k < n; ++k) {
        std::uint64_t total = 0;
        for (const ChartSeries& s : chart.series)
            if (k < s.values.size()) total += s.values[k];
        max = std::max(max, total);
    }
    const double slot = n ? plot_w / static_cast<double>(n) : plot_w, bar = std::min(80.0, slot * 0.6);
    auto height_of = [&](std::uint64_t v) { return plot_h * static_cast<double>(v) / static_cast<double>(max); };

    std::string svg = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + number(width) + " " +
                      number(height + 22.0 * static_cast<double>((chart.series.size() + 2) / 3)) + "\" role=\"img\">";
    svg += "<title>" + html_text(chart.title) + "</title>";
    svg += "<text x=\"" + number(left) + "\" y=\"18\" class=\"chart-title\">" + html_text(chart.title) + "</text>";
    for (int tick = 0; tick <= 4; ++tick) {
        const std::uint64_t v = max / 4 * static_cast<std::uint64_t>(tick);
        const std::string y = number(top + plot_h - height_of(v));
        svg += "<line x1=\"" + number(left) + "\" x2=\"" + number(width - right) + "\" y1=\"" + y + "\" y2=\"" + y +
               "\" class=\"grid\"/><text x=\"" + number(left - 6) + "\" y=\"" + y + "\" class=\"y-label\">" +
               html_text(chart.format(v)) + "</text>";
    }
    for (std::size_t k = 0; k < n; ++k) {
        const double x = left + slot * (static_cast<double>(k) + 0.5) - bar / 2;
        double y = top + plot_h;
        for (std::size_t s = 0; s < chart.series.size(); ++s) {
            const ChartSeries& series = chart.series[s];
            const std::uint64_t v = k < series.values.size() ? series.values[k] : 0;
            if (v == 0) continue;
            const double h = height_of(v);
            y -= h;
            svg += "<rect x=\"" + number(x) + "\" y=\"" + number(y) + "\" width=\"" + number(bar) + "\" height=\"" +
                   number(h) + "\" fill=\"" + kColours[s % (sizeof kColours / sizeof *kColours)] + "\"><title>" +
                   html_text(series.name) + " in " + html_text(chart.x_labels[k]) + ": " + html_text(chart.format(v)) +
                   "</title></rect>";
        }
        svg += "<text x=\"" + number(x + bar / 2) + "\" y=\"" + number(height - bottom + 18) + "\" class=\"x-label\">" +
               html_text(chart.x_labels[k]) + "</text>";
    }
    for (std::size_t s = 0; s < chart.series.size(); ++s) {
        const ChartSeries& series = chart.series[s];
        const double lx = left + 180.0 * static_cast<double>(s % 3), ly = height + 22.0 * static_cast<double>(s / 3);
        std::string name = series.name.size() > 28 ? series.name.substr(0, 27) + "\xe2\x80\xa6" : series.name;
        svg += "<rect x=\"" + number(lx) + "\" y=\"" + number(ly - 10) + "\" width=\"12\" height=\"12\" fill=\"" +
               kColours[s % (sizeof kColours / sizeof *kColours)] + "\"/><text x=\"" + number(lx + 16) + "\" y=\"" +
               number(ly) + "\" class=\"legend\">" + html_text(name) + "<title>" + html_text(series.name) + "</title></text>";
    }
    return svg + "</svg>";
}

}  // namespace heapdiff::cli
