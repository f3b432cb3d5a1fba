#include "heapdiff/graphviz_context.h"

#include <gvc.h>

#include "heapdiff/error.h"

namespace heapdiff {

GraphvizContext::GraphvizContext() : gvc_(gvContext()) {
    if (!gvc_) throw Error("cannot start Graphviz (gvContext failed)");
}

GraphvizContext::~GraphvizContext() { gvFreeContext(gvc_); }

std::string GraphvizContext::version() const {
    const char* v = gvcVersion(gvc_);
    return v ? v : "";
}

}  // namespace heapdiff
