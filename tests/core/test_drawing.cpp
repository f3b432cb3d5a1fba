// Rendering drawings with Graphviz in-process: the format comes from the extension, the
// file appears complete or not at all, pictures never exceed kMaxPixels on a side, and
// labels reach the picture exactly as written (quotes, backslashes, '&', '<', lines).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "heapdiff/drawing.h"
#include "heapdiff/report_bounds.h"
#include "heapdiff/error.h"
#include "heapdiff/graphviz_context.h"
#include "temp_dir.h"

using namespace heapdiff;
using heapdiff::test::TempDir;

// LeakSanitizer's hook (unused without ASan). Fontconfig, which Graphviz's pango plugin
// starts on the first label it measures, keeps its configuration and font caches until
// exit: about 30 KB, the same after one picture or fifty, none of it ours.
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }
extern "C" const char* __lsan_default_options() { return "print_suppressions=0"; }

namespace {

std::string read_text(const std::string& path) {
    std::vector<std::uint8_t> bytes = test::read_file_bytes(path);
    return std::string(bytes.begin(), bytes.end());
}

std::vector<std::string> files_in(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename());
    return names;
}

// Width and height from a PNG's IHDR chunk, which the format puts first.
std::pair<std::uint32_t, std::uint32_t> png_size(const std::vector<std::uint8_t>& png) {
    static const std::uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    REQUIRE(png.size() > 24);
    for (int i = 0; i < 8; ++i) REQUIRE(png[i] == signature[i]);
    REQUIRE(std::string(png.begin() + 12, png.begin() + 16) == "IHDR");
    auto be32 = [&](std::size_t at) {
        return std::uint32_t(png[at]) << 24 | std::uint32_t(png[at + 1]) << 16 | std::uint32_t(png[at + 2]) << 8 |
               std::uint32_t(png[at + 3]);
    };
    return {be32(16), be32(20)};
}

// An SVG's width or height attribute, in points as Graphviz writes them ("1234pt").
double svg_points(const std::string& svg, const std::string& attribute) {
    std::string::size_type at = svg.find("<svg");
    REQUIRE(at != std::string::npos);
    at = svg.find(attribute + "=\"", at);
    REQUIRE(at != std::string::npos);
    std::string::size_type end = svg.find("pt\"", at);
    REQUIRE(end != std::string::npos);
    return std::stod(svg.substr(at + attribute.size() + 2, end - at - attribute.size() - 2));
}

Drawing small_drawing() {
    Drawing d;
    d.title = "referrers of DB";
    d.nodes.push_back({"module errorlog\n1.2 KiB", "0.3,0.6,1", false, false});
    d.nodes.push_back({"list len 5\n120 B", "0,0,0.8", false, false});
    d.nodes.push_back({"DB\n48 B", "0.6,0.6,1", true, false});
    d.nodes.push_back({"7 more referrers", "", false, true});
    d.edges.push_back({0, 1, "['_temp_logs']"});
    d.edges.push_back({1, 2, "[3]"});
    d.edges.push_back({3, 2, ""});
    return d;
}

// 300 nodes: a star (one referrer of 300 objects, very wide) or a chain (very tall).
// As big as a drawing may be (report_bounds.h), wider and taller than kMaxPixels laid out.
Drawing big_drawing(bool star) {
    Drawing d;
    d.nodes.push_back({"hub dict len 80\n2.5 KiB", "", true, false});
    for (std::uint32_t i = 1; i < std::uint32_t(kMaxDrawingNodes); ++i) {
        d.nodes.push_back({"Response " + std::to_string(i) + "\n1.0 KiB", "0,0,0.9", false, false});
        d.edges.push_back({star ? 0 : i - 1, i, "[" + std::to_string(i) + "]"});
    }
    return d;
}

