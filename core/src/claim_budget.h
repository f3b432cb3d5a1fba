// What a file has claimed so far, against what its size allows (read_limits): decompressed
// bytes, objects, edges and the rows of the other tables. The reader checks each claim
// before it allocates anything for it, so a decompression bomb (a small file whose
// sections inflate ~32,768x) or a lying count ends in one line, not in gigabytes.
#pragma once

#include <cstdint>
#include <string>

#include "heapdiff/reader.h"

namespace heapdiff::detail {

enum class Claim { Data, Objects, Edges, TableRows };

class ClaimBudget {
public:
    ClaimBudget(std::uint64_t file_size, std::string name);

    // Error "NAME: corrupted: it claims more <what> than its N bytes can hold (...)" when
    // `more` on top of what was added would go past the limit; `where` names the section.
    void check(Claim claim, std::uint64_t more, const std::string& where) const;
    void add(Claim claim, std::uint64_t more, const std::string& where);

private:
    std::uint64_t file_size_;
    std::string name_;
    ReadLimits limits_;
    std::uint64_t used_[4] = {0, 0, 0, 0};  // by Claim
};

}  // namespace heapdiff::detail
