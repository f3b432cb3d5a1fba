#include "heapdiff/drawing.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "heapdiff/error.h"
#include "heapdiff/graphviz_context.h"
#include "heapdiff/pending_file.h"
#include "heapdiff/printable_text.h"
#include "heapdiff/report_bounds.h"

namespace heapdiff {
namespace {

// ---- labels ---------------------------------------------------------------------

// Our labels are literal text; Graphviz reads a label as an "escString" (\n \l \r end
// lines, \N \G \E \T \H \L are replaced by names, any other \x is x) and, with UTF-8,
// decodes HTML entities (&amp; becomes &). So: backslashes doubled, '&' written as
// &amp;, each '\n' of ours becomes \n (a centred line break, as objgraph draws). Any
// other control character, and bytes that are not UTF-8 (Graphviz would warn and re-read
// the whole label as Latin-1), are written as printable() writes them (\r, \x1b,
// \u0085), backslash doubled. Quotes need nothing: agsafeset stores the value as is and
// agwrite quotes it in DOT files.
std::string graphviz_label(const std::string& text) {
    std::string out;
    out.reserve(text.size() + 8);
    auto literal = [&](std::string_view piece) {
        for (char c : piece) {
            if (c == '\\') out += "\\\\";
            else if (c == '&') out += "&amp;";
            else out += c;
        }
    };
    for (std::size_t i = 0; i < text.size();) {
        const Utf8Char ch = utf8_char_at(text, i);
        const std::size_t n = ch.length ? ch.length : 1;
        if (ch.length && ch.code_point == '\n') out += "\\n";
        else if (ch.length == 0 || needs_escape(ch.code_point)) literal(printable(std::string_view(text).substr(i, n)));
        else literal(std::string_view(text).substr(i, n));
        i += n;
    }
    return out;
}

// ---- the graph ------------------------------------------------------------------

// The size cap: Graphviz scales a drawing larger than `size` (inches) down to fit, and
// a bitmap has dpi pixels per inch. A little under kMaxPixels leaves room for the pad
// Graphviz adds around the drawing. SVG is measured in points (72 per inch), so at 72
// dpi its width and height in points stay under kMaxPixels * 0.75 and browsers (96 CSS
// pixels per inch) show it no bigger than the PNG.
constexpr int kBitmapDpi = 96;
constexpr int kSvgDpi = 72;
constexpr double kMaxInches = (kMaxPixels - 16) / static_cast<double>(kBitmapDpi);

const char* const kFont = "Helvetica";  // objgraph's look; fontconfig picks the nearest sans
const char* const kFoldedGrey = "grey50";

void declare_defaults(CGraph& g, const Drawing& drawing, DrawingFormat format) {
    char size[64];
    std::snprintf(size, sizeof size, "%.2f,%.2f", kMaxInches, kMaxInches);
    g.graph_default("size", size);
    g.graph_default("dpi", std::to_string(format == DrawingFormat::Svg ? kSvgDpi : kBitmapDpi));
    g.graph_default("charset", "UTF-8");
    g.graph_default("fontname", kFont);
    g.graph_default("fontsize", "10");
    g.graph_default("labelloc", "b");
    g.graph_default("label", graphviz_label(drawing.title));
    g.graph_default("nodesep", "0.25");
    g.graph_default("ranksep", "0.45");

    g.node_default("shape", "box");
    g.node_default("style", "filled");
    g.node_default("fillcolor", "white");
    g.node_default("color", "black");
    g.node_default("penwidth", "1");
    g.node_default("fontname", kFont);
    g.node_default("fontsize", "10");
    g.node_default("fontcolor", "black");
    g.node_default("label", "\\N");

    g.edge_default("fontname", kFont);
    g.edge_default("fontsize", "9");
    g.edge_default("label", "");
    g.edge_default("style", "solid");
    g.edge_default("color", "black");
    g.edge_default("arrowsize", "0.7");
}

// Where every drawing reaches Graphviz: a Drawing bigger than the budget is refused
// before anything is laid out, whoever built it (report_bounds.h).
void check_budget(const Drawing& drawing) {
    if (drawing.nodes.size() > kMaxDrawingNodes || drawing.edges.size() > kMaxDrawingEdges)
        throw Error("internal error: a drawing of " + std::to_string(drawing.nodes.size()) + " nodes and " +
                    std::to_string(drawing.edges.size()) + " edges is over the budget of " +
                    std::to_string(kMaxDrawingNodes) + " nodes");
}

void build_graph(CGraph& g, const Drawing& drawing) {
    check_budget(drawing);
    std::vector<Agnode_s*> nodes;
    nodes.reserve(drawing.nodes.size());
    for (std::size_t i = 0; i < drawing.nodes.size(); ++i) {
        const DrawingNode& node = drawing.nodes[i];
        Agnode_s* n = g.add_node("n" + std::to_string(i));
        g.set(n, "label", graphviz_label(node.label));
        if (!node.fill_colour.empty()) g.set(n, "fillcolor", node.fill_colour);
        if (node.target) {
            g.set(n, "color", "red");
            g.set(n, "penwidth", "3");
        }
        if (node.folded) {
            g.set(n, "style", "filled,dashed");
            g.set(n, "color", kFoldedGrey);
            g.set(n, "fontcolor", "grey25");
            g.set(n, "fontsize", "9");
            if (node.fill_colour.empty()) g.set(n, "fillcolor", "grey95");
        }
        nodes.push_back(n);
    }
    for (const DrawingEdge& edge : drawing.edges) {
        if (edge.from >= nodes.size() || edge.to >= nodes.size())
            throw Error("internal error: a drawing's edge names node " +
                        std::to_string(edge.from >= nodes.size() ? edge.from : edge.to) + " of " +
                        std::to_string(nodes.size()));
        Agedge_s* e = g.add_edge(nodes[edge.from], nodes[edge.to]);
        if (!edge.label.empty()) g.set(e, "label", graphviz_label(edge.label));
        if (drawing.nodes[edge.from].folded || drawing.nodes[edge.to].folded) {
            g.set(e, "style", "dashed");
            g.set(e, "color", kFoldedGrey);
        }
    }
}

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

}  // namespace

DrawingFormat drawing_format(const std::string& path) {
    const std::string name = base_name(path);
    std::string::size_type dot = name.rfind('.');
    const std::string extension = dot == std::string::npos || dot == 0 ? "" : lower(name.substr(dot));
    if (extension == ".png") return DrawingFormat::Png;
    if (extension == ".svg") return DrawingFormat::Svg;
    if (extension == ".dot" || extension == ".gv") return DrawingFormat::Dot;
    throw usage_error("cannot draw to " + path + ": name the picture .png, .svg, .dot or .gv");
}

void render_drawing(const Drawing& drawing, const std::string& path) {
    const DrawingFormat format = drawing_format(path);
    GraphvizContext context;  // also keeps Graphviz's warnings off stderr
    CGraph graph("heapdiff");
    declare_defaults(graph, drawing, format);
    build_graph(graph, drawing);

    PendingFile file(path);
    if (format == DrawingFormat::Dot) {
        // The graph as we built it, without a layout: small and readable, and anyone can
        // lay it out again with any engine or Graphviz version (coordinates from ours
        // would depend on this machine's fonts). objgraph's .dot files are the same.
        graph.write(file.get());
    } else {
        GraphvizLayout layout(context, graph);
        layout.render(format == DrawingFormat::Png ? "png" : "svg", file.get());
    }
    file.commit();
}

std::string drawing_svg(const Drawing& drawing) {
    GraphvizContext context;
    CGraph graph("heapdiff");
    declare_defaults(graph, drawing, DrawingFormat::Svg);
    build_graph(graph, drawing);
    GraphvizLayout layout(context, graph);
    std::string svg = layout.render_to_string("svg");
    const std::size_t start = svg.find("<svg");
    return start == std::string::npos ? svg : svg.substr(start);
}

}  // namespace heapdiff
