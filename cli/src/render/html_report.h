// The incident report as one self-contained HTML page: styles, charts (inline SVG), the
// suspects' chains (Graphviz SVG, laid out in-process) and a small table script are all
// inside it, and a Content-Security-Policy forbids fetching anything, so the page works
// from a file:// URL, as a CI artifact, offline. Every string from the heap is escaped
// (html_text.h).
#pragma once

#include <string>

#include "heapdiff/incident_report.h"

namespace heapdiff::cli {

std::string html_report(const IncidentReport& report);

}  // namespace heapdiff::cli
