#include "heapdiff/graphviz_context.h"

#include <gvc.h>

#include <cstdlib>
#include <memory>

#include "heapdiff/error.h"

namespace heapdiff {
namespace {

// cgraph's API takes char* for strings it only reads; the casts live here.
char* mutable_chars(const char* s) { return const_cast<char*>(s); }
char* mutable_chars(const std::string& s) { return const_cast<char*>(s.c_str()); }

// The first line of the last message cgraph stored since clear_errors(), without the
// list of alternatives Graphviz appends ("... not recognized. Use one of: ..."), which
// is long and names plugins this build could not load anyway.
std::string last_error_line() {
    if (agerrors() < AGERR) return "";
    std::unique_ptr<char, decltype(&std::free)> text(aglasterr(), &std::free);
    if (!text) return "";
    std::string line(text.get());
    line = line.substr(0, line.find('\n'));
    std::string::size_type alternatives = line.find(" Use one of");
    if (alternatives != std::string::npos) line.erase(alternatives);
    while (!line.empty() && (line.back() == ' ' || line.back() == '.' || line.back() == ':')) line.pop_back();
    return line;
}

// One GVC_t with the installed plugins for the whole process, never freed (the OS
// reclaims it at exit). Graphviz 2.42's pango text layout caches a pointer to the last
// font name it measured, and that name belongs to the GVC_t: after gvFreeContext the
// next context's first label makes it read freed memory (ASan reports it in the second
// drawing of a process). A context that lives as long as the process keeps the name
// valid. Layouts are still freed after every picture.
GVC_t* shared_context() {
    static GVC_t* const gvc = gvContext();
    return gvc;
}

}  // namespace

// The error level is set before gvContext() so that even loading the plugin
// configuration cannot print to the CLI's stderr.
GraphvizContext::GraphvizContext(Plugins plugins)
    : previous_error_level_(agseterr(AGMAX)),
      owned_(plugins == Plugins::None),
      gvc_(owned_ ? gvContextPlugins(nullptr, 0) : shared_context()) {
    if (!gvc_) {
        agseterr(static_cast<agerrlevel_t>(previous_error_level_));
        throw Error("cannot start Graphviz (gvContext failed)");
    }
}

GraphvizContext::~GraphvizContext() {
    if (owned_) gvFreeContext(gvc_);
    agseterr(static_cast<agerrlevel_t>(previous_error_level_));
}

std::string GraphvizContext::version() const {
    const char* v = gvcVersion(gvc_);
    return v ? v : "";
}

void GraphvizContext::clear_errors() { agreseterrors(); }

void GraphvizContext::check(int rc, const std::string& what, const std::string& hint) {
    if (rc == 0) return;
    std::string message = what;
    std::string detail = last_error_line();
    if (!detail.empty()) message += ": " + detail;
    if (!hint.empty()) message += " (" + hint + ")";
    throw Error(message);
}

CGraph::CGraph(const std::string& name) {
    GraphvizContext::clear_errors();
    g_ = agopen(mutable_chars(name), Agdirected, nullptr);
    if (!g_) GraphvizContext::check(-1, "Graphviz cannot create a graph");
}

CGraph::~CGraph() { agclose(g_); }

Agnode_s* CGraph::add_node(const std::string& name) {
    GraphvizContext::clear_errors();
    Agnode_t* node = agnode(g_, mutable_chars(name), 1);
    if (!node) GraphvizContext::check(-1, "Graphviz cannot add node " + name);
    return node;
}

Agedge_s* CGraph::add_edge(Agnode_s* tail, Agnode_s* head) {
    GraphvizContext::clear_errors();
    Agedge_t* edge = agedge(g_, tail, head, nullptr, 1);
    if (!edge) GraphvizContext::check(-1, "Graphviz cannot add an edge");
    return edge;
}

namespace {

void set_default(Agraph_t* g, int kind, const char* name, const std::string& value) {
    GraphvizContext::clear_errors();
    if (!agattr(g, kind, mutable_chars(name), mutable_chars(value)))
        GraphvizContext::check(-1, std::string("Graphviz cannot set attribute ") + name);
}

void set_value(void* object, const char* name, const std::string& value) {
    GraphvizContext::clear_errors();
    // The default "" only matters if this declares the attribute; the defaults that
    // matter were declared with agattr first.
    int rc = agsafeset(object, mutable_chars(name), mutable_chars(value), mutable_chars(""));
    GraphvizContext::check(rc, std::string("Graphviz cannot set attribute ") + name);
}

}  // namespace

void CGraph::graph_default(const char* name, const std::string& value) { set_default(g_, AGRAPH, name, value); }
void CGraph::node_default(const char* name, const std::string& value) { set_default(g_, AGNODE, name, value); }
void CGraph::edge_default(const char* name, const std::string& value) { set_default(g_, AGEDGE, name, value); }
void CGraph::set(Agnode_s* node, const char* name, const std::string& value) { set_value(node, name, value); }
void CGraph::set(Agedge_s* edge, const char* name, const std::string& value) { set_value(edge, name, value); }

void CGraph::write(std::FILE* out) const {
    GraphvizContext::clear_errors();
    // agwrite returns the stdio result of its last write or flush (EOF on failure).
    GraphvizContext::check(agwrite(g_, out) == 0 ? 0 : -1, "Graphviz cannot write the graph");
}

GraphvizLayout::GraphvizLayout(GraphvizContext& context, CGraph& graph) : context_(context), graph_(graph) {
    GraphvizContext::clear_errors();
    int rc = gvLayout(context_.get(), graph_.get(), "dot");
    if (rc != 0) {
        gvFreeLayout(context_.get(), graph_.get());  // a failed layout may leave a partial one
        GraphvizContext::check(rc, "Graphviz cannot lay out the picture", "is libgvc6 installed with its plugins?");
    }
}

GraphvizLayout::~GraphvizLayout() { gvFreeLayout(context_.get(), graph_.get()); }

void GraphvizLayout::render(const std::string& format, std::FILE* out) {
    GraphvizContext::clear_errors();
    int rc = gvRender(context_.get(), graph_.get(), format.c_str(), out);
    GraphvizContext::check(rc, "Graphviz cannot write " + format, "is Graphviz's " + format + " plugin installed?");
}

namespace {

// gvRenderData's length is an unsigned int in Graphviz 2.x (Debian 12) and a size_t since
// 9.0 (Debian sid): take whichever this Graphviz declares.
template <typename Length>
int render_data(int (*render)(GVC_t*, graph_t*, const char*, char**, Length*), GVC_t* gvc, graph_t* graph,
                const char* format, char** data, std::size_t* length) {
    Length n = 0;
    int rc = render(gvc, graph, format, data, &n);
    *length = n;
    return rc;
}

}  // namespace

std::string GraphvizLayout::render_to_string(const std::string& format) {
    GraphvizContext::clear_errors();
    char* data = nullptr;
    std::size_t length = 0;
    int rc = render_data(&gvRenderData, context_.get(), graph_.get(), format.c_str(), &data, &length);
    std::string out = rc == 0 && data ? std::string(data, length) : std::string();
    if (data) gvFreeRenderData(data);
    GraphvizContext::check(rc, "Graphviz cannot write " + format, "is Graphviz's " + format + " plugin installed?");
    return out;
}

}  // namespace heapdiff
