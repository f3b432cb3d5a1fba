// RAII owner of a Graphviz GVC_t: every rendering goes through one of these, so layout
// and context are always freed. Thin for now; drawing commands build on it.
#pragma once

#include <string>

struct GVC_s;

namespace heapdiff {

class GraphvizContext {
public:
    GraphvizContext();
    ~GraphvizContext();
    GraphvizContext(const GraphvizContext&) = delete;
    GraphvizContext& operator=(const GraphvizContext&) = delete;

    std::string version() const;
    GVC_s* get() const { return gvc_; }

private:
    GVC_s* gvc_;
};

}  // namespace heapdiff