// Runs f with file descriptor 2 pointing at a file, and returns what was written there.
template <class F>
std::string captured_stderr(const TempDir& dir, F f) {
    const std::string path = dir.file("stderr.txt");
    std::fflush(stderr);
    int saved = dup(2);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(saved >= 0);
    REQUIRE(fd >= 0);
    dup2(fd, 2);
    close(fd);
    try {
        f();
    } catch (...) {
        std::fflush(stderr);
        dup2(saved, 2);
        close(saved);
        throw;
    }
    std::fflush(stderr);
    dup2(saved, 2);
    close(saved);
    std::string text = read_text(path);
    std::filesystem::remove(path);
    return text;
}

}  // namespace

TEST_CASE("drawing: the format comes from the extension, in any case") {
    CHECK(drawing_format("out.png") == DrawingFormat::Png);
    CHECK(drawing_format("dir.v2/OUT.PNG") == DrawingFormat::Png);
    CHECK(drawing_format("/tmp/a.svg") == DrawingFormat::Svg);
    CHECK(drawing_format("a.dot") == DrawingFormat::Dot);
    CHECK(drawing_format("a.Gv") == DrawingFormat::Dot);
    for (const char* bad : {"a.jpg", "png", "a.png.bak", "dir.png/", "dir.png/picture", ".png", ""}) {
        CAPTURE(bad);
        CHECK_THROWS_WITH_AS(drawing_format(bad), doctest::Contains(".png, .svg, .dot or .gv"), Error);
    }
}

TEST_CASE("drawing: png is a real PNG, not scaled up when small") {
    TempDir dir;
    render_drawing(small_drawing(), dir.file("g.png"));
    auto [w, h] = png_size(test::read_file_bytes(dir.file("g.png")));
    CHECK(w > 50);
    CHECK(h > 50);
    CHECK(w < 1000);
    CHECK(h < 1000);
    CHECK(files_in(dir.path()) == std::vector<std::string>{"g.png"});  // no temporary left
}

TEST_CASE("drawing: an empty drawing is still a picture") {
    TempDir dir;
    Drawing empty;
    empty.title = "2 targets not drawn (node budget 0)";
    for (const char* name : {"e.png", "e.svg", "e.dot"}) render_drawing(empty, dir.file(name));
    png_size(test::read_file_bytes(dir.file("e.png")));
    CHECK(read_text(dir.file("e.svg")).find(">2 targets not drawn (node budget 0)</text>") != std::string::npos);
}

TEST_CASE("drawing: the biggest pictures (kMaxDrawingNodes) stay within kMaxPixels on both sides") {
    TempDir dir;
    for (bool star : {true, false}) {
        CAPTURE(star);
        render_drawing(big_drawing(star), dir.file("big.png"));
        auto [w, h] = png_size(test::read_file_bytes(dir.file("big.png")));
        CHECK(w <= std::uint32_t(kMaxPixels));
        CHECK(h <= std::uint32_t(kMaxPixels));
        CHECK(std::max(w, h) > std::uint32_t(kMaxPixels) * 9 / 10);  // scaled to fit, not shrunk further

        // SVG in points: at most kMaxPixels CSS pixels (96 per inch) = 0.75 points each.
        render_drawing(big_drawing(star), dir.file("big.svg"));
        const std::string svg = read_text(dir.file("big.svg"));
        CHECK(svg_points(svg, "width") <= kMaxPixels * 0.75);
        CHECK(svg_points(svg, "height") <= kMaxPixels * 0.75);
    }
}

