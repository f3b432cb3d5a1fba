// The memory account (heapdiff/memory_account.h) as text and JSON: summary's table of
// where RSS went, and heapdiff memory's accounts, growth and findings.
#pragma once

#include <string>
#include <vector>

#include "heapdiff/memory_account.h"
#include "render/json_output.h"

namespace heapdiff::cli {

// The account of one snapshot as rows "   13.4 MiB   6%  Python objects ...", one per
// category with bytes (and every category when `all`), with a heading line.
void print_account(const MemoryAccount& account, bool all);

// heapdiff memory's text: each snapshot's account side by side, the growth, the findings.
void print_memory_report(const std::vector<MemoryAccount>& accounts, const std::vector<std::string>& paths,
                         const std::vector<MemoryFinding>& findings, std::size_t top_paths);

Json account_json(const MemoryAccount& account, std::size_t top_paths);
Json memory_json(const std::vector<MemoryAccount>& accounts, const std::vector<std::string>& paths,
                 const std::vector<MemoryFinding>& findings, std::size_t top_paths);

}  // namespace heapdiff::cli
