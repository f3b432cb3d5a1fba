// The thin C++ layer over Graphviz's C API, so the rest of the code sees no char* casts,
// no return codes and no stderr chatter:
//   - GraphvizContext gives access to a GVC_t (plugins, layout engines; one for the
//     whole process, see graphviz_context.cpp) and, while it lives, keeps Graphviz's
//     messages off stderr (agseterr(AGMAX): cgraph stores them instead); the last
//     error of a failing call goes into the Error's message.
//   - CGraph owns a cgraph directed graph (agopen ... agclose).
//   - GraphvizLayout is one "dot" layout of a CGraph, freed before the graph closes.
// Every gv/ag call's result is checked here and turned into a heapdiff::Error.
// Graphviz keeps its error state in globals: use these from one thread at a time.
#pragma once

#include <cstdio>
#include <string>

struct GVC_s;
struct Agraph_s;
struct Agnode_s;
struct Agedge_s;

namespace heapdiff {

class GraphvizContext {
public:
    // Installed: the plugins Debian's libgvc6 registers (config6a). None: no plugin at
    // all, which is how the tests reach the "plugin missing" errors.
    enum class Plugins { Installed, None };

    explicit GraphvizContext(Plugins plugins = Plugins::Installed);
    ~GraphvizContext();
    GraphvizContext(const GraphvizContext&) = delete;
    GraphvizContext& operator=(const GraphvizContext&) = delete;

    std::string version() const;
    GVC_s* get() const { return gvc_; }

    // Runs before a Graphviz call whose failure check() reports: forgets older errors.
    static void clear_errors();
    // Throws Error("<what>: <Graphviz's last error> (<hint>)") when rc is not 0.
    static void check(int rc, const std::string& what, const std::string& hint = "");

private:
    int previous_error_level_;  // agseterr's, restored on destruction
    bool owned_;                // Plugins::None only: the installed-plugins GVC_t is shared
    GVC_s* gvc_;
};

class CGraph {
public:
    explicit CGraph(const std::string& name);  // directed, not strict (self loops allowed)
    ~CGraph();
    CGraph(const CGraph&) = delete;
    CGraph& operator=(const CGraph&) = delete;

    Agraph_s* get() const { return g_; }
    Agnode_s* add_node(const std::string& name);
    Agedge_s* add_edge(Agnode_s* tail, Agnode_s* head);

    // Defaults for every graph / node / edge (agattr), and one object's value
    // (agsafeset). Values are stored as given: escaping is the caller's job.
    void graph_default(const char* name, const std::string& value);
    void node_default(const char* name, const std::string& value);
    void edge_default(const char* name, const std::string& value);
    void set(Agnode_s* node, const char* name, const std::string& value);
    void set(Agedge_s* edge, const char* name, const std::string& value);

    // The graph in the DOT language (no layout attributes unless laid out).
    void write(std::FILE* out) const;

private:
    Agraph_s* g_;
};

class GraphvizLayout {
public:
    GraphvizLayout(GraphvizContext& context, CGraph& graph);  // the "dot" engine
    ~GraphvizLayout();
    GraphvizLayout(const GraphvizLayout&) = delete;
    GraphvizLayout& operator=(const GraphvizLayout&) = delete;

    // Renders with the device plugin for `format` ("png", "svg") into an open file.
    void render(const std::string& format, std::FILE* out);
    // The same into memory (an SVG to put inside a page).
    std::string render_to_string(const std::string& format);

private:
    GraphvizContext& context_;
    CGraph& graph_;
};

}  // namespace heapdiff
