// SourceLines moved to core (heapdiff/source_lines.h) so that library reports can carry
// source lines; this name stays for the commands that still include it from cli/.
#pragma once

#include "heapdiff/source_lines.h"

namespace heapdiff::cli {
using heapdiff::SourceLines;
}  // namespace heapdiff::cli