TEST_CASE("drawing: svg holds the labels, escaped for XML") {
    TempDir dir;
    Drawing d = small_drawing();
    d.nodes[1].label = "str 'say \"hi\" & <b>'\nback\\slash \\N \\l &amp;";
    render_drawing(d, dir.file("g.svg"));
    const std::string svg = read_text(dir.file("g.svg"));
    CHECK(svg.rfind("<?xml", 0) == 0);
    CHECK(svg.find("<svg") != std::string::npos);
    CHECK(svg.find(">module errorlog</text>") != std::string::npos);
    CHECK(svg.find(">1.2 KiB</text>") != std::string::npos);
    CHECK(svg.find(">[&#39;_temp_logs&#39;]</text>") != std::string::npos);
    CHECK(svg.find(">7 more referrers</text>") != std::string::npos);
    CHECK(svg.find(">referrers of DB</text>") != std::string::npos);
    // Every character literal: no entity decoded, no Graphviz escape (\N, \l) applied,
    // and the '\n' of the label splits it into two lines.
    CHECK(svg.find(">str &#39;say &quot;hi&quot; &amp; &lt;b&gt;&#39;</text>") != std::string::npos);
    CHECK(svg.find(">back\\slash \\N \\l &amp;amp;</text>") != std::string::npos);
}

