// A picture of part of a heap, independent of how it was chosen: nodes with a label and
// a fill colour, edges with a label. Rendered in-process with Graphviz (cgraph + gvc,
// "dot" layout), never by running the dot program.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace heapdiff {

// Labels are text to show literally. Heap text in them (descriptions, edge labels) is
// escaped with printable() (printable_text.h) by whoever makes the drawing, so that
// '\n' is only ever the line break between a node's lines; render_drawing escapes any
// other control character it still finds the same way.
struct DrawingNode {
    std::string label;        // lines separated by '\n': type and value, size, retained size
    std::string fill_colour;  // a Graphviz colour ("#a0e0a0", "0.3,0.5,1.0"); empty: white
    bool target = false;      // drawn with a thick red border
    bool folded = false;      // an "N more" node standing for referrers left out
};

struct DrawingEdge {
    std::uint32_t from = 0, to = 0;  // node positions
    std::string label;
};

struct Drawing {
    std::string title;  // shown under the picture
    std::vector<DrawingNode> nodes;
    std::vector<DrawingEdge> edges;
};

enum class DrawingFormat { Png, Svg, Dot };

// From the file name's extension (.png, .svg, .dot or .gv); anything else is an Error
// naming the extensions that work.
DrawingFormat drawing_format(const std::string& path);

// Lays out and writes the drawing. The file appears complete under its name or not at
// all (written beside it, then renamed). The picture's size is capped (at most
// kMaxPixels on a side, scaled down to fit) so a picture stays viewable. A drawing of more
// than kMaxDrawingNodes nodes or kMaxDrawingEdges edges (report_bounds.h) is an Error,
// before Graphviz sees it: the selections (neighbourhood.h) never make one.
constexpr int kMaxPixels = 4000;
void render_drawing(const Drawing& drawing, const std::string& path);

// The drawing laid out as an <svg> element, without the XML prologue, to go inside an
// HTML page. Graphviz escapes the labels' text for XML. The same budget.
std::string drawing_svg(const Drawing& drawing);

}  // namespace heapdiff
