#include "claim_budget.h"

#include <utility>

#include "heapdiff/error.h"

namespace heapdiff {

ReadLimits read_limits(std::uint64_t file_size) {
    // Saturating: no file is large enough for these to wrap, but a size is a claim too.
    auto allow = [&](std::uint64_t allowance, std::uint64_t per_byte) {
        return file_size > (UINT64_MAX - allowance) / per_byte ? UINT64_MAX : allowance + per_byte * file_size;
    };
    ReadLimits limits;
    limits.decompressed = allow(format::kDecompressedAllowance, format::kMaxCompressionRatio);
    limits.objects = allow(format::kObjectAllowance, format::kMaxObjectsPerFileByte);
    limits.edges = allow(format::kEdgeAllowance, format::kMaxEdgesPerFileByte);
    limits.table_rows = allow(format::kTableRowAllowance, format::kMaxTableRowsPerFileByte);
    return limits;
}

namespace detail {
namespace {

const char* claim_name(Claim c) {
    switch (c) {
        case Claim::Data: return "data";
        case Claim::Objects: return "objects";
        case Claim::Edges: return "edges";
        case Claim::TableRows: return "table rows";
    }
    return "";
}

std::uint64_t limit_of(const ReadLimits& l, Claim c) {
    switch (c) {
        case Claim::Data: return l.decompressed;
        case Claim::Objects: return l.objects;
        case Claim::Edges: return l.edges;
        case Claim::TableRows: return l.table_rows;
    }
    return 0;
}

}  // namespace

ClaimBudget::ClaimBudget(std::uint64_t file_size, std::string name)
    : file_size_(file_size), name_(std::move(name)), limits_(read_limits(file_size)) {}

void ClaimBudget::check(Claim claim, std::uint64_t more, const std::string& where) const {
    const std::uint64_t used = used_[static_cast<int>(claim)], limit = limit_of(limits_, claim);
    if (more <= limit && used <= limit - more) return;
    const std::string total = more > UINT64_MAX - used ? "more than 2^64" : std::to_string(used + more);
    throw snapshot_error(name_ + ": corrupted: it claims more " + claim_name(claim) + " than its " + std::to_string(file_size_) +
                " bytes can hold (" + total + (claim == Claim::Data ? " bytes decompressed" : std::string(" ") + claim_name(claim)) +
                " with " + where +
                "; at most " + std::to_string(limit) + " for a file of this size)");
}

void ClaimBudget::add(Claim claim, std::uint64_t more, const std::string& where) {
    check(claim, more, where);
    used_[static_cast<int>(claim)] += more;
}

}  // namespace detail
}  // namespace heapdiff