TEST_CASE("drawing: control characters and broken UTF-8 are shown, not passed to Graphviz") {
    TempDir dir;
    Drawing d;
    d.nodes.push_back({"tab\there\x01 \xC3\xA9t\xC3\xA9 bad\xFF!", "", false, false});
    d.nodes.push_back({std::string("nul\0end", 7), "", false, false});
    // An escape sequence, a C1 control (U+009B, CSI) and a right-to-left override.
    d.nodes.push_back({"\x1b[31mred \xC2\x9B" "1m \xE2\x80\xAE" "cba", "", false, false});
    render_drawing(d, dir.file("g.svg"));
    const std::string svg = read_text(dir.file("g.svg"));
    // Written as printable() writes them (printable_text.h).
    CHECK(svg.find(">tab\\there\\x01 \xC3\xA9t\xC3\xA9 bad\\xff!</text>") != std::string::npos);
    CHECK(svg.find(">nul\\x00end</text>") != std::string::npos);
    CHECK(svg.find(">\\x1b[31mred \\u009b1m \\u202ecba</text>") != std::string::npos);
    for (char c : svg) CHECK((static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t'));
}

TEST_CASE("drawing: .dot is the graph without a layout, labels quoted for DOT") {
    TempDir dir;
    Drawing d = small_drawing();
    d.nodes[1].label = "say \"hi\"\nback\\slash & <b>";
    render_drawing(d, dir.file("g.dot"));
    render_drawing(d, dir.file("g.gv"));
    const std::string dot = read_text(dir.file("g.dot"));
    CHECK(dot == read_text(dir.file("g.gv")));
    CHECK(dot.rfind("digraph heapdiff {", 0) == 0);
    CHECK(dot.find("n0\t[fillcolor=\"0.3,0.6,1\",\n\t\tlabel=\"module errorlog\\n1.2 KiB\"]") != std::string::npos);
    CHECK(dot.find("label=\"say \\\"hi\\\"\\nback\\\\slash &amp; <b>\"") != std::string::npos);
    CHECK(dot.find("n0 -> n1\t[label=\"['_temp_logs']\"]") != std::string::npos);
    CHECK(dot.find("n1 -> n2\t[label=\"[3]\"]") != std::string::npos);
    CHECK(dot.find("n3 -> n2\t[color=grey50,\n\t\tstyle=dashed]") != std::string::npos);
    CHECK(dot.find("penwidth=3") != std::string::npos);      // the target
    CHECK(dot.find("\"filled,dashed\"") != std::string::npos);  // the folded node
    CHECK(dot.find("size=\"41.50,41.50\"") != std::string::npos);  // `dot -Tpng` keeps the cap
    CHECK(dot.find("pos=") == std::string::npos);
    CHECK(dot.find("bb=") == std::string::npos);
}

TEST_CASE("drawing: the same drawing gives the same file") {
    TempDir dir;
    render_drawing(big_drawing(false), dir.file("a.svg"));
    render_drawing(big_drawing(false), dir.file("b.svg"));
    CHECK(read_text(dir.file("a.svg")) == read_text(dir.file("b.svg")));
}

TEST_CASE("drawing: failures throw one line and leave no file") {
    TempDir dir;
    test::write_file_bytes(dir.file("plain"), {'x'});

    CHECK_THROWS_WITH_AS(render_drawing(small_drawing(), dir.file("g.jpg")), doctest::Contains(".png, .svg"), Error);
    CHECK_THROWS_WITH_AS(render_drawing(small_drawing(), dir.file("missing/g.png")),
                         ("cannot write " + dir.file("missing/g.png") + ": No such file or directory").c_str(),
                         Error);
    CHECK_THROWS_WITH_AS(render_drawing(small_drawing(), dir.file("plain/g.svg")),
                         doctest::Contains("Not a directory"), Error);
    // A name that is a directory is refused before anything is written.
    std::filesystem::create_directory(dir.file("taken.png"));
    CHECK_THROWS_WITH_AS(render_drawing(small_drawing(), dir.file("taken.png")),
                         doctest::Contains("it exists and is a directory"), Error);

    Drawing broken = small_drawing();
    broken.edges.push_back({0, 9, "dangling"});
    CHECK_THROWS_WITH_AS(render_drawing(broken, dir.file("g.png")), doctest::Contains("node 9 of 4"), Error);

    std::vector<std::string> left = files_in(dir.path());
    std::sort(left.begin(), left.end());
    CHECK(left == std::vector<std::string>{"plain", "taken.png"});
}

TEST_CASE("drawing: a symlink at the target is refused, never followed (PendingFile, safe_files)") {
    TempDir dir;
    std::filesystem::create_symlink(dir.file("real.dot"), dir.file("link.dot"));
    CHECK_THROWS_WITH_AS(render_drawing(small_drawing(), dir.file("link.dot")),
                         doctest::Contains("it exists and is a symbolic link"), Error);
    CHECK(std::filesystem::is_symlink(dir.file("link.dot")));
    CHECK_FALSE(std::filesystem::exists(dir.file("real.dot")));
    CHECK(files_in(dir.path()) == std::vector<std::string>{"link.dot"});
}

TEST_CASE("drawing: a failed drawing leaves an older file of that name as it was") {
    TempDir dir;
    test::write_file_bytes(dir.file("g.svg"), {'o', 'l', 'd'});
    Drawing broken = small_drawing();
    broken.edges.push_back({7, 0, ""});
    CHECK_THROWS_AS(render_drawing(broken, dir.file("g.svg")), Error);
    CHECK(read_text(dir.file("g.svg")) == "old");
    render_drawing(small_drawing(), dir.file("g.svg"));
    CHECK(read_text(dir.file("g.svg")).rfind("<?xml", 0) == 0);
    CHECK(files_in(dir.path()).size() == 1);
}

TEST_CASE("drawing: Graphviz's warnings stay off stderr") {
    TempDir dir;
    Drawing d = small_drawing();
    d.nodes[0].fill_colour = "no-such-colour";  // Graphviz warns, and draws it anyway
    std::string err = captured_stderr(dir, [&] { render_drawing(d, dir.file("g.png")); });
    CHECK(err == "");
    png_size(test::read_file_bytes(dir.file("g.png")));
}

TEST_CASE("drawing: missing Graphviz plugins are an Error naming what is missing") {
    GraphvizContext none(GraphvizContext::Plugins::None);
    CGraph graph("g");
    graph.add_node("a");
    CHECK_THROWS_WITH_AS(GraphvizLayout(none, graph),
                         "Graphviz cannot lay out the picture: Layout type: \"dot\" not recognized "
                         "(is libgvc6 installed with its plugins?)",
                         Error);

    GraphvizContext installed;
    GraphvizLayout layout(installed, graph);
    TempDir dir;
    std::FILE* out = std::fopen(dir.file("x").c_str(), "wb");
    REQUIRE(out);
    CHECK_THROWS_WITH_AS(layout.render("nosuchformat", out),
                         "Graphviz cannot write nosuchformat: renderer for nosuchformat is unavailable "
                         "(is Graphviz's nosuchformat plugin installed?)",
                         Error);
    std::fclose(out);
}
